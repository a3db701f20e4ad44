package jinja

import (
	"math/big"
	"slices"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// tupleOpts configures parseTuple.
type tupleOpts struct {
	simplified     bool     // items are primaries only (assignment targets)
	condexpr       bool     // items may be conditional expressions
	explicitParens bool     // inside (...): an empty tuple is allowed
	extraEnd       []string // names that end the tuple, such as "in"
}

// parseTuple parses one expression or a comma-separated tuple of them.
func (p *parser) parseTuple(o tupleOpts) (expr, error) {
	line := p.cur().line
	var items []expr
	isTuple := false
	for {
		if len(items) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		if p.isTupleEnd(o.extraEnd) {
			break
		}
		x, err := p.tupleItem(o)
		if err != nil {
			return nil, err
		}
		items = append(items, x)
		if !p.isOp(",") {
			break
		}
		isTuple = true
	}
	if !isTuple {
		if len(items) > 0 {
			return items[0], nil
		}
		if !o.explicitParens {
			return nil, p.fail("Expected an expression, got %s", p.cur().describe())
		}
	}
	return &tupleExpr{at{line}, items}, nil
}

func (p *parser) tupleItem(o tupleOpts) (expr, error) {
	if o.simplified {
		return p.parsePrimary()
	}
	return p.parseExpression(o.condexpr)
}

func (p *parser) isTupleEnd(extra []string) bool {
	t := p.cur()
	switch t.kind {
	case tVarEnd, tBlockEnd:
		return true
	case tOp:
		return t.val == ")"
	case tName:
		return slices.Contains(extra, t.val)
	}
	return false
}

// parseExpression parses an expression, with or without a trailing
// "if ... else ..." conditional.
func (p *parser) parseExpression(condexpr bool) (expr, error) {
	if condexpr {
		return p.parseCondexpr()
	}
	return p.parseOr()
}

func (p *parser) parseCondexpr() (expr, error) {
	line := p.cur().line
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	for p.skipName("if") {
		cond, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		var els expr
		if p.skipName("else") {
			if els, err = p.parseCondexpr(); err != nil {
				return nil, err
			}
		}
		x = &condExpr{at{line}, cond, x, els}
		line = p.cur().line
	}
	return x, nil
}

func (p *parser) parseOr() (expr, error) {
	return p.parseLogic("or", p.parseAnd)
}

func (p *parser) parseAnd() (expr, error) {
	return p.parseLogic("and", p.parseNot)
}

// parseLogic parses operands joined by the keyword op ("and" or "or").
func (p *parser) parseLogic(op string, operand func() (expr, error)) (expr, error) {
	line := p.cur().line
	x, err := operand()
	if err != nil {
		return nil, err
	}
	for p.skipName(op) {
		y, err := operand()
		if err != nil {
			return nil, err
		}
		x = &logicExpr{at{line}, op == "and", x, y}
	}
	return x, nil
}

func (p *parser) parseNot() (expr, error) {
	if p.isName("not") {
		line := p.next().line
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &notExpr{at{line}, x}, nil
	}
	return p.parseCompare()
}

var compareOps = []string{"==", "!=", "<", "<=", ">", ">="}

func (p *parser) parseCompare() (expr, error) {
	line := p.cur().line
	x, err := p.parseMath1()
	if err != nil {
		return nil, err
	}
	c := &compareExpr{at: at{line}, x: x}
	for {
		op, ok := p.compareOp()
		if !ok {
			break
		}
		y, err := p.parseMath1()
		if err != nil {
			return nil, err
		}
		c.ops, c.ys = append(c.ops, op), append(c.ys, y)
	}
	if len(c.ops) == 0 {
		return x, nil
	}
	return c, nil
}

// compareOp consumes a comparison operator, if there is one.
func (p *parser) compareOp() (string, bool) {
	t := p.cur()
	switch {
	case t.kind == tOp && slices.Contains(compareOps, t.val):
		p.next()
		return t.val, true
	case p.skipName("in"):
		return "in", true
	case p.isName("not") && p.peek().kind == tName && p.peek().val == "in":
		p.next()
		p.next()
		return "notin", true
	}
	return "", false
}

// parseBinary parses operands joined by any of ops, left-associative.
func (p *parser) parseBinary(ops []string, operand func() (expr, error)) (expr, error) {
	line := p.cur().line
	x, err := operand()
	if err != nil {
		return nil, err
	}
	for p.cur().kind == tOp && slices.Contains(ops, p.cur().val) {
		op := p.next().val
		y, err := operand()
		if err != nil {
			return nil, err
		}
		x = &binExpr{at{line}, op, x, y}
	}
	return x, nil
}

func (p *parser) parseMath1() (expr, error) {
	return p.parseBinary([]string{"+", "-"}, p.parseConcat)
}

func (p *parser) parseConcat() (expr, error) {
	line := p.cur().line
	x, err := p.parseMath2()
	if err != nil {
		return nil, err
	}
	items := []expr{x}
	for p.skipOp("~") {
		y, err := p.parseMath2()
		if err != nil {
			return nil, err
		}
		items = append(items, y)
	}
	if len(items) == 1 {
		return x, nil
	}
	return &concatExpr{at{line}, items}, nil
}

func (p *parser) parseMath2() (expr, error) {
	return p.parseBinary([]string{"*", "/", "//", "%"}, p.parsePow)
}

func (p *parser) parsePow() (expr, error) {
	return p.parseBinary([]string{"**"}, func() (expr, error) { return p.parseUnary(true) })
}

func (p *parser) parseUnary(withFilter bool) (expr, error) {
	t := p.cur()
	var x expr
	var err error
	if t.kind == tOp && (t.val == "-" || t.val == "+") {
		p.next()
		if x, err = p.parseUnary(false); err != nil {
			return nil, err
		}
		x = &unaryExpr{at{t.line}, t.val, x}
	} else if x, err = p.parsePrimary(); err != nil {
		return nil, err
	}
	if x, err = p.parsePostfix(x); err != nil {
		return nil, err
	}
	if withFilter {
		return p.parseFilterExpr(x)
	}
	return x, nil
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.cur()
	switch t.kind {
	case tName:
		p.next()
		return p.nameOrConst(t), nil
	case tString:
		return p.parseStrings(), nil
	case tInt, tFloat:
		p.next()
		return parseNumber(t)
	case tOp:
		switch t.val {
		case "(":
			p.next()
			x, err := p.parseTuple(tupleOpts{condexpr: true, explicitParens: true})
			if err != nil {
				return nil, err
			}
			return x, p.expectOp(")")
		case "[":
			return p.parseList()
		case "{":
			return p.parseDict()
		}
	}
	return nil, p.fail("unexpected %s", t.describe())
}

// nameOrConst returns the constant for true, false and none, or a name.
func (p *parser) nameOrConst(t token) expr {
	switch t.val {
	case "true", "True":
		return &constExpr{at{t.line}, starlark.True}
	case "false", "False":
		return &constExpr{at{t.line}, starlark.False}
	case "none", "None":
		return &constExpr{at{t.line}, starlark.None}
	}
	for _, names := range p.names {
		names[t.val] = true
	}
	return &nameExpr{at{t.line}, t.val}
}

// parseStrings joins adjacent string literals, as Python does.
func (p *parser) parseStrings() expr {
	line := p.cur().line
	var b strings.Builder
	for p.cur().kind == tString {
		b.WriteString(p.next().val)
	}
	return &constExpr{at{line}, starlark.String(b.String())}
}

// parseNumber converts an integer or float literal.
func parseNumber(t token) (expr, error) {
	text := strings.ReplaceAll(t.val, "_", "")
	if t.kind == tFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, syntaxErrorf(t.line, "invalid number %s", t.val)
		}
		return &constExpr{at{t.line}, starlark.Float(f)}, nil
	}
	if len(text) > 1 && text[0] == '0' && (text[1] >= '0' && text[1] <= '9') {
		text = strings.TrimLeft(text, "0")
		if text == "" {
			text = "0"
		}
	}
	n, ok := new(big.Int).SetString(text, 0)
	if !ok {
		return nil, syntaxErrorf(t.line, "invalid number %s", t.val)
	}
	return &constExpr{at{t.line}, starlark.MakeBigInt(n)}, nil
}

func (p *parser) parseList() (expr, error) {
	l := &listExpr{at: at{p.next().line}}
	for !p.isOp("]") {
		if len(l.items) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			if p.isOp("]") {
				break
			}
		}
		x, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, x)
	}
	p.next()
	return l, nil
}

func (p *parser) parseDict() (expr, error) {
	d := &dictExpr{at: at{p.next().line}}
	for !p.isOp("}") {
		if len(d.keys) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			if p.isOp("}") {
				break
			}
		}
		k, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(":"); err != nil {
			return nil, err
		}
		v, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		d.keys, d.values = append(d.keys, k), append(d.values, v)
	}
	p.next()
	return d, nil
}

// parsePostfix parses attribute access, subscripts and calls.
func (p *parser) parsePostfix(x expr) (expr, error) {
	for {
		var err error
		switch {
		case p.isOp(".") || p.isOp("["):
			x, err = p.parseSubscript(x)
		case p.isOp("("):
			x, err = p.parseCall(x)
		default:
			return x, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *parser) parseSubscript(x expr) (expr, error) {
	t := p.next()
	if t.val == "." {
		attr := p.next()
		switch attr.kind {
		case tName:
			return &attrExpr{at{t.line}, x, attr.val, starlark.String(attr.val)}, nil
		case tInt:
			key, err := parseNumber(attr)
			return &itemExpr{at{t.line}, x, key}, err
		}
		return nil, syntaxErrorf(attr.line, "expected name or number")
	}
	var keys []expr
	for !p.isOp("]") {
		if len(keys) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		k, err := p.parseSubscribed()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	p.next()
	return subscriptOf(x, keys, t.line)
}

// subscriptOf builds x[keys...] as an item or slice expression.
func subscriptOf(x expr, keys []expr, line int) (expr, error) {
	if len(keys) == 1 {
		if s, ok := keys[0].(*sliceExpr); ok {
			s.x = x
			return s, nil
		}
		return &itemExpr{at{line}, x, keys[0]}, nil
	}
	for _, k := range keys {
		if _, ok := k.(*sliceExpr); ok || k == nil {
			return nil, syntaxErrorf(line, "a slice is not allowed in a tuple subscript")
		}
	}
	if len(keys) == 0 {
		return nil, syntaxErrorf(line, "expected an expression in the subscript")
	}
	return &itemExpr{at{line}, x, &tupleExpr{at{line}, keys}}, nil
}

// parseSubscribed parses one subscript: an expression or a slice a:b:c.
func (p *parser) parseSubscribed() (expr, error) {
	line := p.cur().line
	var parts [3]expr
	if !p.isOp(":") {
		x, err := p.parseExpression(true)
		if err != nil || !p.isOp(":") {
			return x, err
		}
		parts[0] = x
	}
	for i := 1; i < 3 && p.skipOp(":"); i++ {
		if p.isOp(":") || p.isOp("]") || p.isOp(",") {
			continue
		}
		x, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		parts[i] = x
	}
	return &sliceExpr{at: at{line}, lo: parts[0], hi: parts[1], step: parts[2]}, nil
}

func (p *parser) parseCall(fn expr) (expr, error) {
	line := p.next().line
	args, err := p.parseCallArgs()
	if err != nil {
		return nil, err
	}
	return &callExpr{at{line}, fn, args}, nil
}

// parseCallArgs parses arguments after "(" up to and including ")".
func (p *parser) parseCallArgs() (callArgs, error) {
	var a callArgs
	for n := 0; !p.isOp(")"); n++ {
		if n > 0 {
			if err := p.expectOp(","); err != nil {
				return a, err
			}
			if p.isOp(")") {
				break
			}
		}
		if err := p.parseCallArg(&a); err != nil {
			return a, err
		}
	}
	p.next()
	return a, nil
}

// parseCallArg parses one argument: x, name=x, *x or **x.
func (p *parser) parseCallArg(a *callArgs) error {
	invalid := func() error { return p.fail("invalid syntax for function call expression") }
	switch {
	case p.skipOp("*"):
		if a.star != nil || a.dstar != nil {
			return invalid()
		}
		return p.assign(&a.star)
	case p.skipOp("**"):
		if a.dstar != nil {
			return invalid()
		}
		return p.assign(&a.dstar)
	case p.cur().kind == tName && p.peek().kind == tOp && p.peek().val == "=":
		if a.star != nil || a.dstar != nil {
			return invalid()
		}
		name := p.next().val
		p.next()
		kw := kwarg{name: name}
		a.kwargs = append(a.kwargs, kw)
		return p.assign(&a.kwargs[len(a.kwargs)-1].value)
	}
	if a.star != nil || a.dstar != nil || len(a.kwargs) > 0 {
		return invalid()
	}
	a.args = append(a.args, nil)
	return p.assign(&a.args[len(a.args)-1])
}

// assign parses an expression into *dst.
func (p *parser) assign(dst *expr) error {
	x, err := p.parseExpression(true)
	*dst = x
	return err
}

// parseFilterExpr parses the filters, tests and calls that follow x.
func (p *parser) parseFilterExpr(x expr) (expr, error) {
	for {
		var err error
		switch {
		case p.isOp("|"):
			x, err = p.parseFilters(x, false)
		case p.isName("is"):
			x, err = p.parseTest(x)
		case p.isOp("("):
			x, err = p.parseCall(x)
		default:
			return x, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseFilters parses "|f(args)|g" applied to x. With inline the first
// filter name comes without a pipe ({% filter upper %}).
func (p *parser) parseFilters(x expr, inline bool) (expr, error) {
	for inline || p.skipOp("|") {
		inline = false
		name, line, err := p.dottedName()
		if err != nil {
			return nil, err
		}
		def, ok := filters[name]
		if !ok {
			return nil, syntaxErrorf(line, "No filter named '%s'.", name)
		}
		f := &filterExpr{at: at{line}, x: x, name: name, def: def}
		if p.skipOp("(") {
			if f.callArgs, err = p.parseCallArgs(); err != nil {
				return nil, err
			}
		}
		x = f
	}
	return x, nil
}

// parseFilterChain parses filters for a block and returns them in the
// order they apply.
func (p *parser) parseFilterChain(inline bool) ([]*filterExpr, error) {
	x, err := p.parseFilters(nil, inline)
	if err != nil {
		return nil, err
	}
	var chain []*filterExpr
	for x != nil {
		f := x.(*filterExpr)
		chain = append([]*filterExpr{f}, chain...)
		x = f.x
	}
	return chain, nil
}

func (p *parser) dottedName() (string, int, error) {
	t, err := p.expectName()
	if err != nil {
		return "", 0, err
	}
	name := t.val
	for p.skipOp(".") {
		part, err := p.expectName()
		if err != nil {
			return "", 0, err
		}
		name += "." + part.val
	}
	return name, t.line, nil
}

// testArgStarts are the token kinds that start a test's single argument
// written without parentheses, as in "x is divisibleby 3".
func (p *parser) startsTestArg() bool {
	t := p.cur()
	switch t.kind {
	case tName:
		return t.val != "else" && t.val != "or" && t.val != "and"
	case tString, tInt, tFloat:
		return true
	case tOp:
		return t.val == "[" || t.val == "{"
	}
	return false
}

func (p *parser) parseTest(x expr) (expr, error) {
	line := p.next().line
	negated := p.skipName("not")
	name, _, err := p.dottedName()
	if err != nil {
		return nil, err
	}
	def, ok := tests[name]
	if !ok {
		return nil, syntaxErrorf(line, "No test named '%s'.", name)
	}
	t := &testExpr{at: at{line}, x: x, name: name, def: def}
	if err := p.parseTestArgs(t); err != nil {
		return nil, err
	}
	if negated {
		return &notExpr{at{line}, t}, nil
	}
	return t, nil
}

func (p *parser) parseTestArgs(t *testExpr) error {
	var err error
	switch {
	case p.skipOp("("):
		t.callArgs, err = p.parseCallArgs()
	case p.startsTestArg():
		if p.isName("is") {
			return p.fail("You cannot chain multiple tests with is")
		}
		var arg expr
		if arg, err = p.parsePrimary(); err == nil {
			arg, err = p.parsePostfix(arg)
		}
		t.args = []expr{arg}
	}
	return err
}
