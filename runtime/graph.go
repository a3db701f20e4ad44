package runtime

import (
	"fmt"
	"sort"
	"strings"

	"github.com/batou-go/batou/runtime/plan"
)

// edge says that root from depends on root to because of a requirement.
type edge struct {
	from, to *Root
	sub      *subscription
}

// edges returns the dependencies between roots: a requirer depends on the
// providers it reads (reverse=True turns that around). A root that
// requires its own key does not depend on itself.
func (g *registry) edges() []edge {
	var out []edge
	seen := map[[2]int]bool{}
	for _, s := range g.allSubs() {
		for _, p := range g.matching(s.key, s.opts) {
			if p.root == s.root {
				continue
			}
			e := edge{from: s.root, to: p.root, sub: s}
			if s.opts.Reverse {
				e.from, e.to = p.root, s.root
			}
			k := [2]int{e.from.index, e.to.index}
			if !seen[k] {
				seen[k] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// deps maps each root index to the sorted indices it depends on.
func (g *registry) deps() [][]int {
	out := make([][]int, len(g.m.Roots))
	for _, e := range g.edges() {
		out[e.from.index] = append(out[e.from.index], e.to.index)
	}
	for _, d := range out {
		sort.Ints(d)
	}
	return out
}

// cycles reports every dependency cycle, each listed with the requirements
// that form it.
func (g *registry) cycles() Errors {
	deps := g.deps()
	var out Errors
	for _, comp := range stronglyConnected(deps) {
		if len(comp) > 1 {
			out = append(out, g.cycleError(comp, deps))
		}
	}
	return out
}

func (g *registry) cycleError(comp []int, deps [][]int) *Error {
	in := map[int]bool{}
	for _, i := range comp {
		in[i] = true
	}
	path := cyclePath(comp[0], deps, in)
	names := make([]string, len(path))
	for i, idx := range path {
		names[i] = g.m.Roots[idx].ID()
	}
	var why []string
	first := g.m.Roots[comp[0]]
	file, line := first.Def.File(), int(first.Def.Pos().Line)
	for _, e := range g.edges() {
		if in[e.from.index] && in[e.to.index] {
			if len(why) == 0 {
				file, line = e.sub.pos.Filename(), int(e.sub.pos.Line)
			}
			why = append(why, fmt.Sprintf("%s requires %q (%s:%d)", e.sub.root.ID(), e.sub.key, e.sub.pos.Filename(), e.sub.pos.Line))
		}
	}
	return &Error{Host: first.Host.Name, Component: first.Def.Name(), File: file, Line: line,
		Msg:  fmt.Sprintf("dependency cycle: %s; %s", strings.Join(names, " -> "), strings.Join(dedupStrings(why), ", ")),
		Hint: "break it with reverse=True on one of the requirements (and dirty=True if configure must not repeat)"}
}

// cyclePath finds a path from start back to start inside the component.
func cyclePath(start int, deps [][]int, in map[int]bool) []int {
	prev := map[int]int{}
	queue := []int{start}
	visited := map[int]bool{start: true}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range deps[n] {
			if d == start {
				return append(walkBack(prev, n, start), start)
			}
			if in[d] && !visited[d] {
				visited[d], prev[d] = true, n
				queue = append(queue, d)
			}
		}
	}
	return []int{start}
}

func walkBack(prev map[int]int, n, start int) []int {
	path := []int{n}
	for n != start {
		n = prev[n]
		path = append([]int{n}, path...)
	}
	return path
}

// stronglyConnected returns the strongly connected components of the graph
// (Tarjan), each sorted, in order of their smallest member.
func stronglyConnected(deps [][]int) [][]int {
	t := &tarjan{deps: deps, index: make([]int, len(deps)), low: make([]int, len(deps)), on: make([]bool, len(deps))}
	for i := range t.index {
		t.index[i] = -1
	}
	for i := range deps {
		if t.index[i] < 0 {
			t.visit(i)
		}
	}
	for _, c := range t.out {
		sort.Ints(c)
	}
	sort.Slice(t.out, func(i, j int) bool { return t.out[i][0] < t.out[j][0] })
	return t.out
}

type tarjan struct {
	deps       [][]int
	index, low []int
	on         []bool
	stack      []int
	next       int
	out        [][]int
}

func (t *tarjan) visit(v int) {
	t.index[v], t.low[v] = t.next, t.next
	t.next++
	t.stack = append(t.stack, v)
	t.on[v] = true
	for _, w := range t.deps[v] {
		if t.index[w] < 0 {
			t.visit(w)
			t.low[v] = min(t.low[v], t.low[w])
		} else if t.on[w] {
			t.low[v] = min(t.low[v], t.index[w])
		}
	}
	if t.low[v] != t.index[v] {
		return
	}
	var comp []int
	for {
		w := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		t.on[w] = false
		comp = append(comp, w)
		if w == v {
			break
		}
	}
	t.out = append(t.out, comp)
}

// Schedule returns the deploy order of all roots across hosts.
func (m *Model) Schedule() *plan.Schedule {
	s := &plan.Schedule{}
	var deps [][]int
	if m.resolution != nil {
		deps = m.resolution.deps()
	}
	for i, r := range m.Roots {
		sr := plan.ScheduledRoot{Host: r.Host.Name, Root: r.Name, Ignored: r.Ignore, HostIgnored: r.Host.Ignore}
		if deps != nil {
			sr.After = deps[i]
		}
		s.Roots = append(s.Roots, sr)
	}
	return s
}
