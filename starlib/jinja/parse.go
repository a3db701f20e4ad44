package jinja

import (
	"fmt"
	"slices"
	"strings"
)

// parser builds the syntax tree from the tokens of one template. It
// follows the grammar of Jinja2's parser, including its tolerance of a
// colon at the end of a block tag ({% for x in xs: %}).
type parser struct {
	toks []token
	i    int
	// tags are the open block tags, innermost last, for error messages.
	tags []string
	// names collects the names used inside the macro bodies being parsed.
	names []map[string]bool
	// blocks are the {% block %} tags by name, for self.name().
	blocks map[string]*blockStmt
}

// parse parses a template source into its statements and its blocks.
func parse(source string) ([]stmt, map[string]*blockStmt, error) {
	toks, err := lex(source)
	if err != nil {
		return nil, nil, err
	}
	p := &parser{toks: toks, blocks: map[string]*blockStmt{}}
	body, err := p.subparse(nil)
	return body, p.blocks, err
}

func (p *parser) cur() token { return p.toks[p.i] }

func (p *parser) peek() token {
	if p.i+1 < len(p.toks) {
		return p.toks[p.i+1]
	}
	return p.toks[len(p.toks)-1]
}

// next returns the current token and advances, never past EOF.
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isOp(v string) bool {
	t := p.cur()
	return t.kind == tOp && t.val == v
}

func (p *parser) isName(v string) bool {
	t := p.cur()
	return t.kind == tName && t.val == v
}

func (p *parser) skipOp(v string) bool {
	if p.isOp(v) {
		p.i++
		return true
	}
	return false
}

func (p *parser) skipName(v string) bool {
	if p.isName(v) {
		p.i++
		return true
	}
	return false
}

// fail returns a syntax error about the current token.
func (p *parser) fail(format string, args ...any) error {
	return syntaxErrorf(p.cur().line, format, args...)
}

func (p *parser) expectOp(v string) error {
	if !p.skipOp(v) {
		return p.fail("expected token '%s', got %s", v, p.cur().describe())
	}
	return nil
}

func (p *parser) expectName() (token, error) {
	if t := p.cur(); t.kind == tName {
		p.i++
		return t, nil
	}
	return token{}, p.fail("expected token 'name', got %s", p.cur().describe())
}

func (p *parser) expectKind(k kind, what string) error {
	if p.cur().kind != k {
		return p.fail("expected token '%s', got %s", what, p.cur().describe())
	}
	p.next()
	return nil
}

// subparse parses statements until EOF (ends == nil) or until a block tag
// whose name is in ends; it stops with that name as the current token.
func (p *parser) subparse(ends []string) ([]stmt, error) {
	var body []stmt
	for {
		t := p.cur()
		switch t.kind {
		case tData:
			p.i++
			body = append(body, &textStmt{at{t.line}, t.val})
		case tVarBegin:
			s, err := p.output()
			if err != nil {
				return nil, err
			}
			body = append(body, s)
		case tBlockBegin:
			p.i++
			if n := p.cur(); n.kind == tName && slices.Contains(ends, n.val) {
				return body, nil
			}
			s, err := p.statement()
			if err != nil {
				return nil, err
			}
			body = append(body, s)
			if err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
				return nil, err
			}
		case tEOF:
			if ends != nil {
				return nil, p.endError("Unexpected end of template.", ends)
			}
			return body, nil
		default:
			return nil, p.fail("unexpected %s", t.describe())
		}
	}
}

// output parses {{ expression }}.
func (p *parser) output() (stmt, error) {
	p.i++
	x, err := p.parseTuple(tupleOpts{condexpr: true})
	if err != nil {
		return nil, err
	}
	if err := p.expectKind(tVarEnd, "end of print statement"); err != nil {
		return nil, err
	}
	return &outputStmt{at{x.pos()}, x}, nil
}

// endError explains which end tags the parser was looking for.
func (p *parser) endError(what string, ends []string) error {
	msg := what
	if len(ends) > 0 {
		quoted := make([]string, len(ends))
		for i, e := range ends {
			quoted[i] = "'" + e + "'"
		}
		msg += fmt.Sprintf(" Jinja was looking for the following tags: %s.", strings.Join(quoted, " or "))
	}
	if n := len(p.tags); n > 0 {
		msg += fmt.Sprintf(" The innermost block that needs to be closed is '%s'.", p.tags[n-1])
	}
	return p.fail("%s", msg)
}

// statement parses the block tag whose name is the current token.
func (p *parser) statement() (stmt, error) {
	t := p.cur()
	if t.kind != tName {
		return nil, p.fail("tag name expected")
	}
	parse, ok := statements[t.val]
	if !ok {
		return nil, p.endError(fmt.Sprintf("Encountered unknown tag '%s'.", t.val), nil)
	}
	p.tags = append(p.tags, t.val)
	defer func() { p.tags = p.tags[:len(p.tags)-1] }()
	return parse(p)
}

// statements maps tag names to their parsers. Filled in by init (the
// parsers refer to it), read-only afterwards.
var statements map[string]func(*parser) (stmt, error)

func init() {
	statements = map[string]func(*parser) (stmt, error){
		"for": (*parser).parseFor, "if": (*parser).parseIf, "set": (*parser).parseSet,
		"macro": (*parser).parseMacro, "call": (*parser).parseCallBlock,
		"filter": (*parser).parseFilterBlock, "with": (*parser).parseWith,
		"block": (*parser).parseBlock, "raw": (*parser).parseRaw, "print": (*parser).parsePrint,
		"include": (*parser).parseLoader, "import": (*parser).parseLoader,
		"from": (*parser).parseLoader, "extends": (*parser).parseLoader,
	}
}

// parseStatements parses the body of a block tag after its header: an
// optional colon, the end of the tag, then statements up to one of ends.
// With drop the end tag's name is consumed.
func (p *parser) parseStatements(ends []string, drop bool) ([]stmt, error) {
	p.skipOp(":")
	if err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
		return nil, err
	}
	body, err := p.subparse(ends)
	if err != nil {
		return nil, err
	}
	if drop {
		p.next()
	}
	return body, nil
}

func (p *parser) parseFor() (stmt, error) {
	s := &forStmt{at: at{p.next().line}}
	var err error
	if s.target, err = p.parseAssignTarget([]string{"in"}); err != nil {
		return nil, err
	}
	if !p.skipName("in") {
		return nil, p.fail("expected token 'in', got %s", p.cur().describe())
	}
	if s.iter, err = p.parseTuple(tupleOpts{extraEnd: []string{"recursive"}}); err != nil {
		return nil, err
	}
	s.consts = constItems(s.iter)
	if p.skipName("if") {
		if s.cond, err = p.parseExpression(true); err != nil {
			return nil, err
		}
	}
	s.recursive = p.skipName("recursive")
	if s.body, err = p.parseStatements([]string{"endfor", "else"}, false); err != nil {
		return nil, err
	}
	if p.next().val == "else" {
		s.orelse, err = p.parseStatements([]string{"endfor"}, true)
	}
	return s, err
}

func (p *parser) parseIf() (stmt, error) {
	s := &ifStmt{at: at{p.cur().line}}
	for {
		line := p.next().line
		cond, err := p.parseTuple(tupleOpts{})
		if err != nil {
			return nil, err
		}
		body, err := p.parseStatements([]string{"elif", "else", "endif"}, false)
		if err != nil {
			return nil, err
		}
		s.lines, s.conds, s.bodies = append(s.lines, line), append(s.conds, cond), append(s.bodies, body)
		switch p.cur().val {
		case "elif":
			continue
		case "else":
			p.next()
			s.orelse, err = p.parseStatements([]string{"endif"}, true)
			return s, err
		}
		p.next()
		return s, nil
	}
}

func (p *parser) parseSet() (stmt, error) {
	line := p.next().line
	tgt, err := p.parseNamespaceTarget()
	if err != nil {
		return nil, err
	}
	if p.skipOp("=") {
		value, err := p.parseTuple(tupleOpts{condexpr: true})
		if err != nil {
			return nil, err
		}
		return &setStmt{at{line}, tgt, value}, nil
	}
	s := &setBlockStmt{at: at{line}, target: tgt}
	if p.isOp("|") {
		if s.filters, err = p.parseFilterChain(false); err != nil {
			return nil, err
		}
	}
	s.body, err = p.parseStatements([]string{"endset"}, true)
	return s, err
}

// parseNamespaceTarget parses the target of {% set %}: a name, ns.attr or
// a tuple of names.
func (p *parser) parseNamespaceTarget() (target, error) {
	if p.cur().kind == tName && p.peek().kind == tOp && p.peek().val == "." {
		ns := p.next().val
		p.next()
		attr, err := p.expectName()
		if err != nil {
			return nil, err
		}
		return nsTarget{ns, attr.val}, nil
	}
	return p.parseAssignTarget(nil)
}

// parseAssignTarget parses names or tuples of names to assign to.
func (p *parser) parseAssignTarget(extraEnd []string) (target, error) {
	line := p.cur().line
	x, err := p.parseTuple(tupleOpts{simplified: true, extraEnd: extraEnd})
	if err != nil {
		return nil, err
	}
	return toTarget(x, line)
}

// toTarget converts an expression into an assignment target.
func toTarget(x expr, line int) (target, error) {
	switch x := x.(type) {
	case *nameExpr:
		return nameTarget(x.name), nil
	case *tupleExpr:
		t := make(tupleTarget, len(x.items))
		for i, item := range x.items {
			var err error
			if t[i], err = toTarget(item, line); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	return nil, syntaxErrorf(line, "can't assign to %s", nodeKind(x))
}

// nodeKind names an expression node the way Jinja2's messages do.
func nodeKind(x expr) string {
	switch x.(type) {
	case *constExpr:
		return "'const'"
	case *listExpr:
		return "'list'"
	case *dictExpr:
		return "'dict'"
	case *callExpr:
		return "'call'"
	}
	return "'expression'"
}

func (p *parser) parseMacro() (stmt, error) {
	line := p.next().line
	name, err := p.expectName()
	if err != nil {
		return nil, err
	}
	def := &macroDef{name: name.val}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	if err := p.parseSignature(def); err != nil {
		return nil, err
	}
	if err := p.parseMacroBody(def, "endmacro"); err != nil {
		return nil, err
	}
	return &macroStmt{at{line}, def}, nil
}

// parseSignature parses the parameters of a macro or call block after "(".
func (p *parser) parseSignature(def *macroDef) error {
	for !p.isOp(")") {
		if len(def.params) > 0 {
			if err := p.expectOp(","); err != nil {
				return err
			}
		}
		name, err := p.expectName()
		if err != nil {
			return err
		}
		def.params = append(def.params, name.val)
		if p.skipOp("=") {
			d, err := p.parseExpression(true)
			if err != nil {
				return err
			}
			def.defaults = append(def.defaults, d)
		} else if len(def.defaults) > 0 {
			return p.fail("non-default argument follows default argument")
		}
	}
	p.next()
	return nil
}

// parseMacroBody parses a macro body and notes which of varargs, kwargs
// and caller it uses.
func (p *parser) parseMacroBody(def *macroDef, end string) error {
	names := map[string]bool{}
	p.names = append(p.names, names)
	body, err := p.parseStatements([]string{end}, true)
	p.names = p.names[:len(p.names)-1]
	def.body = body
	def.varargs, def.kwargs, def.caller = names["varargs"], names["kwargs"], names["caller"]
	return err
}

func (p *parser) parseCallBlock() (stmt, error) {
	line := p.next().line
	caller := &macroDef{name: "caller"}
	if p.skipOp("(") {
		if err := p.parseSignature(caller); err != nil {
			return nil, err
		}
	}
	x, err := p.parseExpression(true)
	if err != nil {
		return nil, err
	}
	call, ok := x.(*callExpr)
	if !ok {
		return nil, syntaxErrorf(line, "expected call")
	}
	if err := p.parseMacroBody(caller, "endcall"); err != nil {
		return nil, err
	}
	return &callBlockStmt{at{line}, call, caller}, nil
}

func (p *parser) parseFilterBlock() (stmt, error) {
	line := p.next().line
	filters, err := p.parseFilterChain(true)
	if err != nil {
		return nil, err
	}
	body, err := p.parseStatements([]string{"endfilter"}, true)
	return &filterBlockStmt{at{line}, filters, body}, err
}

func (p *parser) parseWith() (stmt, error) {
	s := &withStmt{at: at{p.next().line}}
	for p.cur().kind != tBlockEnd && !p.isOp(":") {
		if len(s.targets) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		line := p.cur().line
		x, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		tgt, err := toTarget(x, line)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		value, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		s.targets, s.values = append(s.targets, tgt), append(s.values, value)
	}
	var err error
	s.body, err = p.parseStatements([]string{"endwith"}, true)
	return s, err
}

func (p *parser) parseBlock() (stmt, error) {
	line := p.next().line
	name, err := p.expectName()
	if err != nil {
		return nil, err
	}
	p.skipName("scoped")
	p.skipName("required")
	body, err := p.parseStatements([]string{"endblock"}, true)
	if err != nil {
		return nil, err
	}
	p.skipName(name.val)
	if _, dup := p.blocks[name.val]; dup {
		return nil, syntaxErrorf(line, "block '%s' defined twice", name.val)
	}
	b := &blockStmt{at{line}, name.val, body}
	p.blocks[name.val] = b
	return b, nil
}

// parseRaw returns the text between {% raw %} and {% endraw %}.
func (p *parser) parseRaw() (stmt, error) {
	line := p.next().line
	if err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
		return nil, err
	}
	text := ""
	if t := p.cur(); t.kind == tData {
		text = t.val
		p.next()
	}
	if err := p.expectKind(tBlockBegin, "begin of statement block"); err != nil {
		return nil, err
	}
	if !p.skipName("endraw") {
		return nil, p.fail("expected 'endraw', got %s", p.cur().describe())
	}
	return &textStmt{at{line}, text}, nil
}

// parsePrint parses {% print x, y %}.
func (p *parser) parsePrint() (stmt, error) {
	line := p.next().line
	t := &tupleExpr{at: at{line}}
	for p.cur().kind != tBlockEnd {
		if len(t.items) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		x, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		t.items = append(t.items, x)
	}
	return &printStmt{at{line}, t.items}, nil
}

// printStmt is {% print %}: each expression is output in turn.
type printStmt struct {
	at
	items []expr
}

// parseLoader parses include, import, from and extends. batou renders
// templates from strings without a loader, so they fail when rendered.
func (p *parser) parseLoader() (stmt, error) {
	t := p.next()
	for p.cur().kind != tBlockEnd && p.cur().kind != tEOF {
		p.next()
	}
	return &loaderStmt{at{t.line}, t.val}, nil
}
