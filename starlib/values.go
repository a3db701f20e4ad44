package starlib

import (
	"fmt"
	"math"
	"slices"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// goToStarlark converts a plain Go value (as built-in kinds use them) to
// Starlark.
func goToStarlark(v any) starlark.Value {
	switch v := v.(type) {
	case nil:
		return starlark.None
	case bool:
		return starlark.Bool(v)
	case int:
		return starlark.MakeInt(v)
	case int64:
		return starlark.MakeInt64(v)
	case float64:
		return starlark.Float(v)
	case string:
		return starlark.String(v)
	case []byte:
		return starlark.Bytes(v)
	case []any:
		items := make([]starlark.Value, len(v))
		for i, it := range v {
			items[i] = goToStarlark(it)
		}
		return starlark.NewList(items)
	case map[string]any:
		return goMapToDict(v)
	case components.Blob:
		return newBlob(v)
	case starlark.Value:
		return v
	}
	return starlark.String(fmt.Sprint(v))
}

func goMapToDict(m map[string]any) *starlark.Dict {
	var buf [8]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	d := starlark.NewDict(len(m))
	for _, k := range keys {
		_ = d.SetKey(starlark.String(k), goToStarlark(m[k]))
	}
	return d
}

// starlarkToGo converts a Starlark value to a plain Go value for a
// built-in kind.
func starlarkToGo(v starlark.Value) (any, error) {
	switch v := v.(type) {
	case starlark.NoneType:
		return nil, nil
	case starlark.Bool:
		return bool(v), nil
	case starlark.Int:
		i, ok := v.Int64()
		if !ok {
			return nil, fmt.Errorf("integer %s is too large", v)
		}
		return i, nil
	case starlark.Float:
		return float64(v), nil
	case starlark.String:
		return string(v), nil
	case starlark.Bytes:
		return []byte(v), nil
	case *Address:
		return v.String(), nil
	case *Blob:
		return v.b, nil
	case starlark.Indexable:
		return indexableToGo(v)
	case *starlark.Dict:
		return dictToGo(v)
	case *starlarkstruct.Struct:
		d := starlark.StringDict{}
		v.ToStringDict(d)
		m := map[string]any{}
		for k, x := range d {
			g, err := starlarkToGo(x)
			if err != nil {
				return nil, err
			}
			m[k] = g
		}
		return m, nil
	}
	return nil, fmt.Errorf("a %s cannot be used here", v.Type())
}

func indexableToGo(v starlark.Indexable) (any, error) {
	out := make([]any, v.Len())
	for i := range out {
		g, err := starlarkToGo(v.Index(i))
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return out, nil
}

func dictToGo(d *starlark.Dict) (any, error) {
	m := make(map[string]any, d.Len())
	for _, kv := range d.Items() { // fewer allocations than d.Entries()
		k, ok := kv[0].(starlark.String)
		if !ok {
			return nil, fmt.Errorf("dict keys must be strings here, not %s", kv[0].Type())
		}
		g, err := starlarkToGo(kv[1])
		if err != nil {
			return nil, err
		}
		m[string(k)] = g
	}
	return m, nil
}

// ToPlan converts a Starlark value to its plan form. ref decides how a
// component is represented (a Ref within the same root, or a View).
// Values that cannot travel become plan.Unsupported.
func ToPlan(v starlark.Value, ref func(*Component) plan.Value) plan.Value {
	switch v := v.(type) {
	case starlark.NoneType:
		return nil
	case starlark.Bool:
		return bool(v)
	case starlark.Int:
		if i, ok := v.Int64(); ok {
			return i
		}
	case starlark.Float:
		if !math.IsNaN(float64(v)) {
			return float64(v)
		}
	case starlark.String:
		return string(v)
	case starlark.Bytes:
		return plan.Bytes(v)
	case *starlark.List:
		return listToPlan(v, ref)
	case starlark.Tuple:
		return plan.Tuple(listToPlan(v, ref))
	case *starlark.Dict:
		return dictToPlan(v, ref)
	case *Address:
		return v.addr
	case *Component:
		return ref(v)
	case *View:
		return v.toPlan(ref)
	case *starlarkstruct.Struct:
		return structToPlan(v, ref)
	case *Host:
		return v.toPlan()
	case *Blob:
		return blobToPlan(v.b)
	}
	return plan.Unsupported(v.Type())
}

func listToPlan(v starlark.Indexable, ref func(*Component) plan.Value) []plan.Value {
	out := make([]plan.Value, v.Len())
	for i := range out {
		out[i] = ToPlan(v.Index(i), ref)
	}
	return out
}

func dictToPlan(d *starlark.Dict, ref func(*Component) plan.Value) *plan.Dict {
	out := &plan.Dict{}
	for _, kv := range d.Items() {
		out.Keys = append(out.Keys, ToPlan(kv[0], ref))
		out.Values = append(out.Values, ToPlan(kv[1], ref))
	}
	return out
}

func structToPlan(s *starlarkstruct.Struct, ref func(*Component) plan.Value) *plan.Struct {
	d := starlark.StringDict{}
	s.ToStringDict(d)
	out := &plan.Struct{Fields: plan.Attrs{}}
	for k, x := range d {
		out.Fields[k] = ToPlan(x, ref)
	}
	return out
}

// FromPlan converts a plan value back to Starlark on the host. resolve
// returns the component a Ref points to.
func FromPlan(v plan.Value, resolve func(plan.Ref) starlark.Value) starlark.Value {
	switch v := v.(type) {
	case nil:
		return starlark.None
	case bool:
		return starlark.Bool(v)
	case int64:
		return starlark.MakeInt64(v)
	case float64:
		return starlark.Float(v)
	case string:
		return starlark.String(v)
	case plan.Bytes:
		return starlark.Bytes(v)
	case []plan.Value:
		return starlark.NewList(fromPlanList(v, resolve))
	case plan.Tuple:
		return starlark.Tuple(fromPlanList(v, resolve))
	case *plan.Dict:
		d := starlark.NewDict(len(v.Keys))
		for i := range v.Keys {
			_ = d.SetKey(FromPlan(v.Keys[i], resolve), FromPlan(v.Values[i], resolve))
		}
		return d
	case plan.Address:
		return &Address{addr: v}
	case plan.Ref:
		return resolve(v)
	case *plan.View:
		return viewFromPlan(v, resolve)
	case *plan.Struct:
		return starlarkstruct.FromStringDict(starlarkstruct.Default, fromPlanAttrs(v.Fields, resolve))
	case plan.Blob:
		return newBlob(blobFromPlan(v))
	}
	return &Unsupported{typ: fmt.Sprint(v)}
}

func fromPlanList(v []plan.Value, resolve func(plan.Ref) starlark.Value) []starlark.Value {
	out := make([]starlark.Value, len(v))
	for i, it := range v {
		out[i] = FromPlan(it, resolve)
	}
	return out
}

func fromPlanAttrs(a plan.Attrs, resolve func(plan.Ref) starlark.Value) starlark.StringDict {
	out := make(starlark.StringDict, len(a))
	for k, v := range a {
		out[k] = FromPlan(v, resolve)
	}
	return out
}

// Unsupported stands on the host for a configure-time value that could not
// be sent (a function, say).
type Unsupported struct{ typ string }

func (u *Unsupported) String() string        { return fmt.Sprintf("<%s not available on the host>", u.typ) }
func (u *Unsupported) Type() string          { return string(u.typ) }
func (u *Unsupported) Freeze()               {}
func (u *Unsupported) Truth() starlark.Bool  { return true }
func (u *Unsupported) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: %s", u) }
