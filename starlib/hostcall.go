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
// other), with SetPlanAttrs. A HostBuilder creates many at less cost.
func NewHostComponent(def *Def, root *Root, parent *Component) *Component {
	return (&HostBuilder{root: root}).Add(def, parent, "", 0)
}

// HostBuilder creates the components of one root on the host. It
// allocates them, and their lists of sub-components, in blocks: a root
// of a thousand Files has three thousand components, and allocating each
// (and growing each list) on its own was most of the allocations of
// building them.
type HostBuilder struct {
	root  *Root
	left  int // how many components are still to come (a hint)
	comps []hostComponent
	kids  []*Component
}

// Blocks of components and of lists of sub-components hold at most this
// many each.
const hostBlock = 1024

// NewHostBuilder returns a builder for the components of root; n is how
// many there will be.
func NewHostBuilder(root *Root, n int) *HostBuilder {
	return &HostBuilder{root: root, left: n}
}

// Add creates a component on the host, as a child of parent (nil for the
// root's top component), with the label of its plan node (SetLabel) and
// room for kids sub-components. Its attributes are set once every
// component of the root exists, with SetPlanAttrs.
func (b *HostBuilder) Add(def *Def, parent *Component, label string, kids int) *Component {
	if len(b.comps) == 0 {
		b.comps = make([]hostComponent, min(max(b.left, 1), hostBlock))
	}
	hc := &b.comps[0]
	b.comps = b.comps[1:]
	b.left--
	c := &hc.c // zero, as made: set field by field (no copy of a whole Component)
	c.def, c.root, c.parent, c.added = def, b.root, parent, true
	c.host = &hc.host
	c.host.label = label
	if kids > 0 {
		if len(b.kids) < kids {
			b.kids = make([]*Component, max(kids, min(max(b.left, 1), hostBlock)))
		}
		c.children = b.kids[:0:kids]
		b.kids = b.kids[kids:]
	}
	if parent != nil {
		parent.children = append(parent.children, c)
		parent.last = c
	} else {
		b.root.Top = c
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
