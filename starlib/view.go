package starlib

import (
	"fmt"
	"sort"

	"github.com/batou-go/batou/runtime/plan"
	"go.starlark.net/starlark"
)

// View is a read-only view of a component of another root, as requirers see
// a provided component. During configure it reads the live component; on
// the host it holds a snapshot from the plan.
type View struct {
	live  *Component
	label string
	kind  string
	root  string
	host  starlark.Value
	attrs map[string]starlark.Value
}

var _ starlark.HasAttrs = (*View)(nil)

// NewView returns a read-only view of c.
func NewView(c *Component) *View { return &View{live: c} }

// Component returns the viewed component during configure, else nil.
func (v *View) Component() *Component { return v.live }

func (v *View) String() string {
	if v.live != nil {
		return v.live.String()
	}
	return fmt.Sprintf("<%s on %s>", v.label, v.host)
}

// Type implements starlark.Value.
func (v *View) Type() string          { return "component" }
func (v *View) Freeze()               {}
func (v *View) Truth() starlark.Bool  { return true }
func (v *View) Hash() (uint32, error) { return starlark.String(v.String()).Hash() }

var viewProperties = map[string]bool{"host": true, "environment": true, "workdir": true}

// Attr reads an attribute; methods and setters are not available.
func (v *View) Attr(name string) (starlark.Value, error) {
	if v.live == nil {
		if name == "host" {
			return v.host, nil
		}
		if x, ok := v.attrs[name]; ok {
			return x, nil
		}
		return nil, starlark.NoSuchAttrError(fmt.Sprintf("%s has no attribute %s", v.label, name))
	}
	c := v.live
	if c.has(name) || c.def.attrs[name] != nil || viewProperties[name] {
		x, err := c.Attr(name)
		if err != nil {
			return nil, err
		}
		return ReadOnly(x), nil
	}
	return nil, starlark.NoSuchAttrError(fmt.Sprintf("%s has no attribute %s (a provided component is read-only: only its attributes and host are visible)", c.Label(), name))
}

// AttrNames lists the visible attributes.
func (v *View) AttrNames() []string {
	names := []string{"host"}
	if v.live == nil {
		for k := range v.attrs {
			names = append(names, k)
		}
	} else {
		names = append(names, v.live.valueNames()...)
		for k := range v.live.def.attrs {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return dedup(names)
}

func dedup(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// toPlan snapshots the view's attributes.
func (v *View) toPlan(ref func(*Component) plan.Value) plan.Value {
	if v.live == nil {
		return &plan.View{Kind: v.kind, Label: v.label, Root: v.root, Attrs: v.snapshot(ref)}
	}
	c := v.live
	return &plan.View{Kind: c.def.Name(), Label: c.Label(), Host: c.root.Host.name, Root: c.root.Name, Attrs: v.snapshot(ref)}
}

func (v *View) snapshot(ref func(*Component) plan.Value) plan.Attrs {
	out := plan.Attrs{}
	for _, name := range v.AttrNames() {
		if name == "host" && v.live != nil {
			out[name] = v.live.root.Host.toPlan()
			continue
		}
		if x, err := v.Attr(name); err == nil {
			out[name] = ToPlan(x, ref)
		}
	}
	return out
}

func viewFromPlan(p *plan.View, resolve func(plan.Ref) starlark.Value) *View {
	v := &View{label: p.Label, kind: p.Kind, root: p.Root, attrs: map[string]starlark.Value{}}
	for k, x := range p.Attrs {
		if k == "host" {
			v.host = FromPlan(x, resolve)
			continue
		}
		v.attrs[k] = FromPlan(x, resolve)
	}
	if v.host == nil {
		v.host = starlark.String(p.Host)
	}
	return v
}

// ReadOnly returns v as a requirer may see it: lists, dicts and sets are
// frozen copies (the provider's own values stay as they are), components
// are views; other values are returned as they are.
func ReadOnly(v starlark.Value) starlark.Value {
	switch v := v.(type) {
	case *Component:
		return NewView(v)
	case *starlark.List:
		items := make([]starlark.Value, v.Len())
		for i := range items {
			items[i] = ReadOnly(v.Index(i))
		}
		l := starlark.NewList(items)
		l.Freeze()
		return l
	case starlark.Tuple:
		items := make(starlark.Tuple, len(v))
		for i := range v {
			items[i] = ReadOnly(v[i])
		}
		return items
	case *starlark.Dict:
		d := starlark.NewDict(v.Len())
		for _, kv := range v.Items() {
			_ = d.SetKey(kv[0], ReadOnly(kv[1]))
		}
		d.Freeze()
		return d
	case *starlark.Set:
		s := new(starlark.Set)
		iter := v.Iterate()
		defer iter.Done()
		var x starlark.Value
		for iter.Next(&x) {
			_ = s.Insert(x)
		}
		s.Freeze()
		return s
	}
	return v
}
