package jinja

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// operators lists Jinja2's operators and punctuation, longest first so
// that the scanner takes "//" before "/".
var operators = []string{
	"//", "**", "==", "!=", ">=", "<=",
	"+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
	">", "<", "=", ".", ":", "|", ",", ";",
}

// scanner tokenizes the inside of one tag with Python's literal rules.
type scanner struct {
	text   string
	base   int // offset of text in the whole source
	lineAt func(int) int
	pos    int
	out    []token
}

// scanExpr tokenizes text, the inside of a tag that starts at offset base
// of the source. lineAt maps a source offset to its line.
func scanExpr(text string, base int, lineAt func(int) int) ([]token, error) {
	s := &scanner{text: text, base: base, lineAt: lineAt}
	for {
		s.pos += len(text[s.pos:]) - len(strings.TrimLeftFunc(text[s.pos:], unicode.IsSpace))
		if s.pos >= len(text) {
			return s.out, nil
		}
		if err := s.one(); err != nil {
			return nil, err
		}
	}
}

// one scans the token at s.pos.
func (s *scanner) one() error {
	start := s.pos
	r, _ := utf8.DecodeRuneInString(s.text[s.pos:])
	switch {
	case r == '\'' || r == '"':
		return s.str(start)
	case r >= '0' && r <= '9':
		return s.number(start)
	case r == '_' || unicode.IsLetter(r):
		s.name(start)
		return nil
	}
	for _, op := range operators {
		if strings.HasPrefix(s.text[s.pos:], op) {
			s.pos += len(op)
			s.emit(tOp, op, start)
			return nil
		}
	}
	return s.fail(start, fmt.Sprintf("unexpected char %q", r))
}

func (s *scanner) emit(k kind, val string, start int) {
	s.out = append(s.out, token{kind: k, val: val, line: s.lineAt(s.base + start)})
}

func (s *scanner) fail(start int, msg string) error {
	return &lineError{line: s.lineAt(s.base + start), err: syntaxError(msg)}
}

// name scans an identifier.
func (s *scanner) name(start int) {
	for s.pos < len(s.text) {
		r, n := utf8.DecodeRuneInString(s.text[s.pos:])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		s.pos += n
	}
	s.emit(tName, s.text[start:s.pos], start)
}

// number scans an integer or float literal. After a "." (attribute access
// such as x.0.1) only integers are recognized, as in Jinja2.
func (s *scanner) number(start int) error {
	t := s.text
	if len(t) > s.pos+1 && t[s.pos] == '0' && strings.ContainsRune("bBoOxX", rune(t[s.pos+1])) {
		s.pos += 2
		s.digits(isHexDigit)
		s.emit(tInt, t[start:s.pos], start)
		return nil
	}
	s.digits(isDecDigit)
	afterDot := len(s.out) > 0 && s.out[len(s.out)-1].val == "." && s.out[len(s.out)-1].kind == tOp
	float := false
	if !afterDot && s.pos+1 < len(t) && t[s.pos] == '.' && isDecDigit(rune(t[s.pos+1])) {
		s.pos++
		s.digits(isDecDigit)
		float = true
	}
	if !afterDot && s.exponent() {
		float = true
	}
	if float {
		s.emit(tFloat, t[start:s.pos], start)
	} else {
		s.emit(tInt, t[start:s.pos], start)
	}
	return nil
}

// exponent scans an optional exponent such as e+10.
func (s *scanner) exponent() bool {
	t := s.text
	i := s.pos
	if i >= len(t) || (t[i] != 'e' && t[i] != 'E') {
		return false
	}
	i++
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	if i >= len(t) || !isDecDigit(rune(t[i])) {
		return false
	}
	s.pos = i
	s.digits(isDecDigit)
	return true
}

func (s *scanner) digits(ok func(rune) bool) {
	for s.pos < len(s.text) && (ok(rune(s.text[s.pos])) || s.text[s.pos] == '_') {
		s.pos++
	}
}

func isDecDigit(r rune) bool { return r >= '0' && r <= '9' }

func isHexDigit(r rune) bool {
	return isDecDigit(r) || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F')
}

// str scans a string literal and decodes its escapes.
func (s *scanner) str(start int) error {
	quote := s.text[s.pos]
	i := s.pos + 1
	for i < len(s.text) && s.text[i] != quote {
		if s.text[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(s.text) {
		return s.fail(start, fmt.Sprintf("unexpected char %q", rune(quote)))
	}
	s.pos = i + 1
	s.emit(tString, unescapePy(s.text[start+1:i]), start)
	return nil
}

// unescapePy decodes the backslash escapes of a Python string literal.
// Unknown escapes are kept as written, as Python does.
func unescapePy(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i += writeEscape(&b, s[i+1:])
	}
	return b.String()
}

// simpleEscapes maps the one-letter escapes to their characters.
var simpleEscapes = map[byte]string{
	'\\': `\`, '\'': "'", '"': `"`, 'a': "\a", 'b': "\b", 'f': "\f",
	'n': "\n", 'r': "\r", 't': "\t", 'v': "\v", '\n': "",
}

// writeEscape decodes the escape whose text (after the backslash) starts
// rest and returns how many bytes of rest it used.
func writeEscape(b *strings.Builder, rest string) int {
	c := rest[0]
	if v, ok := simpleEscapes[c]; ok {
		b.WriteString(v)
		return 1
	}
	switch c {
	case 'x':
		return writeHexEscape(b, rest, 2)
	case 'u':
		return writeHexEscape(b, rest, 4)
	case 'U':
		return writeHexEscape(b, rest, 8)
	}
	if c >= '0' && c <= '7' {
		n := 1
		for n < 3 && n < len(rest) && rest[n] >= '0' && rest[n] <= '7' {
			n++
		}
		v, _ := strconv.ParseUint(rest[:n], 8, 32)
		b.WriteRune(rune(v))
		return n
	}
	b.WriteByte('\\')
	return 0
}

// writeHexEscape decodes \x, \u or \U with n hex digits.
func writeHexEscape(b *strings.Builder, rest string, n int) int {
	if len(rest) > n {
		if v, err := strconv.ParseUint(rest[1:1+n], 16, 32); err == nil {
			b.WriteRune(rune(v))
			return n + 1
		}
	}
	b.WriteByte('\\')
	return 0
}
