package jinja

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// renderer holds the state of one render: the output, the caller's
// variables and the thread that runs Starlark callables.
type renderer struct {
	thread *starlark.Thread
	vars   map[string]starlark.Value
	blocks map[string]*blockStmt
	root   *scope
	top    scope // the template's own scope, root points to it
	out    *strings.Builder
	line   int // line of the statement being executed, for panics
	// sensitive tells secret values; tainted is set once the template
	// read one.
	sensitive func(string) bool
	tainted   bool
	// steps counts loop iterations and macro calls; check, when set (from
	// the thread's CheckKey), is asked every checkEvery steps whether to
	// go on. nesting is how deep macro and loop() calls are nested now.
	steps   uint64
	check   func(steps uint64) error
	nesting int
}

// scope holds the variables a template assigns. A for loop iteration, a
// macro call, a with block and a block tag each get a scope of their own;
// an if does not, so {% set %} inside an if is visible after it. The
// first few variables are kept inline (a loop iteration binds its target
// and `loop`), the rest in a map.
type scope struct {
	names  [scopeInline]string
	vals   [scopeInline]starlark.Value
	n      int
	vars   map[string]starlark.Value
	parent *scope
	// captured is set when a value that outlives the statement holds
	// the scope or one below it (a macro defined in it, a recursive
	// loop); a loop then gives its next iteration a new scope instead of
	// emptying this one.
	captured bool
}

// scopeInline is how many variables a scope keeps without a map.
const scopeInline = 3

func newScope(parent *scope) *scope { return &scope{parent: parent} }

// capture marks s and the scopes around it as held by a value.
func (s *scope) capture() {
	for ; s != nil && !s.captured; s = s.parent {
		s.captured = true
	}
}

// reuse returns s emptied for the next iteration of a loop, or a new
// scope below parent when s is nil or captured.
func (s *scope) reuse(parent *scope) *scope {
	if s == nil || s.captured {
		return newScope(parent)
	}
	clear(s.names[:s.n])
	clear(s.vals[:s.n])
	s.n, s.vars = 0, nil
	return s
}

func (s *scope) set(name string, v starlark.Value) {
	for i := range s.n {
		if s.names[i] == name {
			s.vals[i] = v
			return
		}
	}
	if _, ok := s.vars[name]; !ok && s.n < scopeInline {
		s.names[s.n], s.vals[s.n] = name, v
		s.n++
		return
	}
	if s.vars == nil {
		s.vars = make(map[string]starlark.Value, 4)
	}
	s.vars[name] = v
}

// get returns the variable name of this scope (not of its parents).
func (s *scope) get(name string) (starlark.Value, bool) {
	for i := range s.n {
		if s.names[i] == name {
			return s.vals[i], true
		}
	}
	v, ok := s.vars[name]
	return v, ok
}

// lookup resolves a name: template scopes, then the caller's variables,
// then the globals. A missing name is undefined.
func (r *renderer) lookup(s *scope, name string) starlark.Value {
	for ; s != nil; s = s.parent {
		if v, ok := s.get(name); ok {
			return v
		}
	}
	if v, ok := r.vars[name]; ok && v != nil {
		return v
	}
	if name == "self" {
		return &templateRef{r}
	}
	if v, ok := globals[name]; ok {
		return v
	}
	return &undefined{name: name}
}

// exec executes statements; an error gets the line of the statement.
func (r *renderer) exec(body []stmt, s *scope) error {
	for _, st := range body {
		r.line = st.pos()
		if err := r.stmt(st, s); err != nil {
			return atLine(err, st.pos())
		}
	}
	return nil
}

// capture executes statements and returns their output.
func (r *renderer) capture(body []stmt, s *scope) (string, error) {
	saved := r.out
	var b strings.Builder
	r.out = &b
	err := r.exec(body, s)
	r.out = saved
	return b.String(), err
}

func (r *renderer) stmt(st stmt, s *scope) error {
	switch st := st.(type) {
	case *textStmt:
		r.out.WriteString(st.text)
		return nil
	case *outputStmt:
		return r.output(st.x, s)
	case *printStmt:
		for _, x := range st.items {
			if err := r.output(x, s); err != nil {
				return err
			}
		}
		return nil
	case *ifStmt:
		return r.execIf(st, s)
	case *forStmt:
		return r.execFor(st, s)
	case *setStmt:
		v, err := r.eval(st.value, s)
		if err != nil {
			return err
		}
		return r.assign(st.target, v, s)
	}
	return r.blockStmt(st, s)
}

// blockStmt executes the statements that wrap a body.
func (r *renderer) blockStmt(st stmt, s *scope) error {
	switch st := st.(type) {
	case *setBlockStmt:
		return r.execSetBlock(st, s)
	case *macroStmt:
		s.capture()
		s.set(st.def.name, &macro{r: r, def: st.def, scope: s})
		return nil
	case *callBlockStmt:
		return r.execCallBlock(st, s)
	case *filterBlockStmt:
		text, err := r.capture(st.body, s)
		if err != nil {
			return err
		}
		v, err := r.applyChain(st.filters, starlark.String(text), s)
		if err != nil {
			return err
		}
		r.out.WriteString(pyStr(v))
		return nil
	case *withStmt:
		return r.execWith(st, s)
	case *blockStmt:
		return r.exec(st.body, newScope(s))
	case *loaderStmt:
		return fmt.Errorf("%s: no loader for this environment specified (batou renders templates from strings)", st.tag)
	}
	return fmt.Errorf("unknown statement %T", st)
}

// output writes str(value of x).
func (r *renderer) output(x expr, s *scope) error {
	v, err := r.eval(x, s)
	if err != nil {
		return err
	}
	switch v := v.(type) {
	case starlark.String:
		r.out.WriteString(string(v))
		return nil
	case starlark.Int:
		if i, ok := v.Int64(); ok {
			r.writeInt(i)
			return nil
		}
	}
	str, err := toStr(v)
	if err != nil {
		return err
	}
	r.out.WriteString(str)
	return nil
}

// writeInt writes the decimal form of i (what str() gives) without
// making a string of it.
func (r *renderer) writeInt(i int64) {
	var buf [20]byte
	r.out.Write(strconv.AppendInt(buf[:0], i, 10))
}

// toStr is Python's str() of a template value; a strict undefined fails.
func toStr(v starlark.Value) (string, error) {
	if u, ok := v.(*undefined); ok {
		if u.lenient {
			return "", nil
		}
		return "", u.err()
	}
	return pyStr(v), nil
}

func (r *renderer) execIf(st *ifStmt, s *scope) error {
	for i, c := range st.conds {
		ok, err := r.evalTruth(c, s)
		if err != nil {
			return atLine(err, st.lines[i])
		}
		if ok {
			return r.exec(st.bodies[i], s)
		}
	}
	return r.exec(st.orelse, s)
}

// evalTruth evaluates x and returns its Python truth value.
func (r *renderer) evalTruth(x expr, s *scope) (bool, error) {
	v, err := r.eval(x, s)
	if err != nil {
		return false, err
	}
	return truth(v)
}

// truth is Python's bool(); a strict undefined fails.
func truth(v starlark.Value) (bool, error) {
	if u, ok := v.(*undefined); ok && !u.lenient {
		return false, u.err()
	}
	return bool(v.Truth()), nil
}

// assign binds a value to an assignment target.
func (r *renderer) assign(t target, v starlark.Value, s *scope) error {
	switch t := t.(type) {
	case nameTarget:
		s.set(string(t), v)
		return nil
	case tupleTarget:
		items, err := iterate(v)
		if err != nil {
			return err
		}
		if len(items) != len(t) {
			return unpackError(len(t), len(items))
		}
		for i, item := range items {
			if err := r.assign(t[i], item, s); err != nil {
				return err
			}
		}
		return nil
	case nsTarget:
		ns, ok := r.lookup(s, t.ns).(*namespace)
		if !ok {
			return errors.New("cannot assign attribute on non-namespace object")
		}
		return ns.SetField(t.attr, v)
	}
	return fmt.Errorf("cannot assign to %T", t)
}

func unpackError(want, got int) error {
	if got > want {
		return fmt.Errorf("too many values to unpack (expected %d)", want)
	}
	return fmt.Errorf("not enough values to unpack (expected %d, got %d)", want, got)
}

func (r *renderer) execSetBlock(st *setBlockStmt, s *scope) error {
	text, err := r.capture(st.body, newScope(s))
	if err != nil {
		return err
	}
	v, err := r.applyChain(st.filters, starlark.String(text), s)
	if err != nil {
		return err
	}
	return r.assign(st.target, v, s)
}

func (r *renderer) execWith(st *withStmt, s *scope) error {
	inner := newScope(s)
	for i, x := range st.values {
		v, err := r.eval(x, s)
		if err != nil {
			return err
		}
		if err := r.assign(st.targets[i], v, inner); err != nil {
			return err
		}
	}
	return r.exec(st.body, inner)
}

// execCallBlock calls the macro of a {% call %} block with caller set to
// the block's body.
func (r *renderer) execCallBlock(st *callBlockStmt, s *scope) error {
	fn, err := r.eval(st.call.fn, s)
	if err != nil {
		return err
	}
	args, kwargs, err := r.evalArgs(st.call.callArgs, s)
	if err != nil {
		return err
	}
	s.capture()
	kwargs = append(kwargs, starlark.Tuple{starlark.String("caller"), &macro{r: r, def: st.caller, scope: s}})
	v, err := r.callValue(fn, args, kwargs)
	if err != nil {
		return err
	}
	str, err := toStr(v)
	r.out.WriteString(str)
	return err
}
