package plan

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file encodes and parses the JSON form of attribute values directly,
// without going through map[string]any: plans of thousands of components
// are sent on every deploy, so this is on the hot path.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json does
// with HTML escaping off.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		for i < len(s) && plainByte[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		b := s[i]
		if b < utf8.RuneSelf {
			buf = append(buf, s[start:i]...)
			buf = appendEscape(buf, b)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			if r == utf8.RuneError {
				buf = append(buf, `\ufffd`...)
			} else {
				buf = append(buf, `\u202`...)
				buf = append(buf, hexDigits[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// plainByte tells the bytes that a JSON string holds as they are: ASCII
// from 0x20 on but for the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

func appendEscape(buf []byte, b byte) []byte {
	switch b {
	case '"', '\\':
		return append(buf, '\\', b)
	case '\n':
		return append(buf, '\\', 'n')
	case '\r':
		return append(buf, '\\', 'r')
	case '\t':
		return append(buf, '\\', 't')
	case '\b':
		return append(buf, '\\', 'b')
	case '\f':
		return append(buf, '\\', 'f')
	}
	return append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
}

// parser reads the JSON form of attribute values.
type parser struct {
	data []byte
	pos  int
	// recent are the last long strings parsed: a File's path and content
	// come again in its Presence and Content, and share one copy.
	recent [4]string
	next   int
	// scratch holds a string with escapes while it is decoded.
	scratch []byte
	// text, when set, holds every string parsed, one after the other:
	// the strings returned are parts of it, so that the strings of many
	// events share one allocation (EventParser).
	text *strings.Builder
	// parallel lets large children arrays be parsed in parts at once.
	parallel bool
	// follow, when set, collects the nodes whose children follow in
	// lines of their own (else such a node is an error).
	follow *[]following
	// src, when set, is data as a string: a string without escapes is
	// a part of it. blocks, when set, are what nodes and the other
	// strings are allocated from (newPlanParser).
	src    string
	blocks *blocks
}

// commonStrings are object keys and values that come in every plan; the
// parser returns these copies instead of allocating new ones. Read only.
var commonStrings = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{"id", "kind", "label", "attrs", "children", "origin", "workdir", "def",
		"before_update", "name", "file", "verify", "update", "last_updated", "ignore", "defdir", "node",
		"path", "content", "source", "is_template", "template_args", "encoding", "sensitive_data",
		"mode", "owner", "group", "leading", "link_to", "ensure", "exclude", "delete", "pattern",
		"$dict", "$tuple", "$bytes", "$ref", "$address", "$view", "$struct", "utf-8",
		"File", "Presence", "Content", "Directory", "Symlink", "Mode", "Owner", "Group", "Purge"} {
		m[s] = s
	}
	return m
}()

// intern returns b as a string, without a new copy when it is a common
// string or one of the last long strings.
func (p *parser) intern(b []byte) string {
	if p.text != nil {
		start := p.text.Len()
		p.text.Write(b)
		return p.text.String()[start:]
	}
	if len(b) <= 16 {
		if s, ok := commonStrings[string(b)]; ok {
			return s
		}
		return string(b)
	}
	for _, r := range p.recent {
		if r == string(b) {
			return r
		}
	}
	s := string(b)
	p.recent[p.next] = s
	p.next = (p.next + 1) % len(p.recent)
	return s
}

var errSyntax = errors.New("malformed attribute JSON")

func (p *parser) fail() error {
	return fmt.Errorf("%w at offset %d", errSyntax, p.pos)
}

func (p *parser) skipSpace() { p.pos = skipSpace(p.data, p.pos) }

// peek returns the next non-space byte, or 0 at the end.
func (p *parser) peek() byte {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return 0
	}
	return p.data[p.pos]
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		return p.fail()
	}
	p.pos++
	return nil
}

// value parses one value in its plan form (tags decoded).
func (p *parser) value() (Value, error) {
	switch c := p.peek(); {
	case c == '"':
		return p.str()
	case c == '[':
		return p.list()
	case c == '{':
		return p.tagged()
	case c == 't' || c == 'f' || c == 'n':
		return p.word()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, p.fail()
}

func (p *parser) word() (Value, error) {
	for _, w := range []struct {
		text string
		v    Value
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(p.data)-p.pos >= len(w.text) && string(p.data[p.pos:p.pos+len(w.text)]) == w.text {
			p.pos += len(w.text)
			return w.v, nil
		}
	}
	return nil, p.fail()
}

func (p *parser) number() (Value, error) {
	start, isFloat := p.numberEnd()
	if n, ok := smallInt(p.data[start:p.pos]); ok && !isFloat {
		return n, nil
	}
	text := string(p.data[start:p.pos])
	if isFloat {
		return strconv.ParseFloat(text, 64)
	}
	return strconv.ParseInt(text, 10, 64)
}

func (p *parser) list() ([]Value, error) {
	out := []Value{}
	err := p.array(func() error {
		v, err := p.value()
		out = append(out, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// array parses [element, ...], calling fn to parse every element.
func (p *parser) array(fn func() error) error {
	if err := p.expect('['); err != nil {
		return err
	}
	if p.peek() == ']' {
		p.pos++
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return nil
		default:
			return p.fail()
		}
	}
}

// object parses {"key": value, ...}, calling fn for every member.
func (p *parser) object(fn func(key string) error) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	if p.peek() == '}' {
		p.pos++
		return nil
	}
	for {
		if p.peek() != '"' {
			return p.fail()
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return nil
		default:
			return p.fail()
		}
	}
}

// attrs parses an attribute object.
func (p *parser) attrs() (Attrs, error) {
	out := Attrs{}
	err := p.object(func(key string) error {
		v, err := p.value()
		out[key] = v
		return err
	})
	return out, err
}

// tagged parses a {"$tag": body} value.
func (p *parser) tagged() (Value, error) {
	var out Value
	seen := false
	err := p.object(func(tag string) error {
		if seen {
			return fmt.Errorf("tagged value with more than one key")
		}
		seen = true
		body, err := p.tagBody(tag)
		if err != nil {
			return err
		}
		out, err = decodeTagged(tag, body)
		return err
	})
	if err == nil && !seen {
		err = fmt.Errorf("empty tagged value")
	}
	return out, err
}

// tagBody parses the body of a tag: attribute objects stay objects.
func (p *parser) tagBody(tag string) (any, error) {
	if tag == "$struct" || tag == "$view" || tag == "$blob" {
		return p.attrs()
	}
	return p.value()
}

func (p *parser) str() (string, error) {
	p.pos++ // the opening quote
	start := p.pos
	q := bytes.IndexByte(p.data[start:], '"')
	if q < 0 {
		p.pos = len(p.data)
		return "", p.fail()
	}
	if b := bytes.IndexByte(p.data[start:start+q], '\\'); b >= 0 {
		p.pos = start + b
		return p.escapedStr(start, start+q)
	}
	p.pos = start + q + 1
	if p.src != "" {
		return p.src[start : start+q], nil
	}
	return p.intern(p.data[start : start+q]), nil
}

// escapedStr finishes a string that contains escapes: p.pos is at a
// backslash, and quote is the position of the next quote (which an escape
// may consume). The text between escapes is copied at once, not a byte at
// a time (a diff in an event, a file's content in a plan).
func (p *parser) escapedStr(start, quote int) (string, error) {
	buf := append(p.scratch[:0], p.data[start:p.pos]...)
	defer func() { p.scratch = buf[:0] }()
	for {
		if p.pos > quote { // an escaped quote: find the next one
			q := bytes.IndexByte(p.data[p.pos:], '"')
			if q < 0 {
				p.pos = len(p.data)
				return "", p.fail()
			}
			quote = p.pos + q
		}
		b := bytes.IndexByte(p.data[p.pos:quote], '\\')
		if b < 0 {
			buf = append(buf, p.data[p.pos:quote]...)
			p.pos = quote + 1
			if p.blocks != nil {
				return p.keepBytes(buf), nil
			}
			return p.intern(buf), nil
		}
		buf = append(buf, p.data[p.pos:p.pos+b]...)
		p.pos += b
		var err error
		if buf, err = p.unescape(buf); err != nil {
			return "", err
		}
	}
}

func (p *parser) unescape(buf []byte) ([]byte, error) {
	if p.pos+1 >= len(p.data) {
		return nil, p.fail()
	}
	c := p.data[p.pos+1]
	p.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'u':
		r, err := p.hex4()
		if err != nil {
			return nil, err
		}
		if utf16.IsSurrogate(r) && p.pos+6 <= len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
			p.pos += 2
			r2, err := p.hex4()
			if err != nil {
				return nil, err
			}
			r = utf16.DecodeRune(r, r2)
		}
		return utf8.AppendRune(buf, r), nil
	}
	return nil, p.fail()
}

func (p *parser) hex4() (rune, error) {
	if p.pos+4 > len(p.data) {
		return 0, p.fail()
	}
	n, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, p.fail()
	}
	p.pos += 4
	return rune(n), nil
}

// numberEnd moves p past the number at p.pos and returns where it
// starts and whether it has a fraction or an exponent.
func (p *parser) numberEnd() (start int, isFloat bool) {
	p.skipSpace()
	start = p.pos
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '.' || c == 'e' || c == 'E' {
			isFloat = true
		} else if !(c >= '0' && c <= '9' || c == '-' || c == '+') {
			break
		}
		p.pos++
	}
	return start, isFloat
}

// integer parses a number that must be an integer (without boxing it in
// a Value, as number does).
func (p *parser) integer() (int64, error) {
	start, isFloat := p.numberEnd()
	if n, ok := smallInt(p.data[start:p.pos]); ok && !isFloat {
		return n, nil
	}
	p.pos = start
	v, err := p.number()
	n, ok := v.(int64)
	if err != nil || !ok {
		return 0, p.fail()
	}
	return n, nil
}

// smallInt parses b when it is an integer of at most 18 digits, with an
// optional minus sign (as strconv.ParseInt would, without a string).
func smallInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
