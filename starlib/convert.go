package starlib

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/batou-go/batou/runtime/plan"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// ConvertOverride converts s, a value from an environment or secrets file,
// to the attribute's type (section 2.1 of the spec).
func (a *AttrSpec) ConvertOverride(s string) (starlark.Value, error) {
	return a.convert(s, nil)
}

// convert converts s for an attribute of a component of session (nil for
// none).
func (a *AttrSpec) convert(s string, session *Session) (starlark.Value, error) {
	switch a.Kind {
	case TypeStr, TypeAny:
		return starlark.String(s), nil
	case TypeBytes:
		return starlark.Bytes(s), nil
	case TypeInt:
		return convertInt(s)
	case TypeFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%q is not a decimal number", s)
		}
		return starlark.Float(f), nil
	case TypeBool:
		return convertBool(s)
	case TypeList:
		return convertList(s), nil
	case TypeDict:
		v, err := ParseLiteral(s)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(*starlark.Dict); !ok {
			return nil, fmt.Errorf("%q is not a dict literal such as {\"a\": 1}", s)
		}
		return v, nil
	case TypeLiteral:
		return ParseLiteral(s)
	case TypeAddress:
		addr, err := plan.ParseAddress(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		return &Address{addr: addr, s: session}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %s", a.Kind)
}

func convertInt(s string) (starlark.Value, error) {
	t := strings.TrimSpace(s)
	i, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%q is not a decimal integer", s)
	}
	return starlark.MakeInt64(i), nil
}

func convertBool(s string) (starlark.Value, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1":
		return starlark.True, nil
	case "false", "no", "off", "0":
		return starlark.False, nil
	}
	return nil, fmt.Errorf("%q is not a boolean (use true/false, yes/no, on/off or 1/0)", s)
}

func convertList(s string) *starlark.List {
	var items []starlark.Value
	for _, line := range strings.Split(s, "\n") {
		for _, it := range strings.Split(line, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, starlark.String(it))
			}
		}
	}
	return starlark.NewList(items)
}

// ParseLiteral evaluates s as a Starlark literal: numbers, strings,
// True/False/None, and lists, tuples and dicts of literals.
func ParseLiteral(s string) (starlark.Value, error) {
	expr, err := (&syntax.FileOptions{}).ParseExpr("literal", strings.TrimSpace(s), 0)
	if err != nil {
		return nil, fmt.Errorf("%q is not a literal: %s", s, errText(err))
	}
	if err := checkLiteral(expr); err != nil {
		return nil, fmt.Errorf("%q is not a literal: %w", s, err)
	}
	v, err := starlark.EvalExprOptions(&syntax.FileOptions{}, &starlark.Thread{}, expr, nil)
	if err != nil {
		return nil, fmt.Errorf("%q is not a literal: %s", s, errText(err))
	}
	v.Freeze()
	return v, nil
}

func errText(err error) string {
	if se, ok := err.(syntax.Error); ok {
		return se.Msg
	}
	return err.Error()
}

func checkLiteral(e syntax.Expr) error {
	switch e := e.(type) {
	case *syntax.Literal:
		return nil
	case *syntax.Ident:
		if e.Name == "True" || e.Name == "False" || e.Name == "None" {
			return nil
		}
		return fmt.Errorf("%s is a name, not a value (quote strings)", e.Name)
	case *syntax.ParenExpr:
		return checkLiteral(e.X)
	case *syntax.UnaryExpr:
		if e.Op == syntax.MINUS || e.Op == syntax.PLUS {
			return checkLiteral(e.X)
		}
	case *syntax.ListExpr:
		return checkAll(e.List)
	case *syntax.TupleExpr:
		return checkAll(e.List)
	case *syntax.DictExpr:
		for _, entry := range e.List {
			de := entry.(*syntax.DictEntry)
			if err := checkAll([]syntax.Expr{de.Key, de.Value}); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("only numbers, strings, True/False/None, lists, tuples and dicts are allowed")
}

func checkAll(es []syntax.Expr) error {
	for _, e := range es {
		if err := checkLiteral(e); err != nil {
			return err
		}
	}
	return nil
}
