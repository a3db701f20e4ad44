package jinja

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"go.starlark.net/starlark"
)

// maxCached bounds the number of parsed templates an Engine keeps. When
// it is full, an arbitrary entry makes room: a deploy renders far fewer
// distinct templates, so this only guards long-lived processes.
const maxCached = 4096

// Engine renders templates. It keeps each parsed template, keyed by its
// source text, so rendering the same source again (say, one template for
// a thousand files) parses it once. An Engine is safe for concurrent use;
// the zero value is ready to use.
type Engine struct {
	mu    sync.RWMutex
	cache map[string]*parsed
}

// parsed is a parsed template, or the syntax error parsing it gave.
type parsed struct {
	body   []stmt
	blocks map[string]*blockStmt
	err    error
	// lastLen is the length of the last output, to size the next one.
	lastLen atomic.Int64
}

// New returns an Engine.
func New() *Engine { return &Engine{} }

// Render renders source, a template named name in errors, with vars as
// its context. Starlark callables the template calls (methods of
// components, functions in vars) run on thread; when thread is nil,
// Render creates one for this render. Passing the caller's thread keeps
// its step limit, cancellation and thread-local state in force.
//
// Render only reads vars, but Starlark values that are not frozen must not
// be shared with renders running at the same time (iterating an unfrozen
// list counts as a mutation in Starlark).
//
// The error, if any, is an *Error with the template name and the line.
func (e *Engine) Render(thread *starlark.Thread, name, source string, vars map[string]starlark.Value) (out string, err error) {
	out, _, err = e.RenderTaint(thread, name, source, vars, nil)
	return out, err
}

// RenderTaint renders like Render and also reports whether the template
// used a sensitive value: a string, read from a variable, an attribute,
// an item or a call, for which sensitive returns true. A nil sensitive
// checks nothing.
func (e *Engine) RenderTaint(thread *starlark.Thread, name, source string, vars map[string]starlark.Value,
	sensitive func(string) bool) (out string, tainted bool, err error) {
	if thread == nil {
		thread = &starlark.Thread{Name: "template " + name}
	}
	if plainText(source) {
		// Nothing to evaluate: the text is the output, newlines
		// normalized as a parse would, without lexing megabytes of it.
		return normalizeNewlines(source), false, nil
	}
	r := &renderer{thread: thread, vars: vars, out: &strings.Builder{}, sensitive: sensitive}
	r.check, _ = thread.Local(CheckKey).(func(uint64) error)
	defer func() {
		if p := recover(); p != nil {
			out, err = "", &Error{Template: name, Line: max(r.line, 1), Msg: fmt.Sprintf("internal error: %v", p)}
		}
	}()
	t := e.parse(source)
	if t.err != nil {
		return "", false, toError(name, t.err)
	}
	last := int(t.lastLen.Load())
	r.out.Grow(max(len(source), last+last/8))
	r.blocks, r.root = t.blocks, &r.top
	if err := r.exec(t.body, r.root); err != nil {
		return "", r.tainted, toError(name, err)
	}
	t.lastLen.Store(int64(r.out.Len()))
	return r.out.String(), r.tainted, nil
}

// Check parses source and returns its syntax error, if any, as an *Error.
func (e *Engine) Check(name, source string) error {
	if t := e.parse(source); t.err != nil {
		return toError(name, t.err)
	}
	return nil
}

// parse returns the parsed template for source, from the cache when it
// is there.
func (e *Engine) parse(source string) *parsed {
	e.mu.RLock()
	t, ok := e.cache[source]
	e.mu.RUnlock()
	if ok {
		return t
	}
	t = parseSafely(source)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cache == nil {
		e.cache = make(map[string]*parsed)
	}
	if len(e.cache) >= maxCached {
		for k := range e.cache {
			delete(e.cache, k)
			break
		}
	}
	e.cache[source] = t
	return t
}

// plainText reports whether source has nothing a template evaluates: no
// "{" (which starts every tag, expression and comment) and no line
// statement prefix.
func plainText(source string) bool {
	return !strings.Contains(source, "{") && !strings.Contains(source, lineStatementPrefix)
}

// parseSafely parses source; a panic in the lexer becomes a syntax error.
func parseSafely(source string) (t *parsed) {
	defer func() {
		if p := recover(); p != nil {
			t = &parsed{err: syntaxErrorf(1, "cannot parse template: %v", p)}
		}
	}()
	body, blocks, err := parse(source)
	return &parsed{body: body, blocks: blocks, err: err}
}
