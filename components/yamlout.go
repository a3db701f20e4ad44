package components

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// writeYAML writes v in block style as PyYAML's safe_dump does by default:
// sorted keys, 2-space indent for mappings, sequences inside a mapping not
// indented, strings quoted only when they would read as something else.
// Unlike PyYAML it never folds long lines, and writes strings with line
// breaks double-quoted.
func writeYAML(v any) (string, error) {
	var b strings.Builder
	switch v.(type) {
	case map[string]any, []any:
		if err := yamlBlock(&b, v, 0, false); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	s, err := yamlScalar(v)
	if err != nil {
		return "", err
	}
	return s + "\n...\n", nil
}

// yamlBlock writes a collection starting at the current position (the
// caller wrote the indent of the first line, or a "- ").
func yamlBlock(b *strings.Builder, v any, indent int, inSeq bool) error {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString("{}\n")
			return nil
		}
		for i, k := range sortedKeys(v) {
			if i > 0 || !inSeq {
				b.WriteString(strings.Repeat(" ", indent))
			}
			if err := yamlEntry(b, k, v[k], indent); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	case []any:
		if len(v) == 0 {
			b.WriteString("[]\n")
			return nil
		}
		for i, x := range v {
			if i > 0 || !inSeq {
				b.WriteString(strings.Repeat(" ", indent))
			}
			b.WriteString("- ")
			if err := yamlItem(b, x, indent+2); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlEntry writes "key: value" of a mapping at indent.
func yamlEntry(b *strings.Builder, k string, v any, indent int) error {
	key, err := yamlScalar(k)
	if err != nil {
		return err
	}
	b.WriteString(key)
	b.WriteByte(':')
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 0 {
			b.WriteByte('\n')
			return yamlBlock(b, x, indent+2, false)
		}
	case []any:
		if len(x) > 0 {
			b.WriteByte('\n')
			return yamlBlock(b, x, indent, false)
		}
	}
	b.WriteByte(' ')
	return yamlItem(b, v, indent+2)
}

// yamlItem writes a value after "- " or "key: ".
func yamlItem(b *strings.Builder, v any, indent int) error {
	switch x := v.(type) {
	case map[string]any, []any:
		if isEmptyCollection(x) {
			break
		}
		return yamlBlock(b, x, indent, true)
	}
	s, err := yamlScalar(v)
	if err != nil {
		return err
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return nil
}

func isEmptyCollection(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// yamlScalar formats a scalar (or an empty collection).
func yamlScalar(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case int:
		return strconv.Itoa(v), nil
	case float64:
		return yamlFloat(v), nil
	case string:
		return yamlString(v), nil
	case map[string]any:
		return "{}", nil
	case []any:
		return "[]", nil
	}
	return "", fmt.Errorf("a %s cannot be written as YAML", typeName(v))
}

// yamlFloat is PyYAML's float form: Python's repr in lower case, with
// ".0" added to a mantissa without a point, and .inf/.nan.
func yamlFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	s := pyJSONFloat(f)
	if mant, exp, ok := strings.Cut(s, "e"); ok && !strings.Contains(mant, ".") {
		s = mant + ".0e" + exp
	}
	return s
}

// yamlImplicit matches plain scalars that a YAML 1.1 reader (PyYAML)
// resolves to something other than a string.
var yamlImplicit = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:` +
		`~|null|Null|NULL|` +
		`yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|` +
		`[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*|\.[0-9_]+|[0-9][0-9_]*\.[0-9_]*)(?:[eE][-+]?[0-9]+)?|` +
		`[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|` +
		`[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?|` +
		`=|<<)$`)
})

// yamlString quotes s when a plain scalar would not read back as the same
// string: single quotes when that suffices, double quotes with escapes
// for line breaks and characters outside printable ASCII.
func yamlString(s string) string {
	if needsDoubleQuotes(s) {
		return yamlDoubleQuoted(s)
	}
	if s == "" || yamlImplicit().MatchString(s) || !plainSafe(s) {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return s
}

func needsDoubleQuotes(s string) bool {
	for _, r := range s {
		if r < 0x20 || r >= 0x7f {
			return true
		}
	}
	return false
}

// plainSafe reports whether s may be written unquoted in block context.
func plainSafe(s string) bool {
	if s[0] == ' ' || s[len(s)-1] == ' ' || strings.ContainsRune("#,[]{}&*!|>'\"%@`", rune(s[0])) {
		return false
	}
	if strings.ContainsRune("-?:", rune(s[0])) && (len(s) == 1 || s[1] == ' ') {
		return false
	}
	return !strings.Contains(s, ": ") && !strings.Contains(s, " #") && !strings.HasSuffix(s, ":")
}

func yamlDoubleQuoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02X`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
