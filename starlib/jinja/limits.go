package jinja

import (
	"fmt"

	"go.starlark.net/starlark"
)

// CheckKey is the thread-local key (starlark.Thread.SetLocal) of a
// func(steps uint64) error that a render calls every checkEvery steps,
// where a step is a loop iteration or a macro call; steps is how many the
// render has taken so far. A non-nil error stops the render with that
// error at the template line it got to. The caller uses it to stop a
// render that Ctrl-C interrupted, or that ran past a step budget: a
// template loop over a huge range otherwise runs on, deaf to both, as
// long as it takes.
const CheckKey = "batou.templateCheck"

// checkEvery is how many steps a render takes between calls of its check.
const checkEvery = 1 << 12

// maxNesting is how deep macro calls and recursive loop calls may nest.
// A macro that calls itself without end otherwise grows the stack until
// the process dies, after a minute, with a Go stack trace. Jinja2 stops
// such a template with Python's RecursionError at a few hundred levels.
const maxNesting = 1000

// tick counts one step of the render and, every checkEvery steps, asks
// the caller's check whether to go on.
func (r *renderer) tick() error {
	r.steps++
	if r.check == nil || r.steps%checkEvery != 0 {
		return nil
	}
	return r.check(r.steps)
}

// enter counts one more level of nested macro or recursive loop calls
// (what names it), failing past maxNesting; leave ends the level.
func (r *renderer) enter(what string) error {
	if err := r.tick(); err != nil {
		return err
	}
	if r.nesting >= maxNesting {
		return &NestingError{What: what, Max: maxNesting}
	}
	r.nesting++
	return nil
}

func (r *renderer) leave() { r.nesting-- }

// NestingError is a template whose macro calls (or recursive loop calls)
// nest deeper than the engine allows: one that calls itself without end,
// most likely.
type NestingError struct {
	What string // "macro 'f'" or "loop()"
	Max  int
}

func (e *NestingError) Error() string {
	return fmt.Sprintf("%s: calls nested %d deep: a macro or a recursive loop calls itself without end?", e.What, e.Max)
}

// Hint says what to do.
func (e *NestingError) Hint() string {
	return "check the condition that ends the recursion of this macro or loop"
}

// loopSeq returns the items a for loop (or loop() of a recursive one)
// runs over. A range is not made into a list: its items are computed as
// the loop reaches them, so a loop over a huge range takes no memory and
// can be stopped (tick) instead of first filling all memory.
func loopSeq(v starlark.Value) (starlark.Indexable, error) {
	if x, ok := v.(starlark.Indexable); ok && v.Type() == "range" {
		return x, nil
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	return starlark.Tuple(items), nil
}
