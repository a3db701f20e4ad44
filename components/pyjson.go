package components

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// writePyJSON writes v as Python's json.dumps(v, sort_keys=True,
// indent=4) does (human) or with separators (",", ":") (compact):
// ensure_ascii escapes, Python's float repr, no final newline.
func writePyJSON(v any, human bool) (string, error) {
	var b strings.Builder
	if err := pyJSONValue(&b, v, human, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func pyJSONValue(b *strings.Builder, v any, human bool, depth int) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case int:
		b.WriteString(strconv.Itoa(v))
	case float64:
		b.WriteString(pyJSONFloat(v))
	case string:
		pyJSONString(b, v)
	case []any:
		return pyJSONList(b, v, human, depth)
	case map[string]any:
		return pyJSONDict(b, v, human, depth)
	default:
		return fmt.Errorf("a %s cannot be written as JSON", typeName(v))
	}
	return nil
}

// pyJSONSep writes what comes before an item of a container: a comma
// after the first, then in human form a newline and indent.
func pyJSONSep(b *strings.Builder, i int, human bool, depth int) {
	if i > 0 {
		b.WriteByte(',')
	}
	if human {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("    ", depth))
	}
}

func pyJSONList(b *strings.Builder, l []any, human bool, depth int) error {
	if len(l) == 0 {
		b.WriteString("[]")
		return nil
	}
	b.WriteByte('[')
	for i, x := range l {
		pyJSONSep(b, i, human, depth+1)
		if err := pyJSONValue(b, x, human, depth+1); err != nil {
			return err
		}
	}
	pyJSONSep(b, 0, human, depth)
	b.WriteByte(']')
	return nil
}

func pyJSONDict(b *strings.Builder, m map[string]any, human bool, depth int) error {
	if len(m) == 0 {
		b.WriteString("{}")
		return nil
	}
	b.WriteByte('{')
	for i, k := range sortedKeys(m) {
		pyJSONSep(b, i, human, depth+1)
		pyJSONString(b, k)
		b.WriteByte(':')
		if human {
			b.WriteByte(' ')
		}
		if err := pyJSONValue(b, m[k], human, depth+1); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	pyJSONSep(b, 0, human, depth)
	b.WriteByte('}')
	return nil
}

// pyJSONString writes s quoted with ensure_ascii: everything outside
// printable ASCII as \uXXXX (UTF-16 surrogate pairs above the BMP).
func pyJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}

// pyJSONFloat formats f as Python's float repr (json.dumps uses it):
// shortest round-trip digits, fixed notation for exponents -4..15 with a
// ".0" for whole numbers, otherwise e+XX / e-XX.
func pyJSONFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	out := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(out, ".") {
		out += ".0"
	}
	return out
}

// parseJSON parses a JSON document into plain values; whole numbers
// become int64, others float64.
func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonErrorLine(data, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("invalid JSON: more than one value")
	}
	return plainJSON(v), nil
}

// jsonErrorLine adds the line number to a syntax error.
func jsonErrorLine(data []byte, err error) error {
	var se *json.SyntaxError
	if e, ok := err.(*json.SyntaxError); ok {
		se = e
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("invalid JSON at line %d: %w", line, err)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

func plainJSON(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = plainJSON(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = plainJSON(v[k])
		}
	}
	return v
}
