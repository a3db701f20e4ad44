package starlib

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
	"go.starlark.net/starlark"
)

// A component's attributes live in up to three maps. values holds
// Starlark values: what Starlark code set, computed defaults, and every
// value converted from one of the other two maps. native holds the
// normalised attributes a built-in kind's Expand returned (and the
// attributes a parent kind gave its sub-components), as plain Go values;
// planned holds the node attributes of the plan on the host. Both are
// converted to Starlark only when Starlark code reads them: most built-in
// components are never looked at from Starlark, and converting thousands
// of them to Starlark and back was most of the work of configure.
//
// A name in values wins over the same name in native or planned, so
// setting an attribute needs no bookkeeping; expandKind removes from
// values the names its result replaces.
//
// Until a built-in kind created in Starlark is expanded, native holds the
// arguments of its constructor as the Starlark values given (rawArgs is
// set); goAttrs converts them in place.

// value returns attribute name as set (not a default), converting a
// native or planned value to Starlark and keeping the result, so that
// later reads see the same (possibly mutated) value.
func (c *Component) value(name string) (starlark.Value, bool) {
	if v, ok := c.values[name]; ok {
		return v, true
	}
	var v starlark.Value
	if x, ok := c.native[name]; ok {
		v = goToStarlark(x)
	} else if x, ok := c.planned()[name]; ok {
		v = FromPlan(x, c.host.resolve)
	} else if spec := c.expandedSpec(name); spec != nil {
		v = spec.Default // set by the expansion; None is left out of native
	} else {
		return nil, false
	}
	c.setValue(name, v)
	return v, true
}

// expandedSpec returns the declaration of name when c is an expanded
// built-in kind: Expand set every declared attribute, the ones it set to
// None are not in native.
func (c *Component) expandedSpec(name string) *AttrSpec {
	if c.native == nil || c.def.kind == nil || c.rawArgs {
		return nil
	}
	if spec := c.def.attrs[name]; spec != nil && spec.HasDefault && spec.goDefault == nil {
		return spec
	}
	return nil
}

// has reports whether attribute name is set.
func (c *Component) has(name string) bool {
	if _, ok := c.values[name]; ok {
		return true
	}
	if _, ok := c.native[name]; ok {
		return true
	}
	if _, ok := c.planned()[name]; ok {
		return true
	}
	return c.expandedSpec(name) != nil
}

// stringValue returns attribute name when it is set to a string, without
// converting anything.
func (c *Component) stringValue(name string) (string, bool) {
	if v, ok := c.values[name]; ok {
		s, isStr := v.(starlark.String)
		return string(s), isStr
	}
	if x, ok := c.native[name]; ok {
		if s, isStr := x.(starlark.String); isStr { // an argument (rawArgs)
			return string(s), true
		}
		s, isStr := x.(string)
		return s, isStr
	}
	s, isStr := c.planned()[name].(string)
	return s, isStr
}

// StringAttr returns attribute name when it is set to a string, without
// converting anything.
func (c *Component) StringAttr(name string) (string, bool) { return c.stringValue(name) }

// Values returns the attributes that are set (explicitly, by override, by
// Expand or by reading a default) as Starlark values. It converts every
// Go value it has not converted yet: not for hot paths.
func (c *Component) Values() map[string]starlark.Value {
	for _, name := range c.valueNames() {
		c.value(name)
	}
	return c.values
}

// valueNames returns the names of the attributes that are set, sorted.
func (c *Component) valueNames() []string {
	planned := c.planned()
	names := make([]string, 0, len(c.values)+len(c.native)+len(planned))
	for n := range c.values {
		names = append(names, n)
	}
	for n := range c.native {
		if _, dup := c.values[n]; !dup {
			names = append(names, n)
		}
	}
	for n := range planned {
		if _, dup := c.values[n]; !dup {
			names = append(names, n)
		}
	}
	if c.native != nil && c.def.kind != nil {
		for _, spec := range c.def.specs {
			_, inValues := c.values[spec.Name]
			_, inNative := c.native[spec.Name]
			if !inValues && !inNative && c.expandedSpec(spec.Name) != nil {
				names = append(names, spec.Name)
			}
		}
	}
	sort.Strings(names)
	return names
}

// setNative makes the Go attributes a a built-in kind's Expand returned
// the component's attributes; Starlark values of the same names are
// dropped.
func (c *Component) setNative(a map[string]any) {
	for k := range c.values {
		if _, ok := a[k]; ok {
			delete(c.values, k)
		}
	}
	c.native, c.rawArgs = a, false
}

// SetPlanAttrs gives a component on the host the attributes of its plan
// node; resolve returns the component a plan.Ref points to. They are
// converted to Starlark when read. The map is not changed.
func (c *Component) SetPlanAttrs(a plan.Attrs, resolve func(plan.Ref) starlark.Value) {
	if len(c.values) > 0 {
		c.values = nil // made again on first use (setValue)
	}
	h := c.hostState()
	c.native, h.planned, h.resolve = nil, a, resolve
}

// planned returns the attributes of the component's plan node (on the
// host; nil elsewhere).
func (c *Component) planned() plan.Attrs {
	if c.host == nil {
		return nil
	}
	return c.host.planned
}

// PlanAttrs returns the attributes in plan form (ref decides how a
// component is represented). The display form of a path is left out (the
// label carries it), and so are attributes of built-in kinds that equal
// the kind's default: the host knows them.
func (c *Component) PlanAttrs(ref func(*Component) plan.Value) plan.Attrs {
	out := plan.Attrs{}
	for name, v := range c.values {
		if name != DisplayAttr && !c.isKindDefault(name, v) {
			out[name] = ToPlan(v, ref)
		}
	}
	if c.def.kind != nil {
		c.kindNativeToPlan(out, ref)
		return out
	}
	for name, x := range c.native {
		c.nativeToPlan(out, name, c.kindSpec(name), x, ref)
	}
	return out
}

// nativeToPlan puts native attribute name, x, declared by spec (nil: not
// declared or without default) in out in plan form, unless PlanAttrs
// leaves it out.
func (c *Component) nativeToPlan(out plan.Attrs, name string, spec *AttrSpec, x any, ref func(*Component) plan.Value) {
	if name == DisplayAttr || nativeIsDefault(spec, x) {
		return
	}
	if _, dup := c.values[name]; dup && len(c.values) > 0 {
		return
	}
	out[name] = goToPlan(x, ref)
}

// kindNativeToPlan does the native attributes of a built-in kind for
// PlanAttrs: the declared ones in order of declaration, then, if there
// are any, the others. Most components are of a built-in kind: this
// spares them a walk of the map and a look-up of each declaration.
func (c *Component) kindNativeToPlan(out plan.Attrs, ref func(*Component) plan.Value) {
	seen := 0
	for _, spec := range c.def.specs {
		if x, ok := c.native[spec.Name]; ok {
			seen++
			withDefault := spec
			if !spec.HasDefault {
				withDefault = nil
			}
			c.nativeToPlan(out, spec.Name, withDefault, x, ref)
		}
	}
	if _, ok := c.native[DisplayAttr]; ok && c.def.attrs[DisplayAttr] == nil {
		seen++ // left out
	}
	if seen == len(c.native) {
		return
	}
	for name, x := range c.native {
		if c.def.attrs[name] == nil {
			c.nativeToPlan(out, name, nil, x, ref)
		}
	}
}

// isKindDefault reports whether v is the declared default of attribute
// name of a built-in kind.
func (c *Component) isKindDefault(name string, v starlark.Value) bool {
	spec := c.kindSpec(name)
	if spec == nil {
		return false
	}
	eq, err := starlark.Equal(v, spec.Default)
	return err == nil && eq
}

// nativeIsDefault reports whether x is the default of spec (nil: an
// attribute without default), without converting the common scalar cases.
func nativeIsDefault(spec *AttrSpec, x any) bool {
	if spec == nil {
		return false
	}
	switch d := spec.Default.(type) {
	case starlark.NoneType:
		return x == nil
	case starlark.Bool:
		b, ok := x.(bool)
		return ok && b == bool(d)
	case starlark.String:
		if s, ok := x.(string); ok {
			return s == string(d)
		}
		return false
	}
	if x == nil {
		return false
	}
	eq, err := starlark.Equal(goToStarlark(x), spec.Default)
	return err == nil && eq
}

// kindSpec returns the declaration of attribute name of a built-in kind
// that has a default, or nil.
func (c *Component) kindSpec(name string) *AttrSpec {
	if c.def.kind == nil {
		return nil
	}
	spec := c.def.attrs[name]
	if spec == nil || !spec.HasDefault {
		return nil
	}
	return spec
}

// goToPlan converts a plain Go value to its plan form, as ToPlan does for
// the Starlark value goToStarlark makes of it.
func goToPlan(v any, ref func(*Component) plan.Value) plan.Value {
	switch v := v.(type) {
	case nil, bool, int64, string:
		return v
	case int:
		return int64(v)
	case float64:
		if math.IsNaN(v) {
			return plan.Unsupported("float")
		}
		return v
	case []byte:
		return plan.Bytes(v)
	case []any:
		out := make([]plan.Value, len(v))
		for i, it := range v {
			out[i] = goToPlan(it, ref)
		}
		return out
	case map[string]any:
		return goMapToPlan(v, ref)
	case components.Blob:
		return blobToPlan(v)
	case starlark.Value:
		return ToPlan(v, ref)
	}
	return fmt.Sprint(v)
}

// goMapToPlan converts a Go map to a plan dict with sorted keys, as
// goMapToDict orders them.
func goMapToPlan(m map[string]any, ref func(*Component) plan.Value) *plan.Dict {
	var buf [8]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	n := len(keys)
	kv := make([]plan.Value, 2*n) // keys and values in one allocation
	out := &plan.Dict{Keys: kv[:n:n], Values: kv[n:]}
	for i, k := range keys {
		out.Keys[i], out.Values[i] = k, goToPlan(m[k], ref)
	}
	return out
}
