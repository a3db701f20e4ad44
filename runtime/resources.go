package runtime

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/batou-go/batou/starlib"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// errWaiting aborts a configure that called require_one for a key nobody
// provides (yet). The root is configured again when the key appears; if it
// never does, the requirement is reported as unsatisfied.
var errWaiting = errors.New("waiting for a provided value")

// provision is one provide() call.
type provision struct {
	root  *Root
	key   string
	value starlark.Value
	pos   syntax.Position
	seq   int
}

// subscription is one require() call of the last configure of a root.
type subscription struct {
	root *Root
	key  string
	opts starlib.RequireOptions
	pos  syntax.Position
	sig  string
}

// registry is the provide/require registry of one Configure run.
type registry struct {
	m        *Model
	provided map[string][]*provision
	subs     map[*Root][]*subscription
	gen      map[*Root]int
	byRoot   map[*starlib.Root]*Root
	history  [][]bool
	seq      int
	errs     Errors
	// diagnosing is set while waiting roots are configured once more to
	// learn what they would provide (see diagnoseWaiting); wouldProvide
	// collects that, nothing else is recorded then.
	diagnosing   bool
	wouldProvide map[string][]*Root
}

func newRegistry(m *Model) *registry {
	return &registry{m: m, provided: map[string][]*provision{}, subs: map[*Root][]*subscription{},
		gen: map[*Root]int{}, byRoot: map[*starlib.Root]*Root{}}
}

// reset forgets what root r provided and required, before it is
// configured again.
func (g *registry) reset(r *Root) {
	if g.diagnosing {
		return
	}
	for key, list := range g.provided {
		kept := list[:0]
		for _, p := range list {
			if p.root != r {
				kept = append(kept, p)
			}
		}
		g.provided[key] = kept
	}
	delete(g.subs, r)
	g.gen[r]++
}

func (g *registry) rootOf(c *starlib.Component) (*Root, error) {
	r := g.byRoot[c.Root()]
	if r == nil {
		return nil, fmt.Errorf("%s does not belong to a root of this environment", c.Label())
	}
	return r, nil
}

// Provide implements starlib.Resources.
func (g *registry) Provide(c *starlib.Component, key string, value starlark.Value, pos syntax.Position) error {
	r, err := g.rootOf(c)
	if err != nil {
		return err
	}
	if g.diagnosing {
		g.wouldProvide[key] = append(g.wouldProvide[key], r)
		return nil
	}
	g.seq++
	g.provided[key] = append(g.provided[key], &provision{root: r, key: key, value: value, pos: pos, seq: g.seq})
	return nil
}

// matching returns the provisions of key visible to opts, in environment
// order: host order, root order, provide order.
func (g *registry) matching(key string, opts starlib.RequireOptions) []*provision {
	var out []*provision
	for _, p := range g.provided[key] {
		if opts.Host == "" || p.root.Host.Name == opts.Host {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].root.index != out[j].root.index {
			return out[i].root.index < out[j].root.index
		}
		return out[i].seq < out[j].seq
	})
	return out
}

// signature identifies the current answer to a requirement of root r:
// which other roots, in which configure generation, provided what. The
// root's own provisions are left out: they are the same in every configure
// of the root (it sees those it made before the require), so they never
// make it configure again.
func (g *registry) signature(r *Root, key string, opts starlib.RequireOptions) string {
	var b strings.Builder
	for _, p := range g.matching(key, opts) {
		if p.root != r {
			fmt.Fprintf(&b, "%d/%d/%d;", p.root.index, g.gen[p.root], p.seq)
		}
	}
	return b.String()
}

// Require implements starlib.Resources.
func (g *registry) Require(c *starlib.Component, key string, opts starlib.RequireOptions, pos syntax.Position) ([]starlark.Value, error) {
	r, err := g.rootOf(c)
	if err != nil {
		return nil, err
	}
	if opts.Host != "" && g.m.host(opts.Host) == nil {
		return nil, fmt.Errorf("require(%q, host=%q): there is no host %s in environment %s", key, opts.Host, opts.Host, g.m.Env.Name)
	}
	found := g.matching(key, opts)
	if g.diagnosing {
		if opts.One && len(found) != 1 {
			return nil, nil // go on as far as the root gets
		}
	} else {
		g.subs[r] = append(g.subs[r], &subscription{root: r, key: key, opts: opts, pos: pos, sig: g.signature(r, key, opts)})
	}
	if opts.One && len(found) > 1 {
		return nil, fmt.Errorf("require_one(%q) found %d values, from %s; hint: use require() for a list, or host=self.host", key, len(found), providerNames(found))
	}
	if opts.One && len(found) == 0 && opts.Strict {
		return nil, errWaiting
	}
	out := make([]starlark.Value, len(found))
	for i, p := range found {
		out[i] = viewOf(p.value)
	}
	return out, nil
}

// viewOf shows a provided value read-only: components as views, lists,
// dicts and sets as frozen copies, also inside each other.
func viewOf(v starlark.Value) starlark.Value { return starlib.ReadOnly(v) }

func providerNames(ps []*provision) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.root.ID()
	}
	return strings.Join(names, ", ")
}

func (m *Model) host(name string) *Host {
	for _, h := range m.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// dirtyRoots returns the roots whose requirements changed since they read
// them (dirty=True requirements excepted).
func (g *registry) dirtyRoots() []bool {
	next := make([]bool, len(g.m.Roots))
	for r, subs := range g.subs {
		for _, s := range subs {
			if !s.opts.Dirty && g.signature(r, s.key, s.opts) != s.sig {
				next[r.index] = true
			}
		}
	}
	return next
}

func setKey(set []bool) string {
	var b strings.Builder
	for i, in := range set {
		if in {
			fmt.Fprintf(&b, "%d,", i)
		}
	}
	return b.String()
}

// remember records the working set of a round.
func (g *registry) remember(set []bool) { g.history = append(g.history, set) }

// seen reports whether an earlier round had the working set set.
func (g *registry) seen(set []bool) bool { return g.firstSeen(set) >= 0 }

func (g *registry) firstSeen(set []bool) int {
	key := setKey(set)
	for i, h := range g.history {
		if setKey(h) == key {
			return i
		}
	}
	return -1
}

// loop returns the roots configured since set was first seen: the roots
// that keep changing each other.
func (g *registry) loop(set []bool) []bool {
	out := append([]bool(nil), set...)
	for _, h := range g.history[max(g.firstSeen(set), 0):] {
		for i, in := range h {
			out[i] = out[i] || in
		}
	}
	return out
}

// diagnoseWaiting configures each root that is still waiting in a
// require_one once more, with empty answers instead of waiting, to learn
// what it would provide. A key that nobody provides but a waiting root
// would is not missing: the roots wait for each other (see unsatisfied).
// The registry and the roots are left as they were.
func (g *registry) diagnoseWaiting() {
	var waiting []*Root
	for _, r := range g.m.Roots {
		if errors.Is(r.err, errWaiting) {
			waiting = append(waiting, r)
		}
	}
	if len(waiting) == 0 {
		return
	}
	g.diagnosing, g.wouldProvide = true, map[string][]*Root{}
	defer func() { g.diagnosing = false }()
	for _, r := range waiting {
		current, err := r.current, r.err
		g.m.configureRoot(r, g)
		r.current, r.err = current, err
	}
}
