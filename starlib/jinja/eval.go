package jinja

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

// eval evaluates an expression with Python's semantics on Starlark
// values. Missing names, attributes and items evaluate to *undefined. A
// sensitive string read by the expression taints the render.
func (r *renderer) eval(x expr, s *scope) (starlark.Value, error) {
	v, err := r.evalExpr(x, s)
	if r.sensitive != nil && !r.tainted && err == nil {
		if str, ok := v.(starlark.String); ok && r.sensitive(string(str)) {
			_, isConst := x.(*constExpr)
			r.tainted = !isConst
		}
	}
	return v, err
}

// evalExpr evaluates one expression.
func (r *renderer) evalExpr(x expr, s *scope) (starlark.Value, error) {
	switch x := x.(type) {
	case *constExpr:
		return x.v, nil
	case *nameExpr:
		return r.lookup(s, x.name), nil
	case *attrExpr:
		obj, err := r.eval(x.x, s)
		if err != nil {
			return nil, err
		}
		return getattrKey(obj, x.name, x.key)
	case *itemExpr:
		return r.evalItem(x, s)
	case *callExpr:
		return r.evalCall(x, s)
	case *filterExpr:
		return r.evalFilter(x, s)
	case *testExpr:
		return r.evalTest(x, s)
	case *condExpr:
		return r.evalCond(x, s)
	}
	return r.evalOperator(x, s)
}

// evalOperator evaluates literals and operators.
func (r *renderer) evalOperator(x expr, s *scope) (starlark.Value, error) {
	switch x := x.(type) {
	case *listExpr:
		items, err := r.evalAll(x.items, s)
		return starlark.NewList(items), err
	case *tupleExpr:
		items, err := r.evalAll(x.items, s)
		return starlark.Tuple(items), err
	case *dictExpr:
		return r.evalDict(x, s)
	case *sliceExpr:
		return r.evalSlice(x, s)
	case *notExpr:
		ok, err := r.evalTruth(x.x, s)
		return starlark.Bool(!ok), err
	case *unaryExpr:
		return r.evalUnary(x, s)
	case *binExpr:
		return r.evalBinary(x, s)
	case *logicExpr:
		return r.evalLogic(x, s)
	case *concatExpr:
		return r.evalConcat(x, s)
	case *compareExpr:
		return r.evalCompare(x, s)
	}
	return nil, fmt.Errorf("unknown expression %T", x)
}

// evalAll evaluates expressions. Like Jinja2, a list or tuple may hold
// an undefined value; it fails only when used (and prints as Undefined).
func (r *renderer) evalAll(xs []expr, s *scope) ([]starlark.Value, error) {
	vs := make([]starlark.Value, len(xs))
	for i, x := range xs {
		v, err := r.eval(x, s)
		if err != nil {
			return nil, err
		}
		vs[i] = v
	}
	return vs, nil
}

func (r *renderer) evalDict(x *dictExpr, s *scope) (starlark.Value, error) {
	keys, err := r.evalAll(x.keys, s)
	if err != nil {
		return nil, err
	}
	if err := strictAll(keys); err != nil {
		return nil, err
	}
	values, err := r.evalAll(x.values, s)
	if err != nil {
		return nil, err
	}
	d := starlark.NewDict(len(keys))
	for i, k := range keys {
		if err := d.SetKey(k, values[i]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (r *renderer) evalItem(x *itemExpr, s *scope) (starlark.Value, error) {
	obj, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	key, err := r.eval(x.key, s)
	if err != nil {
		return nil, err
	}
	if err := strict(key); err != nil {
		return nil, err
	}
	return getitem(obj, key)
}

func (r *renderer) evalCond(x *condExpr, s *scope) (starlark.Value, error) {
	ok, err := r.evalTruth(x.cond, s)
	if err != nil {
		return nil, err
	}
	if ok {
		return r.eval(x.then, s)
	}
	if x.els == nil {
		return &undefined{lenient: true, hint: fmt.Sprintf(
			"the inline if-expression on line %d evaluated to false and no else section was defined.", x.line)}, nil
	}
	return r.eval(x.els, s)
}

func (r *renderer) evalLogic(x *logicExpr, s *scope) (starlark.Value, error) {
	left, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	ok, err := truth(left)
	if err != nil {
		return nil, err
	}
	if ok != x.and {
		return left, nil
	}
	return r.eval(x.y, s)
}

func (r *renderer) evalConcat(x *concatExpr, s *scope) (starlark.Value, error) {
	var b strings.Builder
	for _, item := range x.items {
		v, err := r.eval(item, s)
		if err != nil {
			return nil, err
		}
		str, err := toStr(v)
		if err != nil {
			return nil, err
		}
		b.WriteString(str)
	}
	return starlark.String(b.String()), nil
}

func (r *renderer) evalCall(x *callExpr, s *scope) (starlark.Value, error) {
	fn, err := r.eval(x.fn, s)
	if err != nil {
		return nil, err
	}
	args, kwargs, err := r.evalArgs(x.callArgs, s)
	if err != nil {
		return nil, err
	}
	return r.callValue(fn, args, kwargs)
}

// evalArgs evaluates call arguments, expanding *args and **kwargs.
func (r *renderer) evalArgs(a callArgs, s *scope) (starlark.Tuple, []starlark.Tuple, error) {
	args := make(starlark.Tuple, 0, len(a.args))
	for _, x := range a.args {
		v, err := r.eval(x, s)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, v)
	}
	var kwargs []starlark.Tuple
	for _, kw := range a.kwargs {
		v, err := r.eval(kw.value, s)
		if err != nil {
			return nil, nil, err
		}
		kwargs = append(kwargs, starlark.Tuple{starlark.String(kw.name), v})
	}
	return r.expandStars(a, s, args, kwargs)
}

// expandStars appends the values of *args and **kwargs.
func (r *renderer) expandStars(a callArgs, s *scope, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Tuple, []starlark.Tuple, error) {
	if a.star != nil {
		v, err := r.eval(a.star, s)
		if err != nil {
			return nil, nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, items...)
	}
	if a.dstar != nil {
		v, err := r.eval(a.dstar, s)
		if err != nil {
			return nil, nil, err
		}
		m, ok := v.(starlark.IterableMapping)
		if !ok {
			return nil, nil, fmt.Errorf("argument after ** must be a mapping, not %s", pyTypeName(v))
		}
		for _, kv := range m.Items() {
			kwargs = append(kwargs, starlark.Tuple{starlark.String(pyStr(kv[0])), kv[1]})
		}
	}
	return args, kwargs, nil
}

// callValue calls a macro or a Starlark callable. Starlark callables run
// on the render's thread; their arguments must be defined.
func (r *renderer) callValue(fn starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := strict(fn); err != nil {
		return nil, err
	}
	switch fn := fn.(type) {
	case *macro:
		return fn.call(args, kwargs)
	case starlark.Callable:
		if err := strictAll(args); err != nil {
			return nil, err
		}
		for _, kv := range kwargs {
			if err := strict(kv[1]); err != nil {
				return nil, err
			}
		}
		return starlark.Call(r.thread, fn, args, kwargs)
	}
	return nil, fmt.Errorf("%s object is not callable", quotePy(pyTypeName(fn)))
}
