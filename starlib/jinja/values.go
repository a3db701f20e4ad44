package jinja

import (
	"fmt"
	"sort"

	"go.starlark.net/starlark"
)

// undefined is the value of a missing name, attribute or item. Under
// StrictUndefined any use of it is an error except the tests that ask
// whether it is defined and the default filter. The implicit else of an
// inline if is lenient, as in Jinja2: it prints as "" and is false.
type undefined struct {
	name    string         // the missing variable, attribute or string key
	obj     starlark.Value // the value that lacks it; nil for a variable
	key     starlark.Value // a missing non-string key
	hint    string         // a message that replaces the generated one
	lenient bool
}

var _ starlark.Value = (*undefined)(nil)

func (u *undefined) String() string        { return "" }
func (u *undefined) Type() string          { return "undefined" }
func (u *undefined) Freeze()               {}
func (u *undefined) Truth() starlark.Bool  { return false }
func (u *undefined) Hash() (uint32, error) { return 0, u.err() }

// err is the error a use of u raises.
func (u *undefined) err() error { return undefinedError(u.message()) }

// message words the problem as Jinja2 does.
func (u *undefined) message() string {
	switch {
	case u.hint != "":
		return u.hint
	case u.obj == nil:
		return fmt.Sprintf("%s is undefined", quotePy(u.name))
	case u.key != nil:
		return fmt.Sprintf("%s has no element %s", typeRepr(u.obj), pyRepr(u.key))
	}
	return fmt.Sprintf("%s has no attribute %s", quotePy(typeRepr(u.obj)), quotePy(u.name))
}

// typeRepr names the type of v the way Jinja2's messages do.
func typeRepr(v starlark.Value) string {
	if v == starlark.None {
		return "None"
	}
	return pyTypeName(v) + " object"
}

// pyTypeName maps Starlark type names to their Python counterparts.
func pyTypeName(v starlark.Value) string {
	switch v.(type) {
	case starlark.String:
		return "str"
	case starlark.NoneType:
		return "NoneType"
	case starlark.Int:
		return "int"
	case starlark.Float:
		return "float"
	case starlark.Bool:
		return "bool"
	}
	return v.Type()
}

// strict returns the error of using v when v is undefined.
func strict(v starlark.Value) error {
	if u, ok := v.(*undefined); ok {
		return u.err()
	}
	return nil
}

// strictAll is strict for each of vs.
func strictAll(vs []starlark.Value) error {
	for _, v := range vs {
		if err := strict(v); err != nil {
			return err
		}
	}
	return nil
}

// namespace is the mutable object namespace() returns; {% set ns.x = 1 %}
// assigns to it from inside loops.
type namespace struct {
	attrs map[string]starlark.Value
}

var _ starlark.HasSetField = (*namespace)(nil)

func (n *namespace) String() string {
	d := starlark.NewDict(len(n.attrs))
	for _, k := range n.AttrNames() {
		_ = d.SetKey(starlark.String(k), n.attrs[k])
	}
	return "<Namespace " + pyRepr(d) + ">"
}

func (n *namespace) Type() string          { return "Namespace" }
func (n *namespace) Freeze()               {}
func (n *namespace) Truth() starlark.Bool  { return true }
func (n *namespace) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: Namespace") }

func (n *namespace) Attr(name string) (starlark.Value, error) { return n.attrs[name], nil }

func (n *namespace) AttrNames() []string {
	names := make([]string, 0, len(n.attrs))
	for k := range n.attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func (n *namespace) SetField(name string, v starlark.Value) error {
	n.attrs[name] = v
	return nil
}

// newNamespace implements the namespace() global.
func newNamespace(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	n := &namespace{attrs: map[string]starlark.Value{}}
	for _, a := range args {
		d, ok := a.(starlark.IterableMapping)
		if !ok {
			return nil, fmt.Errorf("namespace: positional argument must be a mapping, not %s", a.Type())
		}
		for _, kv := range d.Items() {
			n.attrs[pyStr(kv[0])] = kv[1]
		}
	}
	for _, kv := range kwargs {
		n.attrs[string(kv[0].(starlark.String))] = kv[1]
	}
	return n, nil
}

// newJoiner implements the joiner() global: a callable that returns ""
// the first time and the separator afterwards.
func newJoiner(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	sep := ", "
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "sep?", &sep); err != nil {
		return nil, err
	}
	used := false
	return starlark.NewBuiltin("joiner", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		if !used {
			used = true
			return starlark.String(""), nil
		}
		return starlark.String(sep), nil
	}), nil
}

// cycler is the object cycler(a, b, ...) returns: next() returns the
// items in turn, current is the next one, reset() starts over.
type cycler struct {
	items []starlark.Value
	pos   int
}

var _ starlark.HasAttrs = (*cycler)(nil)

func (c *cycler) String() string        { return "<Cycler>" }
func (c *cycler) Type() string          { return "Cycler" }
func (c *cycler) Freeze()               {}
func (c *cycler) Truth() starlark.Bool  { return true }
func (c *cycler) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: Cycler") }
func (c *cycler) AttrNames() []string   { return []string{"current", "items", "next", "reset"} }

func (c *cycler) Attr(name string) (starlark.Value, error) {
	switch name {
	case "current":
		return c.items[c.pos], nil
	case "items":
		return starlark.Tuple(c.items), nil
	case "next":
		return starlark.NewBuiltin("next", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			v := c.items[c.pos]
			c.pos = (c.pos + 1) % len(c.items)
			return v, nil
		}), nil
	case "reset":
		return starlark.NewBuiltin("reset", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			c.pos = 0
			return starlark.None, nil
		}), nil
	}
	return nil, nil
}

func newCycler(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) == 0 || len(kwargs) > 0 {
		return nil, fmt.Errorf("at least one item has to be provided")
	}
	return &cycler{items: append([]starlark.Value(nil), args...)}, nil
}

func lipsum(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return nil, fmt.Errorf("lipsum() is not supported: its text is random")
}

// globals are the names every template sees unless the context or the
// template defines them. Read-only; the builtins keep no state.
var globals = map[string]starlark.Value{
	"range":     starlark.NewBuiltin("range", newRange),
	"dict":      starlark.Universe["dict"],
	"namespace": starlark.NewBuiltin("namespace", newNamespace),
	"joiner":    starlark.NewBuiltin("joiner", newJoiner),
	"cycler":    starlark.NewBuiltin("cycler", newCycler),
	"lipsum":    starlark.NewBuiltin("lipsum", lipsum),
}

// templateRef is the `self` variable: self.name() renders the block
// called name.
type templateRef struct{ r *renderer }

var _ starlark.HasAttrs = (*templateRef)(nil)

func (t *templateRef) String() string       { return "<TemplateReference None>" }
func (t *templateRef) Type() string         { return "TemplateReference" }
func (t *templateRef) Freeze()              {}
func (t *templateRef) Truth() starlark.Bool { return true }
func (t *templateRef) Hash() (uint32, error) {
	return 0, fmt.Errorf("unhashable type: TemplateReference")
}

func (t *templateRef) AttrNames() []string {
	names := make([]string, 0, len(t.r.blocks))
	for name := range t.r.blocks {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func (t *templateRef) Attr(name string) (starlark.Value, error) {
	b, ok := t.r.blocks[name]
	if !ok {
		return nil, nil
	}
	return starlark.NewBuiltin(name, func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		text, err := t.r.capture(b.body, newScope(t.r.root))
		return starlark.String(text), err
	}), nil
}
