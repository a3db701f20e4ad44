package starlib

import (
	"fmt"
	"slices"

	"github.com/batou-go/batou/components"

	"go.starlark.net/starlark"
)

// add makes x a sub-component of c and configures it.
func (c *Component) add(thread *starlark.Thread, x *Component) error {
	if x.added {
		return fmt.Errorf("%s is already a sub-component of %s; create a new instance instead", x.Label(), parentLabel(x))
	}
	if x.frozen {
		return fmt.Errorf("%s was created at the top level of a file and is frozen; create components inside configure", x.Label())
	}
	x.parent, x.root, x.added = c, c.root, true
	c.children = append(c.children, x)
	c.last = x
	return x.prepare(thread)
}

func parentLabel(x *Component) string {
	if x.parent == nil {
		return "a root"
	}
	return x.parent.Path()
}

// prepare configures c: a built-in kind is expanded, a Starlark component's
// configure runs; then platform components are added.
func (c *Component) prepare(thread *starlark.Thread) error {
	if c.def.kind != nil {
		if err := c.expandKind(thread); err != nil {
			return err
		}
	} else if c.def.configure != nil {
		if _, err := starlark.Call(thread, c.def.configure, starlark.Tuple{c}, nil); err != nil {
			return err
		}
	}
	return c.addPlatforms(thread)
}

func (c *Component) addPlatforms(thread *starlark.Thread) error {
	if c.root.Host == nil || c.root.Host.platform == "" {
		return nil
	}
	for _, impl := range c.root.session.Platforms(c.root.Host.platform, c.def) {
		if err := c.add(thread, newComponent(impl, c.pos)); err != nil {
			return err
		}
	}
	return nil
}

// expandKind runs the built-in kind's Expand and adds its sub-components.
func (c *Component) expandKind(thread *starlark.Thread) error {
	attrs, err := c.goAttrs()
	if err != nil {
		return err
	}
	norm, subs, err := c.def.kind.Expand(expandContext{c}, attrs)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Path(), err)
	}
	if norm != nil {
		c.setNative(norm)
	}
	c.children = slices.Grow(c.children, len(subs))
	for _, sub := range subs {
		if err := c.addSub(thread, sub); err != nil {
			return err
		}
	}
	return nil
}

func (c *Component) addSub(thread *starlark.Thread, sub components.Sub) error {
	def := c.root.session.kindDef(sub.Kind)
	if def == nil {
		return fmt.Errorf("%s: unknown sub-component kind %s", c.Label(), sub.Kind)
	}
	x := newComponent(def, c.pos)
	x.native = sub.Attrs
	x.kindSub, x.final = true, sub.Final
	return c.add(thread, x)
}

// goAttrs returns every declared attribute (set or default) as Go values,
// for a built-in kind, and the undeclared ones that have a Go form. An
// attribute that is None where None is its default is left out (a missing
// key reads as nil; expandedSpec answers for it): a Go map of eight
// entries grows on every assignment, also to a key it holds.
func (c *Component) goAttrs() (map[string]any, error) {
	if len(c.values) == 0 && c.native != nil && !c.rawArgs {
		// Made by its parent's Expand: the map is the component's own.
		return c.withDefaults(c.native)
	}
	if len(c.values) == 0 && c.rawArgs {
		// The arguments are all there is: converted in place.
		if err := c.goAttrsTo(c.native); err != nil {
			return nil, err
		}
		c.rawArgs = false
		return c.native, nil
	}
	out := make(map[string]any, len(c.def.specs)+1)
	if err := c.goAttrsTo(out); err != nil {
		return nil, err
	}
	for name, x := range c.native {
		if c.def.attrs[name] == nil {
			out[name] = x
		}
	}
	for name, v := range c.values {
		if c.def.attrs[name] == nil {
			if g, err := starlarkToGo(v); err == nil {
				out[name] = g
			}
		}
	}
	return out, nil
}

// goAttrsTo sets every declared attribute in out, as goAttrs describes.
func (c *Component) goAttrsTo(out map[string]any) error {
	for _, spec := range c.def.specs {
		g, err := c.goAttr(spec.Name, spec)
		if err != nil {
			return err
		}
		if g != nil || spec.goDefault != nil { // None where None is the default: left out
			out[spec.Name] = g
		} else {
			delete(out, spec.Name)
		}
	}
	return nil
}

// withDefaults adds the defaults of the declared attributes a lacks; a
// is native, and values is empty (what goAttr would find is the default).
func (c *Component) withDefaults(a map[string]any) (map[string]any, error) {
	for _, spec := range c.def.specs {
		if _, ok := a[spec.Name]; !ok {
			if !spec.HasDefault {
				_, err := c.goAttr(spec.Name, spec) // the error
				return nil, err
			}
			if spec.goDefault != nil {
				a[spec.Name] = spec.goDefault
			}
		}
	}
	return a, nil
}

// goAttr returns declared attribute name as a Go value: as set, or its
// default.
func (c *Component) goAttr(name string, spec *AttrSpec) (any, error) {
	v, ok := c.values[name]
	if !ok {
		if x, ok := c.native[name]; ok {
			if v, ok = x.(starlark.Value); !ok || !c.rawArgs {
				return x, nil
			}
			return c.goArg(name, v)
		}
		if !spec.HasDefault {
			if name == c.def.namevar {
				return nil, fmt.Errorf("%s needs its %s as first argument", c.def.Name(), name)
			}
			return nil, fmt.Errorf("%s needs %s=", c.def.Name(), name)
		}
		return spec.goDefault, nil
	}
	return c.goArg(name, v)
}

// goArg converts attribute name's Starlark value v to Go.
func (c *Component) goArg(name string, v starlark.Value) (any, error) {
	g, err := starlarkToGo(v)
	if err != nil {
		return nil, fmt.Errorf("%s: attribute %s: %w", c.Label(), name, err)
	}
	return g, nil
}

// kindDef returns the definition of a built-in kind by name.
func (s *Session) kindDef(name string) *Def {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kindDefs == nil {
		s.kindDefs = map[string]*Def{}
	}
	if d := s.kindDefs[name]; d != nil {
		return d
	}
	k := s.Kinds.Get(name)
	if k == nil {
		return nil
	}
	d := defFromKind(k)
	s.kindDefs[name] = d
	return d
}

// KindDef returns the definition of the built-in kind name, or nil.
func (s *Session) KindDef(name string) *Def { return s.kindDef(name) }
