package runtime

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/batou-go/batou/starlib"
)

// A path managed twice with different desired states never converges: each
// deploy rewrites what the other component wrote (or, in batou, verify and
// update chase each other). pathConflicts finds such paths on each host,
// before anything is compiled, so that the deploy never starts.

// pathClaim is what one built-in component wants of one host path.
type pathClaim struct {
	root  *Root
	comp  *starlib.Component // the built-in leaf (Content('x'))
	owner *starlib.Component // the component the user wrote (File('x'))
	kind  string
	ftype string // the file type the component ensures ("" when it does not)
}

// pathConflicts returns one error per path of a host that two components
// manage with different desired states. Claims that are exactly the same
// (the same directory ensured twice) are no conflict.
func (m *Model) pathConflicts() Errors {
	var out Errors
	for _, h := range m.Hosts {
		n := 0
		for _, r := range h.Roots {
			if r.current != nil && !r.Ignore {
				n += countClaims(r.current.Top)
			}
		}
		// Most paths have two claims (a File's Presence and Content).
		cs := claimSet{first: make(map[string]int32, n/2), claims: make([]claimRef, 0, n)}
		for _, r := range h.Roots {
			if r.current != nil && !r.Ignore {
				cs.walk(r, r.current.Top)
			}
		}
		out = append(out, cs.conflicts(h)...)
	}
	return out
}

// countClaims counts c and the components below it that may claim a
// path (see walk).
func countClaims(c *starlib.Component) int {
	n := 0
	if writesPath(c) {
		n++
	}
	for _, ch := range c.Children() {
		n += countClaims(ch)
	}
	return n
}

// writesPath reports whether c is of a built-in kind that manages the
// path its kind names in Writes.
func writesPath(c *starlib.Component) bool {
	k := c.Def().Kind()
	return k != nil && k.Verify != nil && k.Writes != ""
}

// claimSet collects the claims of one host by path. The claims on a path
// are a chain through next, so that a path costs no allocation of its
// own; most paths are claimed by one File only (its Presence and its
// Content), and only a path with claims of several components is looked
// at closer.
type claimSet struct {
	first  map[string]int32 // index of the first claim on a path
	claims []claimRef
	// given and clean are the last path cleaned and its clean form: a
	// File's Presence and Content claim the same path one after the other.
	given, clean string
}

// claimRef is a built-in component that manages a path, and the index of
// the next claim on the same path (0: none; a first claim is never a
// next one). The head of a chain knows its last claim.
type claimRef struct {
	root       *Root
	comp       *starlib.Component
	path       string
	next, last int32
	head       bool
}

// walk adds the claims of every built-in component below c that manages
// a path (the attribute its kind names in Writes).
func (cs *claimSet) walk(r *Root, c *starlib.Component) {
	if writesPath(c) {
		if p, ok := c.StringAttr(c.Def().Kind().Writes); ok && p != "" {
			if p != cs.given {
				cs.given, cs.clean = p, filepath.Clean(p)
			}
			cs.add(r, c, cs.clean)
		}
	}
	for _, ch := range c.Children() {
		cs.walk(r, ch)
	}
}

func (cs *claimSet) add(r *Root, c *starlib.Component, path string) {
	i := int32(len(cs.claims))
	f, ok := cs.first[path]
	if ok {
		cs.claims[cs.claims[f].last].next = i
		cs.claims[f].last = i
	} else {
		cs.first[path] = i
	}
	cs.claims = append(cs.claims, claimRef{root: r, comp: c, path: path, last: i, head: !ok})
}

// conflicts returns the conflicts of the paths claimed by several
// components, in the order the paths were first claimed.
func (cs *claimSet) conflicts(h *Host) Errors {
	var out Errors
	for f := range cs.claims {
		head := &cs.claims[f]
		if !head.head || head.next == 0 || !cs.severalOwners(int32(f)) {
			continue
		}
		var claims []pathClaim
		for i := int32(f); ; i = cs.claims[i].next {
			claims = append(claims, claimOf(cs.claims[i].root, cs.claims[i].comp))
			if cs.claims[i].next == 0 {
				break
			}
		}
		if e := conflictOf(h, head.path, claims); e != nil {
			out = append(out, e)
		}
	}
	return out
}

// severalOwners reports whether the claims of the chain from f belong to
// more than one component the user wrote (one File may claim a path
// twice: no conflict).
func (cs *claimSet) severalOwners(f int32) bool {
	owner := userComponent(cs.claims[f].comp)
	for i := cs.claims[f].next; i != 0; i = cs.claims[i].next {
		if userComponent(cs.claims[i].comp) != owner {
			return true
		}
	}
	return false
}

// claimOf is the claim of the built-in component c of root r.
func claimOf(r *Root, c *starlib.Component) pathClaim {
	k := c.Def().Kind()
	return pathClaim{root: r, comp: c, owner: userComponent(c), kind: k.Name, ftype: fileType(k.Name, c)}
}

// userComponent is the outermost built-in ancestor of c (File('x') for its
// Content('x')): the component the user wrote.
func userComponent(c *starlib.Component) *starlib.Component {
	for c.Parent() != nil && c.Parent().Def().Kind() != nil {
		c = c.Parent()
	}
	return c
}

// stateOf is a canonical form of c's attributes (without the label).
func stateOf(c *starlib.Component) string {
	vals := c.Values()
	names := make([]string, 0, len(vals))
	for n := range vals {
		if n != "_display" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s=%s;", n, vals[n].String())
	}
	return b.String()
}

// fileType is the type of file a kind makes of its path: two components
// that disagree on it fight over the path even when their kinds differ.
func fileType(kind string, c *starlib.Component) string {
	switch kind {
	case "Presence":
		if s, ok := c.StringAttr("ensure"); ok {
			return s
		}
		return "file"
	case "Directory":
		return "directory"
	case "Symlink":
		return "symlink"
	}
	return ""
}

// conflictOf reports the first pair of claims on path that disagree.
func conflictOf(h *Host, path string, cs []pathClaim) *Error {
	for i := 1; i < len(cs); i++ {
		for j := 0; j < i; j++ {
			a, b := cs[j], cs[i]
			if a.owner == b.owner {
				continue // one component (File with ensure) may claim a path twice
			}
			what := ""
			switch {
			case a.ftype != "" && b.ftype != "" && a.ftype != b.ftype:
				what = fmt.Sprintf("one wants a %s, the other a %s", a.ftype, b.ftype)
			case a.kind == b.kind && stateOf(a.comp) != stateOf(b.comp):
				what = fmt.Sprintf("their %s differs", strings.ToLower(a.kind))
			}
			if what != "" {
				return conflictError(h, path, a, b, what)
			}
		}
	}
	return nil
}

func conflictError(h *Host, path string, a, b pathClaim, what string) *Error {
	scope := "root " + a.root.Name
	if a.root != b.root {
		scope = fmt.Sprintf("roots %s and %s", a.root.Name, b.root.Name)
	}
	return &Error{Host: h.Name, Component: a.owner.Path(), File: a.owner.Pos().Filename(), Line: int(a.owner.Pos().Line),
		Msg: fmt.Sprintf("%s is managed twice (%s), and %s: here and by %s at %s",
			path, scope, what, b.owner.Path(), posString(b.owner)),
		Hint: "a path can have one desired state: keep one of the two components, " +
			"or give them different paths; each deploy would otherwise undo the other"}
}

func posString(c *starlib.Component) string {
	return fmt.Sprintf("%s:%d", c.Pos().Filename(), c.Pos().Line)
}
