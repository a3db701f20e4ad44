package jinja

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// pyMethod returns the methods where Python and Starlark differ in what a
// template can see: str.format and the padding methods Starlark lacks,
// and dict.items/keys/values, which return views in Python.
func pyMethod(obj starlark.Value, name string) starlark.Value {
	switch o := obj.(type) {
	case starlark.String:
		if fn, ok := strMethods[name]; ok {
			return starlark.NewBuiltin(name, fn).BindReceiver(o)
		}
	case *starlark.Dict:
		if name == "items" || name == "keys" || name == "values" {
			return starlark.NewBuiltin(name, dictView).BindReceiver(o)
		}
	}
	return nil
}

// builtinFunc is the signature of a Starlark builtin.
type builtinFunc = func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)

// strMethods are the str methods implemented here rather than by
// Starlark. It is filled in once by init and only read afterwards.
var strMethods map[string]builtinFunc

func init() {
	strMethods = map[string]builtinFunc{
		"format": strFormatMethod,
		"ljust":  justify("ljust"),
		"rjust":  justify("rjust"),
		"center": justify("center"),
		"zfill":  zfill,
	}
}

func strFormatMethod(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	out, err := pyFormat(string(b.Receiver().(starlark.String)), args, kwargs)
	return starlark.String(out), err
}

// justify implements str.ljust, rjust and center.
func justify(name string) builtinFunc {
	return func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var width int
		fill := " "
		if err := starlark.UnpackPositionalArgs(name, args, kwargs, 1, &width, &fill); err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(fill) != 1 {
			return nil, errors.New("The fill character must be exactly one character long")
		}
		align := map[string]byte{"ljust": '<', "rjust": '>', "center": '^'}[name]
		s := string(b.Receiver().(starlark.String))
		if name == "center" {
			return starlark.String(centerPy(s, width, fill)), nil
		}
		return starlark.String(alignText(s, width, align, fill)), nil
	}
}

// centerPy is Python's str.center, which puts the odd space left or right
// depending on the width.
func centerPy(s string, width int, fill string) string {
	marg := width - utf8.RuneCountInString(s)
	if marg <= 0 {
		return s
	}
	left := marg/2 + (marg & width & 1)
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, marg-left)
}

func zfill(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var width int
	if err := starlark.UnpackPositionalArgs("zfill", args, kwargs, 1, &width); err != nil {
		return nil, err
	}
	s := string(b.Receiver().(starlark.String))
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return starlark.String(s), nil
	}
	sign := ""
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		sign, s = s[:1], s[1:]
	}
	return starlark.String(sign + strings.Repeat("0", n) + s), nil
}

// dictView calls dict.items/keys/values and wraps the result so that it
// prints as Python's dict_items([...]) and friends.
func dictView(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	d := b.Receiver().(*starlark.Dict)
	method, err := d.Attr(b.Name())
	if err != nil {
		return nil, err
	}
	v, err := starlark.Call(thread, method, args, kwargs)
	if err != nil {
		return nil, err
	}
	return &view{kind: "dict_" + b.Name(), list: v.(*starlark.List)}, nil
}

// view is a dict view: iterable, with a length and "in", printed the
// Python way.
type view struct {
	kind string
	list *starlark.List
}

var (
	_ starlark.Sequence  = (*view)(nil)
	_ starlark.HasBinary = (*view)(nil)
)

func (v *view) String() string             { return v.kind + "(" + pyRepr(v.list) + ")" }
func (v *view) Type() string               { return v.kind }
func (v *view) Freeze()                    { v.list.Freeze() }
func (v *view) Truth() starlark.Bool       { return v.list.Len() > 0 }
func (v *view) Hash() (uint32, error)      { return 0, fmt.Errorf("unhashable type: %s", v.kind) }
func (v *view) Iterate() starlark.Iterator { return v.list.Iterate() }
func (v *view) Len() int                   { return v.list.Len() }

// Binary implements x in view.
func (v *view) Binary(op syntax.Token, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	if op != syntax.IN || side != starlark.Right {
		return nil, nil
	}
	return starlark.Binary(syntax.IN, y, v.list)
}

// pyRange is Python's range, printed as range(start, stop[, step]).
type pyRange struct{ start, stop, step int }

var _ starlark.Indexable = pyRange{}

func (r pyRange) String() string {
	if r.step == 1 {
		return fmt.Sprintf("range(%d, %d)", r.start, r.stop)
	}
	return fmt.Sprintf("range(%d, %d, %d)", r.start, r.stop, r.step)
}

func (r pyRange) Type() string          { return "range" }
func (r pyRange) Freeze()               {}
func (r pyRange) Truth() starlark.Bool  { return r.Len() > 0 }
func (r pyRange) Hash() (uint32, error) { return 0, errors.New("unhashable type: range") }
func (r pyRange) Index(i int) starlark.Value {
	return starlark.MakeInt(r.start + i*r.step)
}

func (r pyRange) Len() int {
	if r.step > 0 && r.stop > r.start {
		return (r.stop - r.start + r.step - 1) / r.step
	}
	if r.step < 0 && r.start > r.stop {
		return (r.start - r.stop - r.step - 1) / -r.step
	}
	return 0
}

func (r pyRange) Iterate() starlark.Iterator { return &rangeIter{r: r} }

type rangeIter struct {
	r pyRange
	i int
}

func (it *rangeIter) Next(p *starlark.Value) bool {
	if it.i >= it.r.Len() {
		return false
	}
	*p = it.r.Index(it.i)
	it.i++
	return true
}

func (it *rangeIter) Done() {}

// newRange implements the range() global.
func newRange(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	start, stop, step := 0, 0, 1
	var err error
	if len(args) == 1 {
		err = starlark.UnpackPositionalArgs("range", args, kwargs, 1, &stop)
	} else {
		err = starlark.UnpackPositionalArgs("range", args, kwargs, 2, &start, &stop, &step)
	}
	if err != nil {
		return nil, err
	}
	if step == 0 {
		return nil, errors.New("range() arg 3 must not be zero")
	}
	return pyRange{start, stop, step}, nil
}
