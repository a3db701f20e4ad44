package runtime

import (
	"fmt"
	"sort"
	"strings"
)

// errors returns the resolution errors: unsatisfied and unused keys, and
// dependency cycles, plus a configuration that did not settle.
func (g *registry) errors() Errors {
	out := append(Errors{}, g.errs...)
	out = append(out, g.unsatisfied()...)
	out = append(out, g.unused()...)
	out = append(out, g.cycles()...)
	return out
}

// allSubs returns every subscription in environment order of roots.
func (g *registry) allSubs() []*subscription {
	var out []*subscription
	for _, r := range g.m.Roots {
		out = append(out, g.subs[r]...)
	}
	return out
}

func (g *registry) unsatisfied() Errors {
	type group struct {
		key, host string
		subs      []*subscription
	}
	var groups []*group
	index := map[string]*group{}
	for _, s := range g.allSubs() {
		if !s.opts.Strict || len(g.matching(s.key, s.opts)) > 0 {
			continue
		}
		k := s.key + "\x00" + s.opts.Host
		if index[k] == nil {
			index[k] = &group{key: s.key, host: s.opts.Host}
			groups = append(groups, index[k])
		}
		index[k].subs = append(index[k].subs, s)
	}
	var out Errors
	for _, gr := range groups {
		if waiters := g.waitingProviders(gr.key, gr.host); len(waiters) > 0 {
			out = append(out, waitCycleError(gr.key, waiters, gr.subs))
			continue
		}
		out = append(out, unsatisfiedError(gr.key, gr.host, gr.subs))
	}
	return out
}

// waitingProviders returns the roots that would provide key (on host, if
// set) but never got there, as they wait in a require_one themselves.
func (g *registry) waitingProviders(key, host string) []*Root {
	var out []*Root
	seen := map[*Root]bool{}
	for _, r := range g.wouldProvide[key] {
		if !seen[r] && (host == "" || r.Host.Name == host) {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// waitCycleError reports requirements of key that roots would provide
// after a require_one of their own that is never satisfied: the roots wait
// for each other.
func waitCycleError(key string, providers []*Root, subs []*subscription) *Error {
	var req, by []string
	for _, s := range subs {
		req = append(req, fmt.Sprintf("%s (%s:%d)", s.root.ID(), s.pos.Filename(), s.pos.Line))
	}
	for _, r := range providers {
		by = append(by, r.ID())
	}
	first := subs[0]
	return &Error{File: first.pos.Filename(), Line: int(first.pos.Line), Host: first.root.Host.Name, Component: first.root.Def.Name(),
		Msg: fmt.Sprintf("dependency cycle: %q is provided by %s only after a require_one() there is satisfied, which waits in turn; required by %s",
			key, strings.Join(by, ", "), strings.Join(req, ", ")),
		Hint: "require_one() stops configure until its value exists: provide before calling require_one() in one of the roots, or use require(), which does not wait"}
}

func unsatisfiedError(key, host string, subs []*subscription) *Error {
	where := ""
	if host != "" {
		where = fmt.Sprintf(" on host %s", host)
	}
	var req []string
	for _, s := range subs {
		req = append(req, fmt.Sprintf("%s (%s:%d)", s.root.ID(), s.pos.Filename(), s.pos.Line))
	}
	first := subs[0]
	return &Error{File: first.pos.Filename(), Line: int(first.pos.Line), Host: first.root.Host.Name, Component: first.root.Def.Name(),
		Msg:  fmt.Sprintf("unsatisfied requirement: nobody provides %q%s; required by %s", key, where, strings.Join(req, ", ")),
		Hint: fmt.Sprintf("add a component that calls self.provide(%q, ...) to %s, or pass strict=False", key, hostOrAny(host))}
}

// unused reports provided keys that no requirement asks for. A key that
// is required (on some host) is not unused, even where a provider's value
// is filtered away: that case, if the requirement goes without, is
// reported as unsatisfied.
func (g *registry) unused() Errors {
	var out Errors
	for _, key := range sortedKeys(g.provided) {
		var unread []*provision
		for _, p := range g.provided[key] {
			if !g.isRead(p) {
				unread = append(unread, p)
			}
		}
		if len(unread) > 0 {
			out = append(out, unusedError(key, unread))
		}
	}
	return out
}

func (g *registry) isRead(p *provision) bool {
	for _, s := range g.allSubs() {
		if s.key == p.key {
			return true
		}
	}
	return false
}

func unusedError(key string, ps []*provision) *Error {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].root.index < ps[j].root.index })
	var by []string
	for _, p := range ps {
		by = append(by, fmt.Sprintf("%s (%s:%d)", p.root.ID(), p.pos.Filename(), p.pos.Line))
	}
	first := ps[0]
	return &Error{File: first.pos.Filename(), Line: int(first.pos.Line), Host: first.root.Host.Name, Component: first.root.Def.Name(),
		Msg:  fmt.Sprintf("unused provided value: nobody requires %q; provided by %s", key, strings.Join(dedupStrings(by), ", ")),
		Hint: fmt.Sprintf("remove the provide, or require(%q) where it is needed", key)}
}

func dedupStrings(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// notSettling reports that configure kept changing for the given roots.
func (g *registry) notSettling(set []bool) {
	set = g.loop(set)
	var ids []string
	var first *Root
	for i, in := range set {
		if in {
			r := g.m.Roots[i]
			ids = append(ids, r.ID())
			if first == nil {
				first = r
			}
		}
	}
	// Name the requirements inside the loop: what each root reads from
	// another root of the loop, and where.
	var why []string
	file, line := first.Def.File(), int(first.Def.Pos().Line)
	for _, s := range g.allSubs() {
		if !set[s.root.index] || s.opts.Dirty {
			continue
		}
		for _, p := range g.matching(s.key, s.opts) {
			if p.root != s.root && set[p.root.index] {
				if len(why) == 0 {
					file, line = s.pos.Filename(), int(s.pos.Line)
				}
				why = append(why, fmt.Sprintf("%s requires %q (%s:%d) from %s", s.root.ID(), s.key, s.pos.Filename(), s.pos.Line, p.root.ID()))
				break
			}
		}
	}
	msg := fmt.Sprintf("configuration does not settle: these roots keep changing each other's required values: %s", strings.Join(ids, ", "))
	if len(why) > 0 {
		msg += "; " + strings.Join(why, ", ")
	}
	g.errs = append(g.errs, &Error{Host: first.Host.Name, Component: first.Def.Name(), File: file, Line: line,
		Msg:  msg,
		Hint: "break the loop: require with dirty=True where a stale value is acceptable (and reverse=True to turn the order around)"})
}

func hostOrAny(host string) string {
	if host == "" {
		return "a host"
	}
	return "host " + host
}
