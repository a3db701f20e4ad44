package jinja

import (
	"errors"
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

func (r *renderer) execFor(st *forStmt, s *scope) error {
	if st.consts != nil { // what loopItems would make: the constants
		return r.runLoop(st, s, st.consts, 1)
	}
	items, err := r.loopItems(st.iter, s)
	if err != nil {
		return err
	}
	return r.runLoop(st, s, items, 1)
}

// loopItems evaluates the iterable of a for loop and returns its items.
// A list or tuple written in the loop is not made: nothing but the loop
// sees it, and its items are what iterating it gives.
func (r *renderer) loopItems(x expr, s *scope) (starlark.Indexable, error) {
	var items []starlark.Value
	var err error
	switch x := x.(type) {
	case *listExpr:
		items, err = r.evalAll(x.items, s)
	case *tupleExpr:
		items, err = r.evalAll(x.items, s)
	default:
		v, err := r.eval(x, s)
		if err != nil {
			return nil, err
		}
		return loopSeq(v)
	}
	return starlark.Tuple(items), err
}

// constItems returns the items of a list or tuple written with constants
// only (for k in ["a", "b"]), else nil.
func constItems(x expr) starlark.Tuple {
	var items []expr
	switch x := x.(type) {
	case *listExpr:
		items = x.items
	case *tupleExpr:
		items = x.items
	}
	if len(items) == 0 {
		return nil
	}
	out := make(starlark.Tuple, len(items))
	for i, it := range items {
		c, ok := it.(*constExpr)
		if !ok {
			return nil
		}
		out[i] = c.v
	}
	return out
}

// runLoop runs the body of st once per item, each iteration in a scope of
// its own with the loop variable bound.
func (r *renderer) runLoop(st *forStmt, s *scope, items starlark.Indexable, depth int) error {
	items, err := r.loopFilter(st, s, items)
	if err != nil {
		return err
	}
	n := items.Len()
	if n == 0 {
		return r.exec(st.orelse, newScope(s))
	}
	if st.recursive {
		s.capture() // loop(items) runs the body again in s
	}
	lv := &loopValue{r: r, st: st, scope: s, items: items, depth: depth}
	var inner *scope
	for i := range n {
		if err := r.tick(); err != nil {
			return err
		}
		inner = inner.reuse(s)
		if err := r.assign(st.target, items.Index(i), inner); err != nil {
			return err
		}
		lv.index = i
		inner.set("loop", lv)
		if err := r.exec(st.body, inner); err != nil {
			return err
		}
	}
	return nil
}

// loopFilter keeps the items for which the loop's "if" condition holds.
func (r *renderer) loopFilter(st *forStmt, s *scope, items starlark.Indexable) (starlark.Indexable, error) {
	if st.cond == nil {
		return items, nil
	}
	var kept starlark.Tuple
	var inner *scope
	for i := range items.Len() {
		if err := r.tick(); err != nil {
			return nil, err
		}
		item := items.Index(i)
		inner = inner.reuse(s)
		if err := r.assign(st.target, item, inner); err != nil {
			return nil, err
		}
		ok, err := r.evalTruth(st.cond, inner)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, item)
		}
	}
	return kept, nil
}

// loopValue is the `loop` variable inside a for loop.
type loopValue struct {
	r       *renderer
	st      *forStmt
	scope   *scope
	items   starlark.Indexable
	index   int
	depth   int
	changed []starlark.Value
	seen    bool
}

var (
	_ starlark.HasAttrs = (*loopValue)(nil)
	_ starlark.Callable = (*loopValue)(nil)
)

func (l *loopValue) String() string {
	return fmt.Sprintf("<LoopContext %d/%d>", l.index+1, l.items.Len())
}
func (l *loopValue) Type() string          { return "LoopContext" }
func (l *loopValue) Freeze()               {}
func (l *loopValue) Truth() starlark.Bool  { return true }
func (l *loopValue) Hash() (uint32, error) { return 0, errors.New("unhashable type: LoopContext") }
func (l *loopValue) Name() string          { return "loop" }

var loopAttrs = []string{
	"changed", "cycle", "depth", "depth0", "first", "index", "index0", "last",
	"length", "nextitem", "previtem", "revindex", "revindex0",
}

func (l *loopValue) AttrNames() []string { return loopAttrs }

func (l *loopValue) Attr(name string) (starlark.Value, error) {
	n := l.items.Len()
	switch name {
	case "index":
		return starlark.MakeInt(l.index + 1), nil
	case "index0":
		return starlark.MakeInt(l.index), nil
	case "revindex":
		return starlark.MakeInt(n - l.index), nil
	case "revindex0":
		return starlark.MakeInt(n - l.index - 1), nil
	case "first":
		return starlark.Bool(l.index == 0), nil
	case "last":
		return starlark.Bool(l.index == n-1), nil
	case "length":
		return starlark.MakeInt(n), nil
	case "depth":
		return starlark.MakeInt(l.depth), nil
	case "depth0":
		return starlark.MakeInt(l.depth - 1), nil
	}
	return l.attrValue(name)
}

// attrValue returns the loop attributes that are not plain numbers.
func (l *loopValue) attrValue(name string) (starlark.Value, error) {
	switch name {
	case "previtem":
		if l.index == 0 {
			return &undefined{hint: "there is no previous item", name: "previtem"}, nil
		}
		return l.items.Index(l.index - 1), nil
	case "nextitem":
		if l.index == l.items.Len()-1 {
			return &undefined{hint: "there is no next item", name: "nextitem"}, nil
		}
		return l.items.Index(l.index + 1), nil
	case "cycle":
		return starlark.NewBuiltin("cycle", l.cycle), nil
	case "changed":
		return starlark.NewBuiltin("changed", l.change), nil
	}
	return nil, nil
}

func (l *loopValue) cycle(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	if len(args) == 0 {
		return nil, errors.New("no items for cycling given")
	}
	return args[l.index%len(args)], nil
}

func (l *loopValue) change(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	if l.seen && len(args) == len(l.changed) {
		same := true
		for i := range args {
			eq, err := starlark.Equal(args[i], l.changed[i])
			if err != nil {
				return nil, err
			}
			same = same && eq
		}
		if same {
			return starlark.False, nil
		}
	}
	l.seen, l.changed = true, append([]starlark.Value(nil), args...)
	return starlark.True, nil
}

// CallInternal implements loop(items) in a recursive loop: it renders the
// loop body again for items, one level deeper, and returns the output.
func (l *loopValue) CallInternal(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if !l.st.recursive {
		return nil, errors.New("'LoopContext' object is not callable: the loop is not recursive")
	}
	if len(args) != 1 || len(kwargs) != 0 {
		return nil, errors.New("loop() takes exactly one argument")
	}
	items, err := loopSeq(args[0])
	if err != nil {
		return nil, err
	}
	if err := l.r.enter("loop()"); err != nil {
		return nil, err
	}
	defer l.r.leave()
	saved := l.r.out
	var b strings.Builder
	l.r.out = &b
	err = l.r.runLoop(l.st, l.scope, items, l.depth+1)
	l.r.out = saved
	return starlark.String(b.String()), err
}
