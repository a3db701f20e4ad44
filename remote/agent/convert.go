package agent

import (
	"maps"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
)

// kindAttrs converts plan attributes to the plain Go values built-in kinds
// take, filling in the kind's defaults (the plan leaves them out).
func kindAttrs(k *components.Kind, a plan.Attrs) components.Attrs {
	return kindAttrsFrom(kindDefaults(k), a)
}

// kindDefaults returns the defaults of k's declared attributes.
func kindDefaults(k *components.Kind) components.Attrs {
	out := make(components.Attrs, len(k.Attrs))
	for _, at := range k.Attrs {
		out[at.Name] = at.Default
	}
	return out
}

// kindAttrsFrom is kindAttrs with the kind's defaults given (a copy of
// them is filled in: cloning a map is cheaper than filling a new one).
func kindAttrsFrom(defaults components.Attrs, a plan.Attrs) components.Attrs {
	out := maps.Clone(defaults)
	for name, v := range a {
		out[name] = goValue(v)
	}
	return out
}

// kindAttrs converts n's attributes for the built-in kind k, with k's
// defaults worked out once per deploy.
func (d *deployer) kindAttrs(k *components.Kind, a plan.Attrs) components.Attrs {
	def, ok := d.defaults[k]
	if !ok {
		if d.defaults == nil {
			d.defaults = map[*components.Kind]components.Attrs{}
		}
		def = kindDefaults(k)
		d.defaults[k] = def
	}
	return kindAttrsFrom(def, a)
}

func goValue(v plan.Value) any {
	switch v := v.(type) {
	case nil, bool, int64, float64, string:
		return v
	case plan.Bytes:
		return []byte(v)
	case []plan.Value:
		return goList(v)
	case plan.Tuple:
		return goList(v)
	case *plan.Dict:
		m := make(map[string]any, len(v.Keys))
		for i, k := range v.Keys {
			if s, ok := k.(string); ok {
				m[s] = goValue(v.Values[i])
			}
		}
		return m
	case plan.Address:
		return v.String()
	case *plan.Struct:
		return goAttrsMap(v.Fields)
	case plan.Blob:
		return components.Blob{SHA256: v.SHA256, Size: v.Size}
	}
	return nil
}

func goList(v []plan.Value) []any {
	out := make([]any, len(v))
	for i, it := range v {
		out[i] = goValue(it)
	}
	return out
}

func goAttrsMap(a plan.Attrs) map[string]any {
	m := make(map[string]any, len(a))
	for k, v := range a {
		m[k] = goValue(v)
	}
	return m
}
