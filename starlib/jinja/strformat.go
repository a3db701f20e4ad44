package jinja

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
)

// pyFormat is Python's str.format: {} {0} {name} fields with .attr and
// [key] lookups, !r/!s/!a conversions and format specs.
func pyFormat(format string, args starlark.Tuple, kwargs []starlark.Tuple) (string, error) {
	f := &strFormatter{args: args, kwargs: newKwargs(kwargs)}
	return f.expand(format)
}

// strFormatter holds the arguments of one str.format call.
type strFormatter struct {
	args   starlark.Tuple
	kwargs *kwargs
	next   int  // next automatic field number
	manual bool // a numbered field was used
	auto   bool // an automatic field was used
}

// expand replaces the fields in format.
func (f *strFormatter) expand(format string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(format); {
		c := format[i]
		switch {
		case (c == '{' || c == '}') && strings.HasPrefix(format[i+1:], string(c)):
			b.WriteByte(c)
			i += 2
		case c == '}':
			return "", errors.New("Single '}' encountered in format string")
		case c == '{':
			end := closingBrace(format, i)
			if end < 0 {
				return "", errors.New("expected '}' before end of string")
			}
			s, err := f.field(format[i+1 : end])
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			i = end + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// closingBrace returns the index of the } that closes the { at open.
func closingBrace(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// field formats one replacement field: name[!conv][:spec].
func (f *strFormatter) field(text string) (string, error) {
	name, spec, _ := strings.Cut(text, ":")
	name, conv, hasConv := strings.Cut(name, "!")
	v, err := f.lookup(name)
	if err != nil {
		return "", err
	}
	if hasConv {
		if v, err = convert(v, conv); err != nil {
			return "", err
		}
	}
	if spec, err = f.expand(spec); err != nil {
		return "", err
	}
	return formatValue(v, spec)
}

// convert applies !s, !r or !a.
func convert(v starlark.Value, conv string) (starlark.Value, error) {
	switch conv {
	case "s":
		return starlark.String(pyStr(v)), nil
	case "r":
		return starlark.String(pyRepr(v)), nil
	case "a":
		return starlark.String(asciiOnly(pyRepr(v))), nil
	}
	return nil, fmt.Errorf("Unknown conversion specifier %s", conv)
}

// asciiOnly escapes non-ASCII characters as Python's ascii() does.
func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	return b.String()
}

// lookup resolves a field name such as "", "0", "name", "0.attr" or
// "name[key]".
func (f *strFormatter) lookup(name string) (starlark.Value, error) {
	end := strings.IndexAny(name, ".[")
	if end < 0 {
		end = len(name)
	}
	v, err := f.argument(name[:end])
	if err != nil {
		return nil, err
	}
	return lookupChain(v, name[end:])
}

// argument returns the positional or keyword argument a field names.
func (f *strFormatter) argument(first string) (starlark.Value, error) {
	if first == "" {
		if f.manual {
			return nil, errors.New("cannot switch from manual field specification to automatic field numbering")
		}
		f.auto, first = true, strconv.Itoa(f.next)
		f.next++
	} else if isDigits(first) {
		if f.auto {
			return nil, errors.New("cannot switch from automatic field numbering to manual field specification")
		}
		f.manual = true
	}
	if isDigits(first) {
		i, _ := strconv.Atoi(first)
		if i >= len(f.args) {
			return nil, fmt.Errorf("Replacement index %d out of range for positional args tuple", i)
		}
		return f.args[i], nil
	}
	if v, ok := f.kwargs.values[first]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("KeyError: %s", quotePy(first))
}

// lookupChain follows .attr and [key] parts.
func lookupChain(v starlark.Value, rest string) (starlark.Value, error) {
	for rest != "" {
		var part string
		if rest[0] == '.' {
			end := strings.IndexAny(rest[1:], ".[") + 1
			if end == 0 {
				end = len(rest)
			}
			part, rest = rest[1:end], rest[end:]
			a, err := getattr(v, part, false)
			if err != nil {
				return nil, err
			}
			v = a
			continue
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, errors.New("Missing ']' in format string")
		}
		part, rest = rest[1:end], rest[end+1:]
		var key starlark.Value = starlark.String(part)
		if isDigits(part) {
			n, _ := strconv.Atoi(part)
			key = starlark.MakeInt(n)
		}
		item, ok := lookupItem(v, key)
		if !ok {
			return nil, fmt.Errorf("KeyError: %s", pyRepr(key))
		}
		v = item
	}
	return v, nil
}

// fmtSpec is a parsed format spec: [[fill]align][sign][#][0][width]
// [grouping][.precision][type].
type fmtSpec struct {
	fill             string
	align, sign, typ byte
	alt              bool
	width, prec      int
	grouping         byte
}

func parseFmtSpec(spec string) (fmtSpec, error) {
	fs := fmtSpec{fill: " ", prec: -1}
	r, n := utf8.DecodeRuneInString(spec)
	if n > 0 && len(spec) > n && strings.IndexByte("<>=^", spec[n]) >= 0 {
		fs.fill, fs.align, spec = string(r), spec[n], spec[n+1:]
	} else if spec != "" && strings.IndexByte("<>=^", spec[0]) >= 0 {
		fs.align, spec = spec[0], spec[1:]
	}
	if spec != "" && strings.IndexByte("+- ", spec[0]) >= 0 {
		fs.sign, spec = spec[0], spec[1:]
	}
	spec = strings.TrimPrefix(spec, "z")
	if strings.HasPrefix(spec, "#") {
		fs.alt, spec = true, spec[1:]
	}
	if strings.HasPrefix(spec, "0") && fs.align == 0 {
		fs.fill, fs.align = "0", '='
	}
	fs.width, spec = leadingInt(spec)
	if spec != "" && (spec[0] == ',' || spec[0] == '_') {
		fs.grouping, spec = spec[0], spec[1:]
	}
	if strings.HasPrefix(spec, ".") {
		if fs.prec, spec = leadingInt(spec[1:]); fs.prec < 0 {
			return fs, errors.New("Format specifier missing precision")
		}
	}
	if len(spec) > 1 {
		return fs, errors.New("Invalid format specifier")
	}
	if spec != "" {
		fs.typ = spec[0]
	}
	return fs, nil
}

// leadingInt parses leading digits; -1 when there are none.
func leadingInt(s string) (int, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return -1, s
	}
	n, _ := strconv.Atoi(s[:i])
	return n, s[i:]
}

// formatValue is Python's format(v, spec).
func formatValue(v starlark.Value, spec string) (string, error) {
	if err := strict(v); err != nil {
		return "", err
	}
	if spec == "" {
		return pyStr(v), nil
	}
	fs, err := parseFmtSpec(spec)
	if err != nil {
		return "", err
	}
	switch v := numeric(v).(type) {
	case starlark.String:
		return formatStrSpec(string(v), fs)
	case starlark.Int:
		return formatIntSpec(v.BigInt(), fs)
	case starlark.Float:
		return formatFloatSpec(float64(v), fs)
	}
	return "", fmt.Errorf("unsupported format string passed to %s.__format__", pyTypeName(v))
}

func formatStrSpec(s string, fs fmtSpec) (string, error) {
	if (fs.typ != 0 && fs.typ != 's') || fs.align == '=' || fs.sign != 0 {
		return "", errors.New("invalid format specifier for str")
	}
	if fs.prec >= 0 && utf8.RuneCountInString(s) > fs.prec {
		s = string([]rune(s)[:fs.prec])
	}
	return alignText(s, fs.width, orAlign(fs.align, '<'), fs.fill), nil
}

func orAlign(a, def byte) byte {
	if a == 0 {
		return def
	}
	return a
}

// alignText pads s to width with fill.
func alignText(s string, width int, align byte, fill string) string {
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return s
	}
	switch align {
	case '<':
		return s + strings.Repeat(fill, n)
	case '^':
		return strings.Repeat(fill, n/2) + s + strings.Repeat(fill, n-n/2)
	}
	return strings.Repeat(fill, n) + s
}

// alignNumber pads a number; '=' pads between the sign and the digits.
func alignNumber(sign, digits string, fs fmtSpec) string {
	if fs.align == '=' {
		return sign + alignText(digits, fs.width-utf8.RuneCountInString(sign), '>', fs.fill)
	}
	return alignText(sign+digits, fs.width, orAlign(fs.align, '>'), fs.fill)
}

func numberSign(fs fmtSpec, negative bool) string {
	switch {
	case negative:
		return "-"
	case fs.sign == '+':
		return "+"
	case fs.sign == ' ':
		return " "
	}
	return ""
}

func formatIntSpec(n *big.Int, fs fmtSpec) (string, error) {
	bases := map[byte]int{0: 10, 'd': 10, 'n': 10, 'b': 2, 'o': 8, 'x': 16, 'X': 16}
	base, ok := bases[fs.typ]
	if !ok {
		if strings.IndexByte("eEfFgG%", fs.typ) >= 0 {
			f, _ := new(big.Float).SetInt(n).Float64()
			return formatFloatSpec(f, fs)
		}
		if fs.typ == 'c' {
			return alignText(string(rune(n.Int64())), fs.width, orAlign(fs.align, '<'), fs.fill), nil
		}
		return "", fmt.Errorf("Unknown format code '%c' for object of type 'int'", fs.typ)
	}
	digits := new(big.Int).Abs(n).Text(base)
	if fs.typ == 'X' {
		digits = strings.ToUpper(digits)
	}
	digits = groupDigits(digits, fs.grouping, map[bool]int{true: 3, false: 4}[base == 10])
	sign := numberSign(fs, n.Sign() < 0)
	if fs.alt && base != 10 {
		sign += "0" + string(fs.typ)
	}
	return alignNumber(sign, digits, fs), nil
}

// groupDigits inserts sep between groups of size digits from the right.
func groupDigits(digits string, sep byte, size int) string {
	if sep == 0 {
		return digits
	}
	intPart, frac, _ := strings.Cut(digits, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%size == 0 {
			b.WriteByte(sep)
		}
		b.WriteRune(c)
	}
	if frac != "" || strings.Contains(digits, ".") {
		return b.String() + "." + frac
	}
	return b.String()
}

func formatFloatSpec(x float64, fs fmtSpec) (string, error) {
	if strings.IndexByte("\x00eEfFgGn%", fs.typ) < 0 {
		return "", fmt.Errorf("Unknown format code '%c' for object of type 'float'", fs.typ)
	}
	body := floatBody(math.Abs(x), fs)
	if fs.typ == 'E' || fs.typ == 'F' || fs.typ == 'G' {
		body = strings.ToUpper(body)
	}
	if !math.IsInf(x, 0) && !math.IsNaN(x) {
		body = groupDigits(body, fs.grouping, 3)
	}
	return alignNumber(numberSign(fs, math.Signbit(x) && !math.IsNaN(x)), body, fs), nil
}

// floatBody formats the absolute value of a float for a spec.
func floatBody(x float64, fs fmtSpec) string {
	switch {
	case math.IsInf(x, 0):
		return "inf"
	case math.IsNaN(x):
		return "nan"
	}
	prec := fs.prec
	if prec < 0 && fs.typ != 0 {
		prec = 6
	}
	switch fs.typ | 0x20 {
	case 'e', 'f':
		return strconv.FormatFloat(x, fs.typ|0x20, prec, 64)
	case '%' | 0x20:
		return strconv.FormatFloat(x*100, 'f', prec, 64) + "%"
	case 'g', 'n':
		return strconv.FormatFloat(x, 'g', max(prec, 1), 64)
	}
	if prec < 0 {
		return pyFloat(x)
	}
	return shortFloat(x, max(prec, 1))
}

// shortFloat is the float format without a type but with a precision:
// like 'g', but scientific from exponent prec-1 on, and fixed notation
// keeps a digit after the point.
func shortFloat(x float64, prec int) string {
	sci := strconv.FormatFloat(x, 'e', prec-1, 64)
	mant, exp, _ := strings.Cut(sci, "e")
	e, _ := strconv.Atoi(exp)
	if e < -4 || e >= prec-1 {
		if strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		return mant + "e" + exp[:1] + fmt.Sprintf("%02d", abs(e))
	}
	s := strconv.FormatFloat(x, 'f', prec-1-e, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		if strings.HasSuffix(s, ".") {
			s += "0"
		}
	} else {
		s += ".0"
	}
	return s
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
