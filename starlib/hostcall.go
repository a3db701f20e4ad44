package starlib

import (
	"fmt"

	"github.com/batou-go/batou/runtime/plan"
	"go.starlark.net/starlark"
)

// NewPlainDef returns a definition without code, standing on the host for a
// Starlark component whose verify and update are not needed there.
func NewPlainDef(name string) *Def {
	return (&Def{name: name, attrs: map[string]*AttrSpec{}}).finish()
}

// NewHostComponent creates a component on the host, as a child of parent
// (nil for a root's top component). Its attributes are set
// once every component of the root exists (attributes may refer to each
// other), with SetPlanAttrs.
func NewHostComponent(def *Def, root *Root, parent *Component) *Component {
	hc := &hostComponent{c: Component{def: def, values: map[string]starlark.Value{}, root: root, parent: parent, added: true}}
	c := &hc.c
	c.host = &hc.host
	if parent != nil {
		parent.children = append(parent.children, c)
		parent.last = c
	} else {
		root.Top = c
	}
	return c
}

// hostState is what a component on the host has from its plan node; the
// components of configure have none.
type hostState struct {
	planned plan.Attrs // see store.go
	resolve func(plan.Ref) starlark.Value
	label   string
}

// hostComponent is a component of the host and its hostState, allocated
// together.
type hostComponent struct {
	c    Component
	host hostState
}

// hostState returns the component's host state, made on first use.
func (c *Component) hostState() *hostState {
	if c.host == nil {
		c.host = &hostState{}
	}
	return c.host
}

// SetLabel sets the breadcrumb the component shows (on the host, the plan
// carries it).
func (c *Component) SetLabel(l string) { c.hostState().label = l }

// Verify runs the component's Starlark verify. It reports whether an update
// is needed and why: update_needed() or a failing assert helper, or verify
// returning False.
func (c *Component) Verify(thread *starlark.Thread) (bool, string, error) {
	if c.def.verify == nil {
		return false, "", nil
	}
	v, err := starlark.Call(thread, c.def.verify, starlark.Tuple{c}, nil)
	if un, ok := AsUpdateNeeded(err); ok {
		return true, un.Reason, nil
	}
	if err != nil {
		return false, "", err
	}
	if v == starlark.False {
		return true, "verify returned False", nil
	}
	return false, "", nil
}

// Update runs the component's Starlark update.
func (c *Component) Update(thread *starlark.Thread) error {
	if c.def.update == nil {
		return nil
	}
	_, err := starlark.Call(thread, c.def.update, starlark.Tuple{c}, nil)
	if un, ok := AsUpdateNeeded(err); ok {
		return fmt.Errorf("update raised update_needed(%q); hint: update_needed belongs in verify", un.Reason)
	}
	return err
}

// BeforeUpdate calls the component's on_before_update handler with the
// component that is about to update.
func (c *Component) BeforeUpdate(thread *starlark.Thread, other *Component) error {
	if c.def.onBeforeUpdate == nil {
		return nil
	}
	_, err := starlark.Call(thread, c.def.onBeforeUpdate, starlark.Tuple{c, other}, nil)
	return err
}
