package ini

import (
	"fmt"
	"strings"
)

// byteOrderMark is the UTF-8 encoding of U+FEFF.
const byteOrderMark = "\ufeff"

// pendingLine is a blank or comment line seen after a key's last value
// line. It becomes part of the value when a continuation line follows.
type pendingLine struct {
	l     line
	blank bool
}

// parser holds the state of one Parse call.
type parser struct {
	f        *File
	errs     Errors
	n        int            // number of the current line
	sec      *Section       // section receiving lines; nil before the first
	skip     bool           // after a bad or duplicate header: keep lines verbatim
	bogus    bool           // the last key-level line was bad: swallow deeper lines
	indent   int            // indent of the last section or key line
	key      *Key           // key that may still take continuation lines
	keyDup   bool           // key repeats an earlier key of the section
	parts    []string       // value lines of key
	pending  []pendingLine  // blank and comment lines after key
	firstSec map[string]int // line of each section header
	firstKey map[string]int // line of each key of the current section
}

// Parse reads an INI file. name is used in error messages. Parse always
// returns a File holding every line of data; when there are syntax errors
// it also returns them all as Errors, and the lines in error belong to no
// section or key.
func Parse(name string, data []byte) (*File, error) {
	f := &File{name: name}
	text := string(data)
	if strings.HasPrefix(text, byteOrderMark) {
		f.bom, text = byteOrderMark, text[len(byteOrderMark):]
	}
	p := &parser{f: f, firstSec: map[string]int{}}
	for _, l := range splitLines(text) {
		if f.eol == "" {
			f.eol = l.eol
		}
		p.line(l)
	}
	p.endKey()
	f.nerrs = len(p.errs)
	if len(p.errs) > 0 {
		return f, p.errs
	}
	return f, nil
}

// splitLines cuts s into lines, keeping each line's ending.
func splitLines(s string) []line {
	var ls []line
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return append(ls, line{text: s})
		}
		l := line{text: s[:i], eol: "\n"}
		if strings.HasSuffix(l.text, "\r") {
			l.text, l.eol = l.text[:i-1], "\r\n"
		}
		ls = append(ls, l)
		s = s[i+1:]
	}
	return ls
}

// line classifies one line and hands it on.
func (p *parser) line(l line) {
	p.n++
	cut := commentStart(l.text)
	content := trim(l.text[:cut])
	if content == "" {
		p.blank(l, cut == len(l.text))
		return
	}
	ind := indentOf(l.text)
	if ind > p.indent && (p.key != nil || p.bogus) {
		p.continuation(l, content)
		return
	}
	p.endKey()
	p.indent, p.bogus = ind, false
	switch {
	case strings.HasPrefix(content, "["):
		p.header(l, content)
	case p.skip:
		p.bogus = true
		p.trivia(l)
	case p.sec == nil:
		p.fail(l, "a key outside of any section", "put a [section] header above it")
	default:
		p.option(l, content)
	}
}

// blank handles an empty or comment-only line.
func (p *parser) blank(l line, noComment bool) {
	if p.key != nil {
		p.pending = append(p.pending, pendingLine{l, noComment})
		return
	}
	p.trivia(l)
}

// continuation adds a deeper-indented line to the current key's value.
func (p *parser) continuation(l line, content string) {
	if p.key == nil {
		p.trivia(l)
		return
	}
	for _, pl := range p.pending {
		p.key.lines = append(p.key.lines, pl.l)
		if pl.blank {
			p.addPart("")
		}
	}
	p.pending = nil
	p.key.lines = append(p.key.lines, l)
	p.addPart(content)
}

// addPart records a value line held by the key's last line.
func (p *parser) addPart(s string) {
	p.parts = append(p.parts, s)
	p.key.valueAt = append(p.key.valueAt, len(p.key.lines)-1)
}

// header starts a section.
func (p *parser) header(l line, content string) {
	name, msg, hint := headerName(content)
	if first, dup := p.firstSec[name]; msg == "" && dup {
		msg = fmt.Sprintf("section [%s] is defined twice (first at line %d)", name, first)
		hint = "merge the two sections into one"
	}
	if msg != "" {
		p.fail(l, msg, hint)
		p.skip = true
		return
	}
	p.firstSec[name] = p.n
	p.sec = &Section{Name: name, Line: p.n, file: p.f, header: l}
	p.f.sections = append(p.f.sections, p.sec)
	p.skip, p.firstKey = false, map[string]int{}
}

// headerName returns the name of a `[name]` line, or what is wrong with it.
func headerName(content string) (name, msg, hint string) {
	end := strings.LastIndexByte(content, ']')
	switch {
	case end < 0:
		return "", "a section header without a closing ]", "a section header looks like [name]"
	case end != len(content)-1:
		return "", "text after the section header", "a comment at the end of a line starts with whitespace and ;"
	case end == 1:
		return "", "a section header without a name", "a section header looks like [name]"
	}
	return content[1:end], "", ""
}

// option starts a key.
func (p *parser) option(l line, content string) {
	i := strings.IndexAny(content, "=:")
	if i < 0 {
		p.fail(l, "not a section header, key = value, comment or continuation line",
			"a continuation line must be indented deeper than its key; a comment starts with # or ;")
		return
	}
	name := trimRight(content[:i])
	if name == "" {
		p.fail(l, "a key without a name", "a key line looks like name = value")
		return
	}
	first, dup := p.firstKey[name]
	if dup {
		p.errorf(fmt.Sprintf("key %s is defined twice in [%s] (first at line %d)", name, p.sec.Name, first), "remove one of them")
	} else {
		p.firstKey[name] = p.n
	}
	p.key, p.keyDup = &Key{Name: name, Line: p.n, lines: []line{l}, valueAt: []int{0}}, dup
	p.parts = []string{trim(content[i+1:])}
}

// endKey files the current key and the lines pending after it.
func (p *parser) endKey() {
	k := p.key
	if k == nil {
		return
	}
	n := len(p.parts)
	for n > 1 && p.parts[n-1] == "" {
		n--
	}
	k.Value, k.valueAt = strings.Join(p.parts[:n], "\n"), k.valueAt[:n]
	if p.keyDup {
		for _, l := range k.lines {
			p.trivia(l)
		}
	} else {
		p.sec.body = append(p.sec.body, &entry{key: k})
	}
	p.key, p.parts = nil, nil
	for _, pl := range p.pending {
		p.trivia(pl.l)
	}
	p.pending = nil
}

// trivia keeps a line that belongs to no key.
func (p *parser) trivia(l line) {
	if p.sec == nil {
		p.f.head = append(p.f.head, l)
		return
	}
	p.sec.body = append(p.sec.body, &entry{raw: l})
}

// fail records an error for a line that is then kept verbatim, together
// with any deeper-indented lines after it.
func (p *parser) fail(l line, msg, hint string) {
	p.errorf(msg, hint)
	p.bogus = true
	p.trivia(l)
}

// errorf records an error at the current line.
func (p *parser) errorf(msg, hint string) {
	p.errs = append(p.errs, &Error{File: p.f.name, Line: p.n, Msg: msg, Hint: hint})
}
