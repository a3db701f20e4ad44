package agent

import (
	"maps"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
)

// kindAttrs converts plan attributes to the plain Go values built-in kinds
// take, filling in the kind's defaults (the plan leaves them out). The
// defaults are worked out once per deploy and cloned for each component:
// cloning a small map is cheaper than filling a new one. Used by the
// walker's goroutine only.
func (d *deployer) kindAttrs(k *components.Kind, a plan.Attrs) components.Attrs {
	return withDefaults(d.kindDefaults(k), a)
}

// kindDefaults returns the default attributes of k (made once per
// deploy; never changed after).
func (d *deployer) kindDefaults(k *components.Kind) components.Attrs {
	def, ok := d.defaults[k]
	if !ok {
		def = make(components.Attrs, len(k.Attrs))
		for _, at := range k.Attrs {
			def[at.Name] = at.Default
		}
		if d.defaults == nil {
			d.defaults = map[*components.Kind]components.Attrs{}
		}
		d.defaults[k] = def
	}
	return def
}

// withDefaults returns a's attributes as Go values over the defaults def.
// It only reads def (several goroutines may share it).
func withDefaults(def components.Attrs, a plan.Attrs) components.Attrs {
	out := maps.Clone(def)
	for name, v := range a {
		out[name] = goValue(v)
	}
	return out
}

// withDefaultsIn is withDefaults in dst, a map that nothing else keeps
// and that holds nothing or what a call of withDefaultsIn with the same
// def returned: only a first call (dst nil) makes a map.
func withDefaultsIn(dst, def components.Attrs, a plan.Attrs) components.Attrs {
	if dst == nil {
		return withDefaults(def, a)
	}
	if len(dst) != len(def) {
		clear(dst) // a's attributes of the last call were not all in def
	}
	maps.Copy(dst, def) // dst holds def's names only now (or nothing)
	for name, v := range a {
		dst[name] = goValue(v)
	}
	return dst
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
