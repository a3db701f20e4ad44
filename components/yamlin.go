package components

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// yamlLine is one line of a YAML source.
type yamlLine struct {
	num    int    // 1-based
	indent int    // leading spaces
	text   string // without indent and comment, right-trimmed
	raw    string // the line as written, for block scalars
}

// yamlParser reads the common subset of YAML: block mappings and
// sequences, flow collections on one line, plain, quoted and block
// scalars, comments, one document. Scalars resolve as in YAML 1.1 (what
// PyYAML reads): yes/no/on/off are booleans too.
type yamlParser struct {
	lines []yamlLine
	i     int
}

// parseYAML parses a YAML document into plain values.
func parseYAML(data []byte) (any, error) {
	p := &yamlParser{}
	if err := p.split(string(data)); err != nil {
		return nil, err
	}
	if !p.next() {
		return nil, nil
	}
	v, err := p.node(p.lines[p.i].indent)
	if err != nil {
		return nil, err
	}
	if p.next() {
		return nil, p.errf("unexpected content (a second value, or wrong indentation)")
	}
	return v, nil
}

// split cuts the source into lines and refuses what the subset lacks.
func (p *yamlParser) split(src string) error {
	for n, raw := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		if strings.HasPrefix(raw, "\t") {
			return fmt.Errorf("line %d: tabs cannot indent YAML", n+1)
		}
		trimmed := strings.TrimLeft(raw, " ")
		l := yamlLine{num: n + 1, indent: len(raw) - len(trimmed), raw: raw, text: stripComment(trimmed)}
		switch {
		case l.text == "---" && len(p.lines) == 0:
			continue
		case l.text == "---" || l.text == "...":
			if l.text == "---" {
				return fmt.Errorf("line %d: only one YAML document is supported", l.num)
			}
			return nil
		}
		p.lines = append(p.lines, l)
	}
	return nil
}

// stripComment removes a # comment (at the start or after a space,
// outside quotes) and trailing spaces.
func stripComment(s string) string {
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\'') && (i == 0 || strings.ContainsRune(" [{,:-", rune(s[i-1]))):
			quote = c
		case quote == 0 && c == '#' && (i == 0 || s[i-1] == ' '):
			return strings.TrimRight(s[:i], " ")
		}
	}
	return strings.TrimRight(s, " ")
}

// next skips blank lines and reports whether a line is left.
func (p *yamlParser) next() bool {
	for p.i < len(p.lines) && p.lines[p.i].text == "" {
		p.i++
	}
	return p.i < len(p.lines)
}

func (p *yamlParser) errf(format string, args ...any) error {
	n := len(p.lines)
	if p.i < len(p.lines) {
		n = p.lines[p.i].num
	}
	return fmt.Errorf("line %d: %s", n, fmt.Sprintf(format, args...))
}

// node parses the value starting at the current line, at indent.
func (p *yamlParser) node(indent int) (any, error) {
	l := p.lines[p.i]
	switch {
	case l.text == "-" || strings.HasPrefix(l.text, "- "):
		return p.sequence(l.indent)
	case mappingKey(l.text) >= 0:
		return p.mapping(l.indent)
	}
	p.i++
	return p.inline(l.text, l.indent)
}

func (p *yamlParser) sequence(indent int) (any, error) {
	out := []any{}
	for p.next() && p.lines[p.i].indent == indent && (p.lines[p.i].text == "-" || strings.HasPrefix(p.lines[p.i].text, "- ")) {
		l := &p.lines[p.i]
		rest := strings.TrimLeft(strings.TrimPrefix(l.text, "-"), " ")
		if rest == "" {
			p.i++
			v, err := p.nested(indent, false)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		// The item's content reads like a line of its own, further in.
		l.indent += len(l.text) - len(rest)
		l.text = rest
		v, err := p.node(l.indent)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, p.checkDedent(indent)
}

func (p *yamlParser) mapping(indent int) (any, error) {
	out := map[string]any{}
	for p.next() && p.lines[p.i].indent == indent {
		l := p.lines[p.i]
		at := mappingKey(l.text)
		if at < 0 {
			return nil, p.errf("expected \"key: value\"")
		}
		key, err := p.key(l.text[:at])
		if err != nil {
			return nil, err
		}
		if _, dup := out[key]; dup {
			return nil, p.errf("key %q appears twice", key)
		}
		p.i++
		v, err := p.mappingValue(strings.TrimLeft(l.text[at+1:], " "), indent)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, p.checkDedent(indent)
}

func (p *yamlParser) mappingValue(rest string, indent int) (any, error) {
	switch {
	case rest == "":
		return p.nested(indent, true)
	case rest[0] == '|' || rest[0] == '>':
		return p.blockScalar(rest, indent)
	}
	return p.inline(rest, indent)
}

// nested parses the value on the lines after "key:" or "-": a block
// further in, a sequence at the same indent (after a key), or null.
func (p *yamlParser) nested(indent int, seqSameIndent bool) (any, error) {
	if !p.next() {
		return nil, nil
	}
	l := p.lines[p.i]
	isSeq := l.text == "-" || strings.HasPrefix(l.text, "- ")
	if l.indent > indent || (seqSameIndent && l.indent == indent && isSeq) {
		return p.node(l.indent)
	}
	return nil, nil
}

// checkDedent fails when the next line is further in than a finished
// collection at indent (a continuation the subset cannot read).
func (p *yamlParser) checkDedent(indent int) error {
	if p.next() && p.lines[p.i].indent > indent {
		return p.errf("unexpected indentation (multi-line plain scalars are not supported; quote the value or use |)")
	}
	return nil
}

// mappingKey returns the position of the colon ending a mapping key in
// s, or -1.
func mappingKey(s string) int {
	if s == "" || strings.ContainsRune("[{", rune(s[0])) {
		return -1
	}
	start := 0
	if s[0] == '"' || s[0] == '\'' {
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return -1
		}
		start = end + 2
	}
	for i := start; i < len(s); i++ {
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			return i
		}
	}
	return -1
}

func (p *yamlParser) key(s string) (string, error) {
	v, err := p.scalar(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	switch k := v.(type) {
	case string:
		return k, nil
	case nil:
		return "null", nil
	}
	return fmt.Sprint(v), nil
}

// blockScalar reads a | or > scalar (with - or + chomping) whose lines
// are indented more than indent.
func (p *yamlParser) blockScalar(header string, indent int) (any, error) {
	folded, chomp := header[0] == '>', byte(0)
	for _, c := range header[1:] {
		switch {
		case c == '-' || c == '+':
			chomp = byte(c)
		default:
			return nil, p.errf("block scalar header %q is not supported (use |, |-, |+, > ...)", header)
		}
	}
	var lines []string
	blockIndent := -1
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if strings.TrimSpace(l.raw) == "" {
			lines = append(lines, "")
			p.i++
			continue
		}
		if l.indent <= indent || (blockIndent >= 0 && l.indent < blockIndent) {
			break
		}
		if blockIndent < 0 {
			blockIndent = l.indent
		}
		lines = append(lines, l.raw[blockIndent:])
		p.i++
	}
	return chompBlock(joinBlock(lines, folded), chomp), nil
}

func joinBlock(lines []string, folded bool) string {
	if !folded {
		return strings.Join(lines, "\n")
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			if l == "" || lines[i-1] == "" || strings.HasPrefix(l, " ") {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(l)
	}
	return b.String()
}

func chompBlock(s string, chomp byte) string {
	body := strings.TrimRight(s, "\n")
	switch {
	case chomp == '-':
		return body
	case chomp == '+':
		return s + "\n"
	case body == "":
		return ""
	}
	return body + "\n"
}

// inline parses a value written on one line: a flow collection or a
// scalar.
func (p *yamlParser) inline(s string, indent int) (any, error) {
	if s != "" && (s[0] == '[' || s[0] == '{') {
		f := &yamlFlow{s: s}
		v, err := f.value()
		if err == nil && f.skipSpace() < len(s) {
			err = fmt.Errorf("unexpected %q after the flow collection", s[f.pos:])
		}
		if err != nil {
			return nil, p.lineErr(err)
		}
		return v, nil
	}
	v, err := p.scalar(s)
	if err != nil {
		return nil, err
	}
	return v, p.checkDedent(indent)
}

func (p *yamlParser) lineErr(err error) error {
	if p.i > 0 {
		return fmt.Errorf("line %d: %w", p.lines[p.i-1].num, err)
	}
	return err
}

// scalar parses a quoted or plain scalar.
func (p *yamlParser) scalar(s string) (any, error) {
	if s != "" && strings.ContainsRune("&*!", rune(s[0])) {
		return nil, p.lineErr(fmt.Errorf("anchors, aliases and tags are not supported: %q", s))
	}
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		v, n, err := quotedScalar(s)
		if err == nil && strings.TrimSpace(s[n:]) != "" {
			err = fmt.Errorf("unexpected %q after a quoted string", s[n:])
		}
		if err != nil {
			return nil, p.lineErr(err)
		}
		return v, nil
	}
	return resolvePlain(s), nil
}

// quotedScalar reads a quoted string at the start of s and returns it and
// the number of bytes read.
func quotedScalar(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && q == '"':
			n, err := yamlEscape(&b, s[i+1:])
			if err != nil {
				return "", 0, err
			}
			i += n
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated quoted string %s (multi-line quoted strings are not supported)", s)
}

// yamlEscape decodes the escape after a backslash and returns how many
// bytes it used.
func yamlEscape(b *strings.Builder, s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("a backslash ends the string")
	}
	simple := map[byte]string{'n': "\n", 't': "\t", 'r': "\r", '0': "\x00", '"': "\"", '\\': "\\", '/': "/", ' ': " ", 'e': "\x1b", 'a': "\a", 'b': "\b", 'f': "\f", 'v': "\v"}
	if r, ok := simple[s[0]]; ok {
		b.WriteString(r)
		return 1, nil
	}
	width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[0]]
	if width == 0 || len(s) < 1+width {
		return 0, fmt.Errorf("unknown escape \\%c", s[0])
	}
	r, err := strconv.ParseUint(s[1:1+width], 16, 32)
	if err != nil {
		return 0, fmt.Errorf("bad escape \\%s", s[:1+width])
	}
	b.WriteRune(rune(r))
	return 1 + width, nil
}

// resolvePlain gives a plain scalar its YAML 1.1 type.
func resolvePlain(s string) any {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return nil
	case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON":
		return true
	case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF":
		return false
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return math.Inf(1)
	case "-.inf", "-.Inf", "-.INF":
		return math.Inf(-1)
	case ".nan", ".NaN", ".NAN":
		return math.NaN()
	}
	clean := strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(clean, 0, 64); err == nil && !strings.ContainsAny(clean, ".eE") {
		return i
	}
	if f, err := strconv.ParseFloat(clean, 64); err == nil && strings.ContainsAny(clean, "0123456789") &&
		!strings.HasPrefix(strings.TrimLeft(clean, "+-"), "0x") && !strings.ContainsAny(clean, "pP") {
		return f
	}
	return s
}

// yamlFlow reads a flow collection ([a, b], {k: v}) written on one line.
type yamlFlow struct {
	s   string
	pos int
}

func (f *yamlFlow) skipSpace() int {
	for f.pos < len(f.s) && f.s[f.pos] == ' ' {
		f.pos++
	}
	return f.pos
}

func (f *yamlFlow) value() (any, error) {
	if f.skipSpace() >= len(f.s) {
		return nil, fmt.Errorf("a flow collection ends early (multi-line flow collections are not supported)")
	}
	switch c := f.s[f.pos]; c {
	case '[':
		return f.list()
	case '{':
		return f.dict()
	case '"', '\'':
		v, n, err := quotedScalar(f.s[f.pos:])
		f.pos += n
		return v, err
	}
	start := f.pos
	for f.pos < len(f.s) && !strings.ContainsRune(",]}", rune(f.s[f.pos])) &&
		!(f.s[f.pos] == ':' && (f.pos+1 == len(f.s) || strings.ContainsRune(" ,]}", rune(f.s[f.pos+1])))) {
		f.pos++
	}
	text := strings.TrimSpace(f.s[start:f.pos])
	if text != "" && strings.ContainsRune("&*!", rune(text[0])) {
		return nil, fmt.Errorf("anchors, aliases and tags are not supported: %q", text)
	}
	return resolvePlain(text), nil
}

// items reads comma-separated items up to the closing byte, calling item
// for each.
func (f *yamlFlow) items(closing byte, item func() error) error {
	f.pos++ // the opening bracket
	for {
		if f.skipSpace() >= len(f.s) {
			return fmt.Errorf("missing %q (multi-line flow collections are not supported)", closing)
		}
		if f.s[f.pos] == closing {
			f.pos++
			return nil
		}
		if err := item(); err != nil {
			return err
		}
		f.skipSpace()
		switch {
		case f.pos >= len(f.s):
			return fmt.Errorf("missing %q (multi-line flow collections are not supported)", closing)
		case f.s[f.pos] == ',':
			f.pos++
		case f.s[f.pos] == closing:
		default:
			return fmt.Errorf("expected ',' or %q at column %d", closing, f.pos+1)
		}
	}
}

func (f *yamlFlow) list() (any, error) {
	out := []any{}
	err := f.items(']', func() error {
		v, err := f.value()
		out = append(out, v)
		return err
	})
	return out, err
}

func (f *yamlFlow) dict() (any, error) {
	out := map[string]any{}
	err := f.items('}', func() error {
		k, err := f.value()
		if err != nil {
			return err
		}
		f.skipSpace()
		if f.pos >= len(f.s) || f.s[f.pos] != ':' {
			return fmt.Errorf("expected ':' after a key at column %d", f.pos+1)
		}
		f.pos++
		v, err := f.value()
		out[fmt.Sprint(nilKey(k))] = v
		return err
	})
	return out, err
}

func nilKey(k any) any {
	if k == nil {
		return "null"
	}
	return k
}
