package jinja

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.starlark.net/starlark"
)

// pyStr formats v as Python's str() does. Values that are not plain data
// (components, hosts, addresses, structs) use their Starlark String().
func pyStr(v starlark.Value) string {
	if s, ok := v.(starlark.String); ok {
		return string(s)
	}
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

// pyRepr formats v as Python's repr() does.
func pyRepr(v starlark.Value) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

// writeRepr writes the Python repr of v.
func writeRepr(b *strings.Builder, v starlark.Value) {
	switch v := v.(type) {
	case starlark.String:
		b.WriteString(quotePy(string(v)))
	case starlark.Float:
		b.WriteString(pyFloat(float64(v)))
	case *starlark.List:
		writeItems(b, "[", "]", listItems(v), false)
	case starlark.Tuple:
		writeItems(b, "(", ")", v, len(v) == 1)
	case *starlark.Dict:
		writeDict(b, v)
	case *starlark.Set:
		writeSet(b, v)
	case starlark.Bytes:
		b.WriteString("b" + quotePy(string(v)))
	case *undefined:
		b.WriteString("Undefined")
	default:
		b.WriteString(v.String())
	}
}

func listItems(l *starlark.List) []starlark.Value {
	items := make([]starlark.Value, l.Len())
	for i := range items {
		items[i] = l.Index(i)
	}
	return items
}

func writeItems(b *strings.Builder, open, closing string, items []starlark.Value, comma bool) {
	b.WriteString(open)
	for i, item := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		writeRepr(b, item)
	}
	if comma {
		b.WriteByte(',')
	}
	b.WriteString(closing)
}

func writeDict(b *strings.Builder, d *starlark.Dict) {
	b.WriteByte('{')
	for i, kv := range d.Items() {
		if i > 0 {
			b.WriteString(", ")
		}
		writeRepr(b, kv[0])
		b.WriteString(": ")
		writeRepr(b, kv[1])
	}
	b.WriteByte('}')
}

func writeSet(b *strings.Builder, s *starlark.Set) {
	if s.Len() == 0 {
		b.WriteString("set()")
		return
	}
	var items []starlark.Value
	iter := s.Iterate()
	defer iter.Done()
	for var_ := starlark.Value(nil); iter.Next(&var_); {
		items = append(items, var_)
	}
	writeItems(b, "{", "}", items, false)
}

// quotePy quotes s as Python's repr() of a str: single quotes unless s
// contains a single quote and no double quote.
func quotePy(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			fmt.Fprintf(&b, `\x%02x`, s[i])
			continue
		}
		writeReprRune(&b, r, rune(q))
	}
	b.WriteByte(q)
	return b.String()
}

func writeReprRune(b *strings.Builder, r, quote rune) {
	switch {
	case r == quote || r == '\\':
		b.WriteByte('\\')
		b.WriteRune(r)
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\r':
		b.WriteString(`\r`)
	case r == '\t':
		b.WriteString(`\t`)
	case unicode.IsPrint(r):
		b.WriteRune(r)
	case r < 0x100:
		fmt.Fprintf(b, `\x%02x`, r)
	case r < 0x10000:
		fmt.Fprintf(b, `\u%04x`, r)
	default:
		fmt.Fprintf(b, `\U%08x`, r)
	}
}

// pyFloat formats f as Python's repr() of a float: the shortest digits
// that round-trip, positional for exponents from -4 to 15, otherwise
// scientific with at least two exponent digits.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(sci, "e")
	e, _ := strconv.Atoi(exp)
	if e >= -4 && e < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	sign := "+"
	if e < 0 {
		sign, e = "-", -e
	}
	return fmt.Sprintf("%se%s%02d", mant, sign, e)
}
