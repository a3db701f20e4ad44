package jinja

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// getattr is Jinja2's attribute access: the attribute, else (with
// fallback) the item with that name, else undefined. Attr is called only
// here, when the template uses the attribute. A starlark.NoSuchAttrError
// counts as missing; its text becomes the message of the undefined.
func getattr(obj starlark.Value, name string, fallback bool) (starlark.Value, error) {
	var key starlark.Value
	if fallback {
		key = starlark.String(name)
	}
	return getattrKey(obj, name, key)
}

// getattrKey is getattr with the item key for the fallback made already
// (nil: no fallback).
func getattrKey(obj starlark.Value, name string, key starlark.Value) (starlark.Value, error) {
	if err := strict(obj); err != nil {
		return nil, err
	}
	if m := pyMethod(obj, name); m != nil {
		return m, nil
	}
	hint := ""
	if h, ok := obj.(starlark.HasAttrs); ok {
		v, err := h.Attr(name)
		switch {
		case err != nil && isNoSuchAttr(err):
			hint = err.Error()
		case err != nil:
			return nil, err
		case v != nil:
			return v, nil
		}
	}
	if key != nil {
		if v, ok := lookupItem(obj, key); ok {
			return v, nil
		}
	}
	return &undefined{name: name, obj: obj, hint: hint}, nil
}

// isNoSuchAttr reports whether err is or wraps a NoSuchAttrError.
func isNoSuchAttr(err error) bool {
	var missing starlark.NoSuchAttrError
	return errors.As(err, &missing)
}

// getitem is Jinja2's subscript: the item, else for a string key the
// attribute, else undefined.
func getitem(obj starlark.Value, key starlark.Value) (starlark.Value, error) {
	if err := strict(obj); err != nil {
		return nil, err
	}
	if v, ok := lookupItem(obj, key); ok {
		return v, nil
	}
	if name, ok := key.(starlark.String); ok {
		return getattr(obj, string(name), false)
	}
	return &undefined{obj: obj, key: key}, nil
}

// lookupItem returns obj[key] if it exists.
func lookupItem(obj, key starlark.Value) (starlark.Value, bool) {
	switch obj := obj.(type) {
	case starlark.String:
		runes := []rune(string(obj))
		i, ok := seqIndex(key, len(runes))
		if !ok {
			return nil, false
		}
		return starlark.String(runes[i]), true
	case starlark.Mapping:
		v, found, err := obj.Get(key)
		return v, found && err == nil
	case starlark.Indexable:
		i, ok := seqIndex(key, obj.Len())
		if !ok {
			return nil, false
		}
		return obj.Index(i), true
	}
	return nil, false
}

// seqIndex converts an index (negative counts from the end) into a
// position in a sequence of length n.
func seqIndex(key starlark.Value, n int) (int, bool) {
	var i int
	switch k := key.(type) {
	case starlark.Int:
		v, ok := k.Int64()
		if !ok {
			return 0, false
		}
		i = int(v)
	case starlark.Bool:
		if k {
			i = 1
		}
	default:
		return 0, false
	}
	if i < 0 {
		i += n
	}
	return i, i >= 0 && i < n
}

func (r *renderer) evalSlice(x *sliceExpr, s *scope) (starlark.Value, error) {
	obj, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	if err := strict(obj); err != nil {
		return nil, err
	}
	var bounds [3]starlark.Value
	for i, b := range []expr{x.lo, x.hi, x.step} {
		bounds[i] = starlark.None
		if b != nil {
			if bounds[i], err = r.eval(b, s); err != nil {
				return nil, err
			}
		}
	}
	return slice(obj, bounds[0], bounds[1], bounds[2])
}

// slice is Python's obj[lo:hi:step] on strings (by code point), lists
// and tuples; other indexable values give a list.
func slice(obj, lo, hi, step starlark.Value) (starlark.Value, error) {
	var n int
	var runes []rune
	switch o := obj.(type) {
	case starlark.String:
		runes = []rune(string(o))
		n = len(runes)
	case starlark.Indexable:
		n = o.Len()
	default:
		return nil, fmt.Errorf("%s object is not subscriptable", quotePy(pyTypeName(obj)))
	}
	idx, err := sliceIndices(n, lo, hi, step)
	if err != nil {
		return nil, err
	}
	switch o := obj.(type) {
	case starlark.String:
		out := make([]rune, len(idx))
		for i, j := range idx {
			out[i] = runes[j]
		}
		return starlark.String(out), nil
	case starlark.Tuple:
		return starlark.Tuple(pick(o, idx)), nil
	}
	return starlark.NewList(pick(obj.(starlark.Indexable), idx)), nil
}

func pick(seq starlark.Indexable, idx []int) []starlark.Value {
	out := make([]starlark.Value, len(idx))
	for i, j := range idx {
		out[i] = seq.Index(j)
	}
	return out
}

// sliceIndices returns the positions Python's slice selects from a
// sequence of length n.
func sliceIndices(n int, lo, hi, step starlark.Value) ([]int, error) {
	st, err := sliceBound(step, 1)
	if err != nil {
		return nil, err
	}
	if st == 0 {
		return nil, errors.New("slice step cannot be zero")
	}
	start, stop := 0, n
	if st < 0 {
		start, stop = n-1, -1
	}
	if start, err = clampBound(lo, n, st, start); err != nil {
		return nil, err
	}
	if stop, err = clampBound(hi, n, st, stop); err != nil {
		return nil, err
	}
	var idx []int
	for i := start; (st > 0 && i < stop) || (st < 0 && i > stop); i += st {
		idx = append(idx, i)
	}
	return idx, nil
}

// clampBound adjusts one slice bound as Python does.
func clampBound(v starlark.Value, n, step, def int) (int, error) {
	if v == starlark.None {
		return def, nil
	}
	i, err := sliceBound(v, def)
	if err != nil {
		return 0, err
	}
	if i < 0 {
		i += n
	}
	low, high := 0, n
	if step < 0 {
		low, high = -1, n-1
	}
	return min(max(i, low), high), nil
}

func sliceBound(v starlark.Value, def int) (int, error) {
	if v == starlark.None {
		return def, nil
	}
	i, err := starlark.AsInt32(v)
	if err != nil {
		return 0, errors.New("slice indices must be integers or None")
	}
	return i, nil
}

func (r *renderer) evalUnary(x *unaryExpr, s *scope) (starlark.Value, error) {
	v, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	if err := strict(v); err != nil {
		return nil, err
	}
	op := syntax.MINUS
	if x.op == "+" {
		op = syntax.PLUS
	}
	return starlark.Unary(op, v)
}

var binaryOps = map[string]syntax.Token{
	"+": syntax.PLUS, "-": syntax.MINUS, "*": syntax.STAR, "/": syntax.SLASH,
	"//": syntax.SLASHSLASH, "%": syntax.PERCENT,
}

func (r *renderer) evalBinary(x *binExpr, s *scope) (starlark.Value, error) {
	a, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	b, err := r.eval(x.y, s)
	if err != nil {
		return nil, err
	}
	return binary(x.op, a, b)
}

// binary applies an arithmetic operator with Python's semantics.
func binary(op string, a, b starlark.Value) (starlark.Value, error) {
	if err := strictAll([]starlark.Value{a, b}); err != nil {
		return nil, err
	}
	if op == "**" {
		return power(a, b)
	}
	if s, ok := a.(starlark.String); ok && op == "%" {
		out, err := pyPercent(string(s), b)
		return starlark.String(out), err
	}
	v, err := starlark.Binary(binaryOps[op], numeric(a), numeric(b))
	if err != nil && strings.HasPrefix(err.Error(), "unknown binary op") {
		return nil, fmt.Errorf("unsupported operand type(s) for %s: %s and %s", op, quotePy(pyTypeName(a)), quotePy(pyTypeName(b)))
	}
	return v, err
}

// numeric treats booleans as the integers 0 and 1, as Python does.
func numeric(v starlark.Value) starlark.Value {
	if b, ok := v.(starlark.Bool); ok {
		if b {
			return starlark.MakeInt(1)
		}
		return starlark.MakeInt(0)
	}
	return v
}

// power is Python's a ** b.
func power(a, b starlark.Value) (starlark.Value, error) {
	a, b = numeric(a), numeric(b)
	ai, aInt := a.(starlark.Int)
	bi, bInt := b.(starlark.Int)
	if aInt && bInt && bi.Sign() >= 0 {
		exp, ok := bi.Int64()
		if !ok || exp > 1<<20 {
			return nil, errors.New("exponent too large")
		}
		result := starlark.MakeInt(1)
		for base := ai; exp > 0; exp >>= 1 {
			if exp&1 == 1 {
				result = result.Mul(base)
			}
			base = base.Mul(base)
		}
		return result, nil
	}
	x, okA := starlark.AsFloat(a)
	y, okB := starlark.AsFloat(b)
	if !okA || !okB {
		return nil, fmt.Errorf("unsupported operand type(s) for ** or pow(): '%s' and '%s'", pyTypeName(a), pyTypeName(b))
	}
	if x == 0 && y < 0 {
		return nil, errors.New("0.0 cannot be raised to a negative power")
	}
	return starlark.Float(math.Pow(x, y)), nil
}

var compareTokens = map[string]syntax.Token{
	"<": syntax.LT, "<=": syntax.LE, ">": syntax.GT, ">=": syntax.GE,
}

// evalCompare evaluates a chain of comparisons such as a < b <= c.
func (r *renderer) evalCompare(x *compareExpr, s *scope) (starlark.Value, error) {
	left, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	for i, op := range x.ops {
		right, err := r.eval(x.ys[i], s)
		if err != nil {
			return nil, err
		}
		ok, err := compare(op, left, right)
		if err != nil || !ok {
			return starlark.False, err
		}
		left = right
	}
	return starlark.True, nil
}

// compare applies one comparison operator with Python's semantics.
func compare(op string, a, b starlark.Value) (bool, error) {
	if err := strictAll([]starlark.Value{a, b}); err != nil {
		return false, err
	}
	switch op {
	case "==":
		return equal(a, b)
	case "!=":
		eq, err := equal(a, b)
		return !eq, err
	case "in", "notin":
		in, err := contains(b, a)
		return in == (op == "in"), err
	}
	return starlark.Compare(compareTokens[op], numeric(a), numeric(b))
}

// equal is Python's ==, where True == 1.
func equal(a, b starlark.Value) (bool, error) {
	_, aBool := a.(starlark.Bool)
	_, bBool := b.(starlark.Bool)
	if aBool != bBool {
		a, b = numeric(a), numeric(b)
	}
	return starlark.Equal(a, b)
}

// contains is Python's x in container.
func contains(container, x starlark.Value) (bool, error) {
	if _, ok := container.(starlark.String); ok {
		if _, ok := x.(starlark.String); !ok {
			return false, fmt.Errorf("'in <string>' requires string as left operand, not %s", pyTypeName(x))
		}
	}
	v, err := starlark.Binary(syntax.IN, x, container)
	if err != nil {
		return false, err
	}
	return bool(v.Truth()), nil
}

// iterate is Python's iter(): strings yield their characters, mappings
// their keys in insertion order.
func iterate(v starlark.Value) ([]starlark.Value, error) {
	switch v := v.(type) {
	case *undefined:
		if v.lenient {
			return nil, nil
		}
		return nil, v.err()
	case starlark.String:
		items := make([]starlark.Value, 0, utf8.RuneCountInString(string(v)))
		for _, r := range string(v) {
			items = append(items, starlark.String(r))
		}
		return items, nil
	case starlark.Iterable:
		var items []starlark.Value
		iter := v.Iterate()
		defer iter.Done()
		for item := starlark.Value(nil); iter.Next(&item); {
			items = append(items, item)
		}
		return items, nil
	}
	return nil, fmt.Errorf("%s object is not iterable", quotePy(pyTypeName(v)))
}

// length is Python's len(); strings count code points.
func length(v starlark.Value) (int, error) {
	switch v := v.(type) {
	case *undefined:
		if v.lenient {
			return 0, nil
		}
		return 0, v.err()
	case starlark.String:
		return utf8.RuneCountInString(string(v)), nil
	}
	if n := starlark.Len(v); n >= 0 {
		return n, nil
	}
	return 0, fmt.Errorf("object of type %s has no len()", quotePy(pyTypeName(v)))
}
