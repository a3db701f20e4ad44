package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/batou-go/batou/runtime"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"go.starlark.net/starlark"
)

// The values batou repl binds (SPEC section 8): environment, hosts (by
// name, each with .components) and resources (provided keys with their
// providers and requirers).

// namespace is a read-only ordered mapping whose keys are also
// attributes: hosts["web1"] and hosts.web1 are the same host.
type namespace struct {
	name   string
	keys   []string
	values map[string]starlark.Value
}

var (
	_ starlark.Mapping  = (*namespace)(nil)
	_ starlark.HasAttrs = (*namespace)(nil)
	_ starlark.Iterable = (*namespace)(nil)
	_ starlark.Sequence = (*namespace)(nil)
)

func newNamespace(name string) *namespace {
	return &namespace{name: name, values: map[string]starlark.Value{}}
}

func (n *namespace) add(key string, v starlark.Value) {
	if _, dup := n.values[key]; !dup {
		n.keys = append(n.keys, key)
	}
	n.values[key] = v
}

func (n *namespace) String() string {
	return fmt.Sprintf("<%s: %s>", n.name, strings.Join(n.keys, ", "))
}
func (n *namespace) Type() string          { return n.name }
func (n *namespace) Freeze()               {}
func (n *namespace) Truth() starlark.Bool  { return len(n.keys) > 0 }
func (n *namespace) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: %s", n.name) }
func (n *namespace) Len() int              { return len(n.keys) }

// Get implements x[key].
func (n *namespace) Get(k starlark.Value) (starlark.Value, bool, error) {
	s, ok := k.(starlark.String)
	if !ok {
		return nil, false, fmt.Errorf("%s keys are strings, not %s", n.name, k.Type())
	}
	v, found := n.values[string(s)]
	if !found {
		return nil, false, fmt.Errorf("%s has no %q%s; it has %s", n.name, string(s),
			suggestion(string(s), n.keys), strings.Join(n.keys, ", "))
	}
	return v, true, nil
}

// Attr implements x.key, and keys(), values(), items().
func (n *namespace) Attr(name string) (starlark.Value, error) {
	if v, ok := n.values[name]; ok {
		return v, nil
	}
	switch name {
	case "keys":
		return n.method(name, func() starlark.Value { return n.keyList() }), nil
	case "values":
		return n.method(name, func() starlark.Value {
			out := make([]starlark.Value, len(n.keys))
			for i, k := range n.keys {
				out[i] = n.values[k]
			}
			return starlark.NewList(out)
		}), nil
	case "items":
		return n.method(name, func() starlark.Value {
			out := make([]starlark.Value, len(n.keys))
			for i, k := range n.keys {
				out[i] = starlark.Tuple{starlark.String(k), n.values[k]}
			}
			return starlark.NewList(out)
		}), nil
	}
	return nil, starlib.MissingAttr(fmt.Sprintf("%s has no %s%s; it has %s", n.name, name,
		suggestion(name, n.keys), strings.Join(n.keys, ", ")))
}

func (n *namespace) method(name string, fn func() starlark.Value) *starlark.Builtin {
	return starlark.NewBuiltin(name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 0); err != nil {
			return nil, err
		}
		return fn(), nil
	})
}

func (n *namespace) keyList() *starlark.List {
	out := make([]starlark.Value, len(n.keys))
	for i, k := range n.keys {
		out[i] = starlark.String(k)
	}
	return starlark.NewList(out)
}

// AttrNames lists the keys that are names, and the methods.
func (n *namespace) AttrNames() []string {
	names := []string{"items", "keys", "values"}
	for _, k := range n.keys {
		if isIdent(k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// Iterate iterates over the keys, as a dict does.
func (n *namespace) Iterate() starlark.Iterator { return n.keyList().Iterate() }

func isIdent(s string) bool {
	for i, r := range s {
		letter := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}

// replHost is a host of the environment in the REPL.
type replHost struct {
	h          *runtime.Host
	components *namespace
}

var _ starlark.HasAttrs = (*replHost)(nil)

func (h *replHost) String() string {
	names := make([]string, len(h.h.Roots))
	for i, r := range h.h.Roots {
		names[i] = bang(r.Ignore) + r.Name
	}
	return fmt.Sprintf("<host %s%s: %s>", bang(h.h.Ignore), h.h.Name, strings.Join(names, ", "))
}
func (h *replHost) Type() string          { return "host" }
func (h *replHost) Freeze()               {}
func (h *replHost) Truth() starlark.Bool  { return true }
func (h *replHost) Hash() (uint32, error) { return starlark.String(h.h.Name).Hash() }

var replHostAttrs = []string{"components", "data", "fqdn", "ignored", "name", "platform", "target_directory"}

// Attr returns a fact of the host or its components.
func (h *replHost) Attr(name string) (starlark.Value, error) {
	switch name {
	case "components":
		return h.components, nil
	case "data":
		d := starlark.NewDict(len(h.h.Info.Data))
		for _, k := range sortedKeys(h.h.Info.Data) {
			_ = d.SetKey(starlark.String(k), starlark.String(h.h.Info.Data[k]))
		}
		d.Freeze()
		return d, nil
	case "fqdn":
		return starlark.String(h.h.Info.FQDN), nil
	case "ignored":
		return starlark.Bool(h.h.Ignore), nil
	case "name":
		return starlark.String(h.h.Name), nil
	case "platform":
		return starlark.String(h.h.Info.Platform), nil
	case "target_directory":
		return starlark.String(h.h.TargetDirectory), nil
	}
	return nil, starlib.MissingAttr(fmt.Sprintf("host has no attribute %s%s (it has %s)", name,
		suggestion(name, replHostAttrs), strings.Join(replHostAttrs, ", ")))
}

// AttrNames lists the host's facts.
func (h *replHost) AttrNames() []string { return replHostAttrs }

// replResource is a provided or required key in the REPL.
type replResource struct {
	m   *runtime.Model
	res *runtime.Resource
}

var _ starlark.HasAttrs = (*replResource)(nil)

func (r *replResource) String() string {
	var prov, req []string
	for _, p := range r.res.Provided {
		prov = append(prov, p.Root.ID())
	}
	for _, q := range r.res.Required {
		req = append(req, q.Root.ID())
	}
	return fmt.Sprintf("<resource %s: provided by %s; required by %s>", r.res.Key, orNobody(prov), orNobody(req))
}

func orNobody(ids []string) string {
	if len(ids) == 0 {
		return "nobody"
	}
	return strings.Join(ids, ", ")
}

func (r *replResource) Type() string          { return "resource" }
func (r *replResource) Freeze()               {}
func (r *replResource) Truth() starlark.Bool  { return true }
func (r *replResource) Hash() (uint32, error) { return starlark.String(r.res.Key).Hash() }

var replResourceAttrs = []string{"key", "providers", "requirers", "values"}

// Attr returns the key, the providing and requiring roots' components,
// or the provided values.
func (r *replResource) Attr(name string) (starlark.Value, error) {
	var out []starlark.Value
	switch name {
	case "key":
		return starlark.String(r.res.Key), nil
	case "providers":
		for _, p := range r.res.Provided {
			out = append(out, topOrNone(p.Root))
		}
	case "requirers":
		for _, q := range r.res.Required {
			out = append(out, topOrNone(q.Root))
		}
	case "values":
		for _, p := range r.res.Provided {
			out = append(out, starlib.ReadOnly(p.Value))
		}
	default:
		return nil, starlib.MissingAttr(fmt.Sprintf("resource has no attribute %s%s (it has %s)", name,
			suggestion(name, replResourceAttrs), strings.Join(replResourceAttrs, ", ")))
	}
	l := starlark.NewList(out)
	l.Freeze()
	return l, nil
}

// AttrNames lists the resource's fields.
func (r *replResource) AttrNames() []string { return replResourceAttrs }

func topOrNone(r *runtime.Root) starlark.Value {
	if top := r.Top(); top != nil {
		return top
	}
	return starlark.None
}

// replGlobals returns what the REPL binds: the library (as in .star
// files), environment, hosts, resources and the REPL's own functions.
func replGlobals(m *runtime.Model, out *replOutput) starlark.StringDict {
	g := starlark.StringDict{}
	for k, v := range m.Project.Session.Predeclared() {
		g[k] = v
	}
	e := m.Env
	g["environment"] = starlib.NewEnvironment(plan.EnvInfo{Name: e.Name, HostDomain: e.HostDomain, Platform: e.Platform,
		TargetDirectory: e.TargetDirectory, ConnectMethod: e.ConnectMethod}, nil)
	hosts := newNamespace("hosts")
	for _, h := range m.Hosts {
		comps := newNamespace("components")
		for _, r := range h.Roots {
			comps.add(r.Name, topOrNone(r))
		}
		hosts.add(h.Name, &replHost{h: h, components: comps})
	}
	g["hosts"] = hosts
	resources := newNamespace("resources")
	for _, res := range m.Resources() {
		resources.add(res.Key, &replResource{m: m, res: res})
	}
	g["resources"] = resources
	for name, fn := range replFunctions(m, out) {
		g[name] = starlark.NewBuiltin(name, fn)
	}
	return g
}
