package starlib

import (
	"fmt"
	"strings"

	"github.com/batou-go/batou/components"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Def is a component definition: what Component() returns, or a built-in
// kind. Calling it creates an instance.
type Def struct {
	name    string // as bound: "Hello"; built-ins: "File"
	file    string // project-relative .star file that called Component()
	pos     syntax.Position
	attrs   map[string]*AttrSpec
	specs   []*AttrSpec // attrs sorted by name (finish)
	namevar string
	doc     string

	configure, verify, update, lastUpdated starlark.Callable
	onBeforeUpdate                         starlark.Callable
	beforeUpdateScope                      string

	kind *components.Kind // non-nil for built-in kinds
}

var _ starlark.Callable = (*Def)(nil)

// Name returns the definition's name as written ("Hello", "File").
func (d *Def) Name() string {
	if d.name == "" {
		return "Component"
	}
	return d.name
}

// Key returns the name the environment uses: the lower-cased name.
func (d *Def) Key() string { return strings.ToLower(d.name) }

// File returns the project-relative .star file that defines d ("" for
// built-in kinds).
func (d *Def) File() string { return d.file }

// Pos returns where Component() was called.
func (d *Def) Pos() syntax.Position { return d.pos }

// Kind returns the built-in kind behind d, or nil.
func (d *Def) Kind() *components.Kind { return d.kind }

// Attrs returns the declared attributes.
func (d *Def) Attrs() map[string]*AttrSpec { return d.attrs }

// Spec returns the declaration of attribute name, or nil.
func (d *Def) Spec(name string) *AttrSpec { return d.attrs[name] }

// HasHostCode reports whether verify, update, last_updated or a
// before-update handler are Starlark functions.
func (d *Def) HasHostCode() bool {
	return d.verify != nil || d.update != nil || d.lastUpdated != nil || d.onBeforeUpdate != nil
}

// Funcs reports which host functions d has: verify, update, last_updated,
// before-update handler.
func (d *Def) Funcs() (verify, update, lastUpdated, beforeUpdate bool) {
	return d.verify != nil, d.update != nil, d.lastUpdated != nil, d.onBeforeUpdate != nil
}

// BeforeUpdateScope returns "precursor", "*" or "" (no handler).
func (d *Def) BeforeUpdateScope() string {
	if d.onBeforeUpdate == nil {
		return ""
	}
	return d.beforeUpdateScope
}

// Bind names an anonymous definition created in file; it reports whether
// the name was taken (a definition keeps its first name).
func (d *Def) Bind(name, file string) bool {
	if d.name != "" || d.kind != nil || d.file != file {
		return false
	}
	d.name = name
	return true
}

func (d *Def) String() string        { return fmt.Sprintf("<component %s>", d.Name()) }
func (d *Def) Type() string          { return "component_definition" }
func (d *Def) Freeze()               {}
func (d *Def) Truth() starlark.Bool  { return true }
func (d *Def) Hash() (uint32, error) { return starlark.String(d.file + ":" + d.name).Hash() }

// CallInternal creates an instance: the first positional argument fills the
// namevar, keywords must be declared attributes.
func (d *Def) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	c := newComponent(d, thread.CallFrame(1).Pos)
	if err := d.fillArgs(c, args, kwargs); err != nil {
		return nil, err
	}
	if r := currentRoot(thread); r != nil {
		r.created = append(r.created, c)
		c.home = r
	}
	return c, nil
}

func (d *Def) fillArgs(c *Component, args starlark.Tuple, kwargs []starlark.Tuple) error {
	if len(args) > 1 {
		return fmt.Errorf("%s: takes at most one positional argument (the %s), got %d", d.Name(), d.namevarName(), len(args))
	}
	if len(args) == 1 {
		if d.namevar == "" {
			return fmt.Errorf("%s: has no namevar, so it takes no positional argument; hint: pass attributes by keyword", d.Name())
		}
		spec, v, err := c.checkAttr(d.namevar, args[0])
		if err != nil {
			return fmt.Errorf("%s: %w", d.Name(), err)
		}
		c.setArg(d.namevar, v)
		c.given(spec)
	}
	for _, kv := range kwargs {
		name := string(kv[0].(starlark.String))
		spec, v, err := c.checkAttr(name, kv[1])
		if err != nil {
			return fmt.Errorf("%s: %w", d.Name(), err)
		}
		if spec == nil {
			return fmt.Errorf("%s: unknown keyword %s%s; valid names: %s", d.Name(), name,
				suggest(name, sortedNames(d.attrs)), strings.Join(sortedNames(d.attrs), ", "))
		}
		c.setArg(name, v)
		c.given(spec)
	}
	return nil
}

func (d *Def) namevarName() string {
	if d.namevar == "" {
		return "namevar"
	}
	return d.namevar
}

// componentBuiltin implements Component(configure=None, verify=None,
// update=None, last_updated=None, attrs={}, namevar=None, doc="",
// on_before_update=None, before_update_scope="precursor").
func componentBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	d := &Def{pos: thread.CallFrame(1).Pos, beforeUpdateScope: "precursor"}
	d.file = d.pos.Filename()
	var attrs *starlark.Dict
	var namevar starlark.Value = starlark.None
	var fns [5]starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs,
		"configure?", &fns[0], "verify?", &fns[1], "update?", &fns[2],
		"last_updated?", &fns[3], "attrs?", &attrs, "namevar?", &namevar, "doc?", &d.doc,
		"on_before_update?", &fns[4], "before_update_scope?", &d.beforeUpdateScope); err != nil {
		return nil, err
	}
	names := [5]string{"configure", "verify", "update", "last_updated", "on_before_update"}
	targets := [5]*starlark.Callable{&d.configure, &d.verify, &d.update, &d.lastUpdated, &d.onBeforeUpdate}
	for i, v := range fns {
		fn, err := asCallable(names[i], v)
		if err != nil {
			return nil, err
		}
		*targets[i] = fn
	}
	if d.beforeUpdateScope != "precursor" && d.beforeUpdateScope != "*" {
		return nil, fmt.Errorf("Component: before_update_scope must be \"precursor\" or \"*\", not %q", d.beforeUpdateScope)
	}
	if err := d.setAttrs(attrs); err != nil {
		return nil, err
	}
	if err := d.setNamevar(namevar); err != nil {
		return nil, err
	}
	return d.finish(), nil
}

// finish records the declared attributes in name order; d's attributes
// do not change after it.
func (d *Def) finish() *Def {
	d.numberAttrs()
	d.specs = make([]*AttrSpec, 0, len(d.attrs))
	for _, name := range sortedNames(d.attrs) {
		d.specs = append(d.specs, d.attrs[name])
	}
	return d
}

// asCallable accepts a function or None (nil).
func asCallable(name string, v starlark.Value) (starlark.Callable, error) {
	if v == nil || v == starlark.None {
		return nil, nil
	}
	fn, ok := v.(starlark.Callable)
	if !ok {
		return nil, fmt.Errorf("Component: %s must be a function, not %s", name, v.Type())
	}
	return fn, nil
}

func (d *Def) setAttrs(attrs *starlark.Dict) error {
	d.attrs = map[string]*AttrSpec{}
	if attrs == nil {
		return nil
	}
	defer d.numberAttrs()
	for _, kv := range attrs.Items() {
		name, ok := kv[0].(starlark.String)
		if !ok {
			return fmt.Errorf("Component: attrs keys must be strings, not %s", kv[0].Type())
		}
		spec, ok := kv[1].(*AttrSpec)
		if !ok {
			return fmt.Errorf("Component: attrs[%q] must be an Attribute(...), not %s", string(name), kv[1].Type())
		}
		if isReserved(string(name)) {
			return fmt.Errorf("Component: attribute name %q is reserved (it is part of self)", string(name))
		}
		cp := *spec
		cp.Name = string(name)
		d.attrs[cp.Name] = &cp
	}
	return nil
}

func (d *Def) setNamevar(v starlark.Value) error {
	if v == starlark.None {
		return nil
	}
	s, ok := v.(starlark.String)
	if !ok {
		return fmt.Errorf("Component: namevar must be a string, not %s", v.Type())
	}
	d.namevar = string(s)
	if d.attrs[d.namevar] == nil {
		d.attrs[d.namevar] = &AttrSpec{Name: d.namevar, Kind: TypeStr}
		d.numberAttrs()
	}
	return nil
}

// numberAttrs gives each declared attribute its index in name order.
func (d *Def) numberAttrs() {
	for i, name := range sortedNames(d.attrs) {
		d.attrs[name].index = i
	}
}

// defFromKind wraps a built-in kind as a definition.
func defFromKind(k *components.Kind) *Def {
	d := &Def{name: k.Name, namevar: k.Namevar, doc: k.Doc, kind: k, attrs: map[string]*AttrSpec{}}
	for _, a := range k.Attrs {
		spec := &AttrSpec{Name: a.Name, Kind: kindAttrType(a.Type), Doc: a.Doc}
		if a.Default != nil {
			spec.Default, spec.HasDefault = goToStarlark(a.Default), true
		} else if !a.Required {
			spec.Default, spec.HasDefault = starlark.None, true
		}
		if spec.HasDefault {
			g, err := starlarkToGo(spec.Default)
			if err != nil {
				panic(fmt.Sprintf("components: default of %s.%s: %v", k.Name, a.Name, err))
			}
			spec.goDefault = g
		}
		d.attrs[a.Name] = spec
	}
	return d.finish()
}

func kindAttrType(t components.AttrType) AttrType {
	switch t {
	case components.TypeStr, components.TypeInt, components.TypeFloat, components.TypeBool,
		components.TypeList, components.TypeDict, components.TypeBytes:
		return AttrType(t)
	}
	return TypeAny
}

// AttrNames returns the declared attribute names, sorted.
func (d *Def) AttrNames() []string {
	names := make([]string, len(d.specs))
	for i, s := range d.specs {
		names[i] = s.Name
	}
	return names
}
