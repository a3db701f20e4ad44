package starlib

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"
)

// AttrType is the declared type of an attribute.
type AttrType string

// The attribute types of Attribute(type, ...).
const (
	TypeStr     AttrType = "str"
	TypeInt     AttrType = "int"
	TypeFloat   AttrType = "float"
	TypeBool    AttrType = "bool"
	TypeList    AttrType = "list"
	TypeDict    AttrType = "dict"
	TypeLiteral AttrType = "literal"
	TypeAddress AttrType = "Address"
	TypeBytes   AttrType = "bytes"
	TypeAny     AttrType = "any"
)

// AttrSpec is a declared attribute: the value Attribute() returns.
type AttrSpec struct {
	Name       string
	Kind       AttrType
	Default    starlark.Value
	HasDefault bool
	Expand     bool
	Map        bool
	Doc        string
	// goDefault is Default as a Go value, for built-in kinds.
	goDefault any
	// index numbers the attribute within its definition (see Component.args).
	index int
}

var _ starlark.HasAttrs = (*AttrSpec)(nil)

func (a *AttrSpec) String() string        { return fmt.Sprintf("Attribute(%s)", a.Kind) }
func (a *AttrSpec) Freeze()               {}
func (a *AttrSpec) Truth() starlark.Bool  { return true }
func (a *AttrSpec) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: Attribute") }

// Type implements starlark.Value.
func (a *AttrSpec) Type() string { return "Attribute" }

// Attr exposes the declaration's fields to Starlark.
func (a *AttrSpec) Attr(name string) (starlark.Value, error) {
	switch name {
	case "type":
		return starlark.String(a.Kind), nil
	case "default":
		if !a.HasDefault {
			return starlark.None, nil
		}
		return a.Default, nil
	case "expand":
		return starlark.Bool(a.Expand), nil
	case "map":
		return starlark.Bool(a.Map), nil
	case "doc":
		return starlark.String(a.Doc), nil
	}
	return nil, nil
}

// AttrNames lists the declaration's fields.
func (a *AttrSpec) AttrNames() []string {
	return []string{"default", "doc", "expand", "map", "type"}
}

var attrTypeNames = map[string]AttrType{
	"str": TypeStr, "int": TypeInt, "float": TypeFloat, "bool": TypeBool,
	"list": TypeList, "dict": TypeDict, "literal": TypeLiteral, "Address": TypeAddress,
	"bytes": TypeBytes,
}

// attrTypeOf maps the first argument of Attribute() to an AttrType.
func attrTypeOf(v starlark.Value) (AttrType, error) {
	var name string
	switch v := v.(type) {
	case *starlark.Builtin:
		name = v.Name()
	case starlark.String:
		name = string(v)
	case *addressType:
		name = "Address"
	}
	if t, ok := attrTypeNames[name]; ok {
		return t, nil
	}
	return "", fmt.Errorf("Attribute: type must be one of str, int, float, bool, list, dict, \"literal\" or Address, not %s", v)
}

// attribute implements Attribute(type, default=<none>, expand=False, map=False, doc="").
func attribute(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var typ, def starlark.Value
	spec := &AttrSpec{}
	var doc string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "type", &typ, "default?", &def,
		"expand?", &spec.Expand, "map?", &spec.Map, "doc?", &doc); err != nil {
		return nil, err
	}
	t, err := attrTypeOf(typ)
	if err != nil {
		return nil, err
	}
	spec.Kind, spec.Doc = t, doc
	if def != nil {
		if err := spec.checkDefault(def); err != nil {
			return nil, err
		}
		spec.Default, spec.HasDefault = spec.widen(def), true
	}
	return spec, nil
}

// widen makes an int given for a float attribute a float (as Python
// would compute with it); other values are returned as they are.
func (a *AttrSpec) widen(v starlark.Value) starlark.Value {
	if i, ok := v.(starlark.Int); ok && a.Kind == TypeFloat {
		return i.Float()
	}
	return v
}

// checkDefault accepts defaults of the declared type, None, and strings for
// expanded attributes (they are rendered and converted when read).
func (a *AttrSpec) checkDefault(v starlark.Value) error {
	if _, isStr := v.(starlark.String); isStr && a.Expand {
		return nil
	}
	if err := a.CheckValue(v); err != nil {
		return fmt.Errorf("Attribute: default %s", err)
	}
	return nil
}

// CheckValue reports an error unless v is of the declared type (or None).
func (a *AttrSpec) CheckValue(v starlark.Value) error {
	if v == starlark.None {
		return nil
	}
	ok := true
	switch a.Kind {
	case TypeStr:
		_, ok = v.(starlark.String)
	case TypeInt:
		_, ok = v.(starlark.Int)
	case TypeFloat:
		switch v.(type) {
		case starlark.Float, starlark.Int:
		default:
			ok = false
		}
	case TypeBool:
		_, ok = v.(starlark.Bool)
	case TypeList:
		_, ok = v.(*starlark.List)
	case TypeDict:
		_, ok = v.(*starlark.Dict)
	case TypeAddress:
		_, ok = v.(*Address)
	case TypeBytes:
		switch v.(type) {
		case starlark.Bytes, starlark.String:
		default:
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("must be %s, not %s (%s)", a.Kind, v.Type(), shortRepr(v))
	}
	return nil
}

func shortRepr(v starlark.Value) string {
	s := v.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// sortedNames returns the keys of m in order, for "valid names" hints.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest returns " (did you mean X?)" when a name close to name exists.
func suggest(name string, names []string) string {
	if best := Closest(name, names); best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

// Closest returns the name in names nearest to name (at most two edits
// apart, ignoring case), or "".
func Closest(name string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(strings.ToLower(name), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
