package runtime

import (
	"sort"

	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// This file answers questions about a configured model for people: what
// value an attribute has and where it came from, who provides and
// requires what. batou repl and batou show use it.

// Top returns the root's configured top component, nil when configure did
// not start.
func (r *Root) Top() *starlib.Component {
	if r.current == nil {
		return nil
	}
	return r.current.Top
}

// Err returns the error of the root's last configure, nil when it
// succeeded.
func (r *Root) Err() error { return r.err }

// AttrInfo describes one attribute of a configured component.
type AttrInfo struct {
	Name string
	// Type is the declared type; "" for an attribute that is only set.
	Type string
	Doc  string
	// Value is nil when reading the attribute failed (Err says why).
	Value starlark.Value
	Err   error
	// Origin says where the value came from.
	Origin starlib.Origin
	// Secret is set when the value comes from the secrets or shows a
	// secret value: it must be shown masked.
	Secret bool
	// ProvidedBy lists the roots ("name@host") whose components the value
	// holds: values that came in through require().
	ProvidedBy []string
}

// Attributes describes every declared or set attribute of c, by name.
// Reading a declared attribute that was never read computes its default,
// as configure would have.
func (m *Model) Attributes(c *starlib.Component) []AttrInfo {
	seen := map[string]bool{}
	var names []string
	for _, n := range c.Def().AttrNames() {
		seen[n] = true
		names = append(names, n)
	}
	for _, n := range c.SetNames() {
		if !seen[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := make([]AttrInfo, 0, len(names))
	for _, n := range names {
		info, _ := m.Attribute(c, n)
		out = append(out, info)
	}
	return out
}

// Attribute describes attribute name of c; ok is false when c neither
// declares nor has it.
func (m *Model) Attribute(c *starlib.Component, name string) (info AttrInfo, ok bool) {
	spec := c.Def().Spec(name)
	if spec == nil && !c.HasValue(name) {
		return AttrInfo{Name: name}, false
	}
	info = AttrInfo{Name: name, Origin: c.Origin(name)}
	if spec != nil {
		info.Type, info.Doc = string(spec.Kind), spec.Doc
	}
	info.Value, info.Err = c.Attr(name)
	if info.Err == nil {
		info.Secret = info.Origin.Kind == starlib.FromSecret || m.showsSecret(info.Value)
		info.ProvidedBy = m.providersIn(info.Value)
		if len(info.ProvidedBy) == 0 && info.Origin.Kind == starlib.FromConfigure {
			info.ProvidedBy = m.requiredAt(c, info.Origin.Pos)
		}
	}
	return info, true
}

// requiredAt returns the providers of what c's root required on the line
// of pos: the value of `self.x = self.require("key")` came from them,
// whatever it is (an address, a string) .
func (m *Model) requiredAt(c *starlib.Component, pos syntax.Position) []string {
	r := m.RootOf(c)
	if r == nil || m.resolution == nil {
		return nil
	}
	var out []string
	for _, s := range m.resolution.subs[r] {
		if s.pos.Filename() == pos.Filename() && s.pos.Line == pos.Line {
			for _, p := range m.requirement(s).Providers {
				out = append(out, p.ID())
			}
		}
	}
	return out
}

// Mask replaces every secret value in s by ***.
func (m *Model) Mask(s string) string { return m.Sensitive.Mask(s) }

// MaskValue shows v as Starlark does, with secrets masked: also a short
// secret that is a whole string inside a list or dict.
func (m *Model) MaskValue(v starlark.Value) string {
	if m.Sensitive.Len() == 0 {
		return v.String()
	}
	return m.Mask(m.maskedCopy(v, 0).String())
}

// maskedCopy returns v with every string that is or holds a secret
// masked, inside lists, tuples and dicts too.
func (m *Model) maskedCopy(v starlark.Value, depth int) starlark.Value {
	if depth > 8 {
		return v
	}
	switch v := v.(type) {
	case starlark.String:
		return starlark.String(m.Mask(string(v)))
	case *starlark.List:
		items := make([]starlark.Value, v.Len())
		for i := range items {
			items[i] = m.maskedCopy(v.Index(i), depth+1)
		}
		return starlark.NewList(items)
	case starlark.Tuple:
		items := make(starlark.Tuple, len(v))
		for i := range v {
			items[i] = m.maskedCopy(v[i], depth+1)
		}
		return items
	case *starlark.Dict:
		d := starlark.NewDict(v.Len())
		for _, kv := range v.Items() {
			_ = d.SetKey(m.maskedCopy(kv[0], depth+1), m.maskedCopy(kv[1], depth+1))
		}
		return d
	}
	return v
}

// showsSecret reports whether v is, holds or shows a secret value.
func (m *Model) showsSecret(v starlark.Value) bool {
	if m.Sensitive.Len() == 0 {
		return false
	}
	found := false
	walkStrings(v, 0, func(s string) { found = found || m.Sensitive.Touches(s) })
	return found || m.Sensitive.Touches(v.String())
}

// walkStrings calls fn for every string inside v.
func walkStrings(v starlark.Value, depth int, fn func(string)) {
	if depth > 8 {
		return
	}
	switch v := v.(type) {
	case starlark.String:
		fn(string(v))
	case *starlark.List:
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), depth+1, fn)
		}
	case starlark.Tuple:
		for _, x := range v {
			walkStrings(x, depth+1, fn)
		}
	case *starlark.Dict:
		for _, kv := range v.Items() {
			walkStrings(kv[0], depth+1, fn)
			walkStrings(kv[1], depth+1, fn)
		}
	}
}

// providersIn returns the roots of the provided components inside v, in
// the order they appear, each once.
func (m *Model) providersIn(v starlark.Value) []string {
	var out []string
	seen := map[string]bool{}
	walkValue(v, 0, func(c *starlib.Component) {
		if r := m.RootOf(c); r != nil && !seen[r.ID()] {
			seen[r.ID()] = true
			out = append(out, r.ID())
		}
	})
	return out
}

// walkValue calls fn for the component behind every view inside v.
func walkValue(v starlark.Value, depth int, fn func(*starlib.Component)) {
	if depth > 8 {
		return
	}
	switch v := v.(type) {
	case *starlib.View:
		if c := v.Component(); c != nil {
			fn(c)
		}
	case *starlark.List:
		for i := 0; i < v.Len(); i++ {
			walkValue(v.Index(i), depth+1, fn)
		}
	case starlark.Tuple:
		for _, x := range v {
			walkValue(x, depth+1, fn)
		}
	case *starlark.Dict:
		for _, kv := range v.Items() {
			walkValue(kv[1], depth+1, fn)
		}
	}
}

// RootOf returns the root whose configured tree holds c, or nil.
func (m *Model) RootOf(c *starlib.Component) *Root {
	for _, r := range m.Roots {
		if r.current != nil && r.current == c.Root() {
			return r
		}
	}
	return nil
}

// Provision is one provide() of a root's last configure.
type Provision struct {
	Root  *Root
	Value starlark.Value
	Pos   syntax.Position
}

// Requirement is one require() or require_one() of a root's last
// configure.
type Requirement struct {
	Root *Root
	Pos  syntax.Position
	// Host is the host filter, "" for none.
	Host                        string
	Strict, Reverse, Dirty, One bool
	// Providers are the roots whose values the call returned.
	Providers []*Root
}

// Resource is a key that is provided or required.
type Resource struct {
	Key      string
	Provided []Provision
	Required []Requirement
}

// Resources returns every provided or required key, sorted, with its
// providers and requirers in environment order. It is empty before
// Configure.
func (m *Model) Resources() []*Resource {
	g := m.resolution
	if g == nil {
		return nil
	}
	byKey := map[string]*Resource{}
	get := func(key string) *Resource {
		if byKey[key] == nil {
			byKey[key] = &Resource{Key: key}
		}
		return byKey[key]
	}
	for key := range g.provided {
		for _, p := range g.matching(key, starlib.RequireOptions{}) {
			res := get(key)
			res.Provided = append(res.Provided, Provision{Root: p.root, Value: p.value, Pos: p.pos})
		}
	}
	for _, s := range g.allSubs() {
		res := get(s.key)
		res.Required = append(res.Required, m.requirement(s))
	}
	out := make([]*Resource, 0, len(byKey))
	for _, k := range sortedKeys(byKey) {
		out = append(out, byKey[k])
	}
	return out
}

func (m *Model) requirement(s *subscription) Requirement {
	req := Requirement{Root: s.root, Pos: s.pos, Host: s.opts.Host, Strict: s.opts.Strict,
		Reverse: s.opts.Reverse, Dirty: s.opts.Dirty, One: s.opts.One}
	seen := map[*Root]bool{}
	for _, p := range m.resolution.matching(s.key, s.opts) {
		if !seen[p.root] {
			seen[p.root] = true
			req.Providers = append(req.Providers, p.root)
		}
	}
	return req
}

// DependsOn returns the roots r waits for when deploying (its providers,
// or its requirers for reverse=True), in environment order.
func (m *Model) DependsOn(r *Root) []*Root {
	if m.resolution == nil {
		return nil
	}
	var out []*Root
	for _, i := range m.resolution.deps()[r.index] {
		out = append(out, m.Roots[i])
	}
	return out
}

// MaskMap returns in with secret values masked.
func (m *Model) MaskMap(in map[string]string) map[string]string {
	if m.Sensitive.Len() == 0 || len(in) == 0 {
		return in
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = m.Mask(v)
		if m.Sensitive.Is(v) {
			out[k] = plan.Masked
		}
	}
	return out
}

// Freeze makes every configured component and its values read-only, so
// that exploring the model cannot change it.
func (m *Model) Freeze() {
	for _, r := range m.Roots {
		if top := r.Top(); top != nil {
			freezeTree(top)
		}
	}
}

func freezeTree(c *starlib.Component) {
	c.Freeze()
	for _, n := range c.SetNames() {
		if v, err := c.Attr(n); err == nil {
			v.Freeze()
		}
	}
	for _, sub := range c.Children() {
		freezeTree(sub)
	}
}
