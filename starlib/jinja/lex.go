package jinja

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// lineStatementPrefix is the prefix that makes a line a statement, as in
// batou's Jinja2 environment.
const lineStatementPrefix = "@@"

// kind is the kind of one of our tokens.
type kind int

const (
	tData       kind = iota // template text, already whitespace-controlled
	tVarBegin               // {{
	tVarEnd                 // }}
	tBlockBegin             // {% or a line statement prefix
	tBlockEnd               // %} or the end of a line statement
	tName                   // identifier or keyword
	tString                 // string literal, val is the decoded value
	tInt                    // integer literal, val is the source text
	tFloat                  // float literal, val is the source text
	tOp                     // operator or punctuation, val is its text
	tEOF                    // end of the template
)

// token is one token of a template, with the line it starts on.
type token struct {
	kind kind
	val  string
	line int
}

// describe names a token the way an error message should show it.
func (t token) describe() string {
	switch t.kind {
	case tVarEnd:
		return "end of print statement"
	case tBlockEnd:
		return "end of statement block"
	case tEOF:
		return "end of template"
	case tString:
		return "string"
	case tData:
		return "template data"
	}
	return fmt.Sprintf("'%s'", t.val)
}

// lexConfig is the gonja lexer configuration batou uses: default
// delimiters, keep_trailing_newline and the "@@" line statement prefix.
func lexConfig() *config.Config {
	cfg := config.New()
	cfg.KeepTrailingNewline = true
	cfg.LineStatementPrefix = lineStatementPrefix
	return cfg
}

// lexer turns gonja's document tokens into ours: text with whitespace
// control applied, comments dropped, and the inside of every tag scanned
// again by scanExpr with Python's literal rules.
type lexer struct {
	src    string // newline-normalized source; gonja positions index it
	starts []int  // byte offset of the start of each line
	in     []*tokens.Token
	out    []token
}

// lex splits a template source into tokens.
//
// gonja's lexer ends a string literal at any quote after a backslash, so
// '\\' would run on past its closing quote. It therefore lexes a copy in
// which every escaped backslash is masked by two neutral bytes; positions
// stay the same, and all text is taken from the original.
func lex(source string) ([]token, error) {
	l := &lexer{src: normalizeNewlines(source)}
	l.starts = lineStarts(l.src)
	masked := strings.ReplaceAll(l.src, `\\`, "\x01\x01")
	l.in = drain(tokens.LexAll(masked, lexConfig()))
	if err := l.run(); err != nil {
		return nil, err
	}
	return l.out, nil
}

// normalizeNewlines turns \r\n and \r into \n, as gonja and Jinja2 do.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// lineStarts returns the byte offset at which each line begins.
func lineStarts(s string) []int {
	starts := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineAt returns the 1-based line of byte offset pos.
func (l *lexer) lineAt(pos int) int {
	return sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > pos })
}

// drain collects the whole gonja token stream, up to and including the
// final EOF or Error token.
func drain(s *tokens.Stream) []*tokens.Token {
	var all []*tokens.Token
	for {
		tok := s.Current()
		all = append(all, tok)
		if tok.Type == tokens.EOF || tok.Type == tokens.Error {
			return all
		}
		s.Next()
	}
}

// run converts l.in into l.out.
func (l *lexer) run() error {
	for i := 0; i < len(l.in); i++ {
		tok := l.in[i]
		switch tok.Type {
		case tokens.Data:
			l.data(i)
		case tokens.CommentBegin:
			j := l.skipTo(i, tokens.CommentEnd)
			if l.in[j].Type != tokens.CommentEnd {
				return l.lexError(l.in[i], l.in[j])
			}
			i = j
		case tokens.VariableBegin, tokens.BlockBegin:
			end, err := l.tag(i)
			if err != nil {
				return err
			}
			i = end
		case tokens.EOF:
			l.out = append(l.out, token{kind: tEOF, line: l.lastLine()})
		case tokens.Error:
			return l.lexError(nil, tok)
		}
	}
	return nil
}

// lastLine is the line of the last token so far, which Jinja2 also
// reports for an unexpected end of the template.
func (l *lexer) lastLine() int {
	if n := len(l.out); n > 0 {
		return l.out[n-1].line
	}
	return 1
}

// skipTo returns the index of the first token after i that has type t or
// ends the stream (EOF or Error).
func (l *lexer) skipTo(i int, t tokens.Type) int {
	for i+1 < len(l.in) {
		i++
		if l.in[i].Type == t || l.in[i].Type == tokens.EOF || l.in[i].Type == tokens.Error {
			return i
		}
	}
	return i
}

// lexError converts a gonja error token, or an early EOF inside a tag,
// into a syntax error on the line of the tag it happened in.
func (l *lexer) lexError(begin, tok *tokens.Token) error {
	line := l.lineAt(tok.Pos)
	if begin != nil {
		line = l.lineAt(begin.Pos)
	}
	return &lineError{line: line, err: syntaxError(lexMessage(tok))}
}

// unclosed reports a tag that the template ends inside of, on the line of
// the last token as Jinja2 does, or a lexer error inside a tag on its own
// line.
func (l *lexer) unclosed(end *tokens.Token, want kind) error {
	if end.Type == tokens.Error && !strings.Contains(end.Val, "EOF") {
		return l.lexError(nil, end)
	}
	return &lineError{line: l.lastLine(), err: syntaxError(fmt.Sprintf(
		"unexpected end of template, expected '%s'", token{kind: want}.describe()))}
}

// lexMessage words the problem a gonja error token reports.
func lexMessage(tok *tokens.Token) string {
	msg := tok.Val
	switch {
	case tok.Type == tokens.EOF:
		return "unexpected end of template"
	case strings.Contains(msg, "comment"):
		return "missing end of comment tag"
	case strings.Contains(msg, "raw"):
		return "missing end of raw directive"
	case strings.Contains(msg, "elimiter") || strings.HasPrefix(msg, "Unexpected"):
		return strings.ToLower(msg[:1]) + msg[1:]
	case strings.Contains(msg, "numeric"):
		return msg
	}
	return "unexpected end of string"
}

// data appends the text token l.in[i] after applying whitespace control:
// a "-" on the neighbouring tags strips all whitespace on that side, and a
// line statement swallows the blank lines that follow it, as Jinja2's
// `\s*(\n|$)` line statement end does.
func (l *lexer) data(i int) {
	tok := l.in[i]
	text := l.src[tok.Pos : tok.Pos+len(tok.Val)]
	if i > 0 {
		prev := l.in[i-1]
		switch {
		case isTagEnd(prev) && strings.HasPrefix(strings.TrimLeftFunc(prev.Val, isPySpace), "-"):
			text = strings.TrimLeftFunc(text, isPySpace)
		case prev.Type == tokens.BlockEnd && isLineStatementEnd(prev):
			text = trimAfterLineStatement(text, l.in[i+1].Type == tokens.EOF)
		}
	}
	if next := l.in[i+1]; isTagBegin(next) && strings.HasSuffix(next.Val, "-") {
		text = strings.TrimRightFunc(text, isPySpace)
	}
	if text != "" {
		l.out = append(l.out, token{kind: tData, val: text, line: l.lineAt(tok.Pos)})
	}
}

// trimAfterLineStatement removes the whitespace that follows a line
// statement up to and including its last newline, or all of it at the end
// of the template.
func trimAfterLineStatement(text string, atEOF bool) string {
	rest := strings.TrimLeftFunc(text, isPySpace)
	if rest == "" && atEOF {
		return ""
	}
	ws := text[:len(text)-len(rest)]
	if nl := strings.LastIndexByte(ws, '\n'); nl >= 0 {
		return text[nl+1:]
	}
	return text
}

func isTagBegin(t *tokens.Token) bool {
	return t.Type == tokens.VariableBegin || t.Type == tokens.BlockBegin || t.Type == tokens.CommentBegin
}

func isTagEnd(t *tokens.Token) bool {
	return t.Type == tokens.VariableEnd || t.Type == tokens.BlockEnd || t.Type == tokens.CommentEnd
}

// isLineStatementEnd reports whether a BlockEnd token ends a line statement
// (its text is the rest of the line) rather than a "%}" tag.
func isLineStatementEnd(t *tokens.Token) bool {
	return !strings.HasSuffix(t.Val, "%}")
}

// tag scans the tag that starts at l.in[i] and returns the index of its
// end token.
func (l *lexer) tag(i int) (int, error) {
	begin := l.in[i]
	endType, bk, ek := tokens.VariableEnd, tVarBegin, tVarEnd
	if begin.Type == tokens.BlockBegin {
		endType, bk, ek = tokens.BlockEnd, tBlockBegin, tBlockEnd
	}
	j := l.skipTo(i, endType)
	end := l.in[j]
	l.out = append(l.out, token{kind: bk, val: begin.Val, line: l.lineAt(begin.Pos)})
	from := begin.Pos + len(begin.Val)
	stop := end.Pos
	if end.Type != endType {
		stop = len(l.src)
	}
	inner, err := scanExpr(l.src[from:stop], from, l.lineAt)
	if err != nil {
		return j, err
	}
	l.out = append(l.out, inner...)
	if end.Type != endType {
		return j, l.unclosed(end, ek)
	}
	endPos := end.Pos
	if strings.HasSuffix(end.Val, "}") {
		endPos += len(end.Val) - len(strings.TrimLeftFunc(end.Val, isPySpace))
	}
	l.out = append(l.out, token{kind: ek, val: end.Val, line: l.lineAt(endPos)})
	return j, nil
}

// isPySpace reports whether r is whitespace for Python's str.strip().
func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}
