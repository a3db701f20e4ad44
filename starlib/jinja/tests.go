package jinja

import (
	"fmt"
	"unicode"

	"go.starlark.net/starlark"
)

// testFunc implements a test ("x is name(args)").
type testFunc func(r *renderer, v starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (bool, error)

// testDef is a test and how it treats an undefined value.
type testDef struct {
	fn testFunc
	// lenient tests look at an undefined value without failing (defined,
	// none, the type tests); the others fail on it.
	lenient bool
}

// tests are the tests templates can use, by name. Filled in by init,
// read-only afterwards.
var tests map[string]*testDef

func init() {
	lenient := func(fn func(starlark.Value) bool) *testDef {
		return &testDef{fn: noArgs(fn), lenient: true}
	}
	tests = map[string]*testDef{
		"defined":     lenient(func(v starlark.Value) bool { return !isUndefined(v) }),
		"undefined":   lenient(isUndefined),
		"none":        lenient(func(v starlark.Value) bool { return v == starlark.None }),
		"boolean":     lenient(isType[starlark.Bool]),
		"true":        lenient(func(v starlark.Value) bool { return v == starlark.True }),
		"false":       lenient(func(v starlark.Value) bool { return v == starlark.False }),
		"integer":     lenient(isType[starlark.Int]),
		"float":       lenient(isType[starlark.Float]),
		"number":      lenient(isNumber),
		"string":      lenient(isType[starlark.String]),
		"mapping":     lenient(isType[starlark.Mapping]),
		"callable":    lenient(isCallable),
		"escaped":     lenient(func(starlark.Value) bool { return false }),
		"sameas":      {fn: testSameas, lenient: true},
		"iterable":    {fn: noArgs(isIterable)},
		"sequence":    {fn: noArgs(isSequence)},
		"lower":       {fn: noArgs(func(v starlark.Value) bool { return isCase(pyStr(v), unicode.IsLower, unicode.IsUpper) })},
		"upper":       {fn: noArgs(func(v starlark.Value) bool { return isCase(pyStr(v), unicode.IsUpper, unicode.IsLower) })},
		"odd":         {fn: testParity(1)},
		"even":        {fn: testParity(0)},
		"divisibleby": {fn: testDivisibleby},
		"in":          {fn: testIn},
		"filter":      {fn: testKnown(func(n string) bool { return filters[n] != nil })},
		"test":        {fn: testKnown(func(n string) bool { return tests[n] != nil })},
	}
	for op, names := range map[string][]string{
		"==": {"eq", "equalto"}, "!=": {"ne"}, "<": {"lt", "lessthan"},
		"<=": {"le"}, ">": {"gt", "greaterthan"}, ">=": {"ge"},
	} {
		def := &testDef{fn: testCompare(op)}
		tests[op] = def
		for _, n := range names {
			tests[n] = def
		}
	}
}

func (r *renderer) evalTest(x *testExpr, s *scope) (starlark.Value, error) {
	v, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	args, kwargs, err := r.evalArgs(x.callArgs, s)
	if err != nil {
		return nil, err
	}
	ok, err := r.callTest(x.name, x.def, v, args, kwargs)
	return starlark.Bool(ok), err
}

// callTest runs a test on evaluated arguments.
func (r *renderer) callTest(name string, def *testDef, v starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (bool, error) {
	if !def.lenient {
		if err := strict(v); err != nil {
			return false, err
		}
	}
	if err := strictArgs(args, kwargs); err != nil {
		return false, err
	}
	ok, err := def.fn(r, v, args, kwargs)
	if err != nil {
		return false, fmt.Errorf("test %s: %w", name, err)
	}
	return ok, nil
}

// noArgs makes a test without arguments of a predicate.
func noArgs(pred func(starlark.Value) bool) testFunc {
	return func(_ *renderer, v starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (bool, error) {
		if err := unpack("test", args, kwargs); err != nil {
			return false, err
		}
		return pred(v), nil
	}
}

func isUndefined(v starlark.Value) bool {
	_, ok := v.(*undefined)
	return ok
}

func isType[T any](v starlark.Value) bool {
	_, ok := v.(T)
	return ok
}

// isNumber is Python's isinstance(v, Number), which includes bool.
func isNumber(v starlark.Value) bool {
	switch v.(type) {
	case starlark.Int, starlark.Float, starlark.Bool:
		return true
	}
	return false
}

// isCallable is Python's callable(); Jinja2's Undefined is callable too.
func isCallable(v starlark.Value) bool {
	switch v.(type) {
	case starlark.Callable, *undefined:
		return true
	}
	return false
}

func isIterable(v starlark.Value) bool {
	switch v.(type) {
	case starlark.String, starlark.Iterable:
		return true
	}
	return false
}

// isSequence is Jinja2's sequence test: has a length and items.
func isSequence(v starlark.Value) bool {
	switch v.(type) {
	case starlark.String, starlark.Indexable, starlark.Mapping:
		return true
	}
	return false
}

// isCase is Python's str.islower()/isupper(): at least one cased
// character and none of the other case.
func isCase(s string, is, isNot func(rune) bool) bool {
	cased := false
	for _, r := range s {
		if isNot(r) || unicode.IsTitle(r) {
			return false
		}
		cased = cased || is(r)
	}
	return cased
}

func testSameas(_ *renderer, v starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (bool, error) {
	var other starlark.Value
	if err := unpack("sameas", args, kwargs, "other", &other); err != nil {
		return false, err
	}
	return sameValue(v, other), nil
}

// sameValue approximates Python's "is": identical constants, or the same
// object.
func sameValue(a, b starlark.Value) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	if a.Type() != b.Type() {
		return false
	}
	switch a.(type) {
	case starlark.NoneType, starlark.Bool, starlark.String, starlark.Int, starlark.Float:
		eq, err := starlark.Equal(a, b)
		return eq && err == nil
	}
	return a == b
}

func testParity(rem int) testFunc {
	return func(_ *renderer, v starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (bool, error) {
		if err := unpack("test", args, kwargs); err != nil {
			return false, err
		}
		m, err := binary("%", v, starlark.MakeInt(2))
		if err != nil {
			return false, err
		}
		return equal(m, starlark.MakeInt(rem))
	}
}

func testDivisibleby(_ *renderer, v starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (bool, error) {
	var num starlark.Value
	if err := unpack("divisibleby", args, kwargs, "num", &num); err != nil {
		return false, err
	}
	m, err := binary("%", v, num)
	if err != nil {
		return false, err
	}
	return equal(m, starlark.MakeInt(0))
}

func testIn(_ *renderer, v starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (bool, error) {
	var seq starlark.Value
	if err := unpack("in", args, kwargs, "seq", &seq); err != nil {
		return false, err
	}
	return contains(seq, v)
}

func testCompare(op string) testFunc {
	return func(_ *renderer, v starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (bool, error) {
		var other starlark.Value
		if err := unpack(op, args, kwargs, "other", &other); err != nil {
			return false, err
		}
		return compare(op, v, other)
	}
}

func testKnown(known func(string) bool) testFunc {
	return func(_ *renderer, v starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (bool, error) {
		if err := unpack("test", args, kwargs); err != nil {
			return false, err
		}
		s, ok := v.(starlark.String)
		return ok && known(string(s)), nil
	}
}
