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

// spec is one conversion specifier of Python's printf-style formatting.
type spec struct {
	key         string // %(key)s
	hasKey      bool
	flags       string
	width, prec int // -1 when absent
	conv        byte
}

// pyPercent is Python's format % values (used by the % operator on
// strings and the format filter).
func pyPercent(format string, values starlark.Value) (string, error) {
	args := []starlark.Value{values}
	if t, ok := values.(starlark.Tuple); ok {
		args = t
	}
	mapping, _ := values.(starlark.Mapping)
	f := &percentFormatter{args: args, mapping: mapping}
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			b.WriteByte(format[i])
			continue
		}
		n, err := f.one(&b, format[i+1:])
		if err != nil {
			return "", err
		}
		i += n
	}
	if f.next < len(f.args) && mapping == nil {
		return "", errors.New("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

// percentFormatter consumes the arguments of one pyPercent call.
type percentFormatter struct {
	args    []starlark.Value
	mapping starlark.Mapping
	next    int
}

// one formats the specifier at the start of rest (after the %) and returns
// the number of bytes it used.
func (f *percentFormatter) one(b *strings.Builder, rest string) (int, error) {
	sp, n, err := f.parseSpec(rest)
	if err != nil {
		return 0, err
	}
	if sp.conv == '%' {
		b.WriteByte('%')
		return n, nil
	}
	v, err := f.value(sp)
	if err != nil {
		return 0, err
	}
	s, err := formatSpec(sp, v)
	b.WriteString(s)
	return n, err
}

// parseSpec parses "(key)flags width.prec conv".
func (f *percentFormatter) parseSpec(rest string) (spec, int, error) {
	sp := spec{width: -1, prec: -1}
	i := 0
	if strings.HasPrefix(rest, "(") {
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return sp, 0, errors.New("incomplete format key")
		}
		sp.key, sp.hasKey, i = rest[1:end], true, end+1
	}
	for i < len(rest) && strings.IndexByte("-+ #0", rest[i]) >= 0 {
		sp.flags += rest[i : i+1]
		i++
	}
	var err error
	if sp.width, i, err = f.number(rest, i); err != nil {
		return sp, 0, err
	}
	if i < len(rest) && rest[i] == '.' {
		if sp.prec, i, err = f.number(rest, i+1); err != nil {
			return sp, 0, err
		}
		sp.prec = max(sp.prec, 0)
	}
	for i < len(rest) && strings.IndexByte("hlL", rest[i]) >= 0 {
		i++
	}
	if i >= len(rest) {
		return sp, 0, errors.New("incomplete format")
	}
	sp.conv = rest[i]
	return sp, i + 1, nil
}

// number parses a width or precision: digits or "*" (taken from args).
func (f *percentFormatter) number(s string, i int) (int, int, error) {
	if i < len(s) && s[i] == '*' {
		v, err := f.positional()
		if err != nil {
			return 0, 0, err
		}
		n, err := starlark.AsInt32(v)
		if err != nil {
			return 0, 0, errors.New("* wants int")
		}
		return n, i + 1, nil
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return -1, i, nil
	}
	n, _ := strconv.Atoi(s[i:j])
	return n, j, nil
}

// value returns the argument for sp.
func (f *percentFormatter) value(sp spec) (starlark.Value, error) {
	if !sp.hasKey {
		return f.positional()
	}
	if f.mapping == nil {
		return nil, errors.New("format requires a mapping")
	}
	v, found, err := f.mapping.Get(starlark.String(sp.key))
	if err != nil || !found {
		return nil, fmt.Errorf("KeyError: %s", quotePy(sp.key))
	}
	return v, nil
}

func (f *percentFormatter) positional() (starlark.Value, error) {
	if f.next >= len(f.args) {
		return nil, errors.New("not enough arguments for format string")
	}
	f.next++
	return f.args[f.next-1], nil
}

// formatSpec formats v according to sp.
func formatSpec(sp spec, v starlark.Value) (string, error) {
	if err := strict(v); err != nil {
		return "", err
	}
	switch sp.conv {
	case 's', 'r', 'a':
		s := pyStr(v)
		if sp.conv != 's' {
			s = pyRepr(v)
		}
		if sp.prec >= 0 && utf8.RuneCountInString(s) > sp.prec {
			s = string([]rune(s)[:sp.prec])
		}
		return pad(sp, "", s, false), nil
	case 'd', 'i', 'u', 'x', 'X', 'o':
		return formatInt(sp, v)
	case 'e', 'E', 'f', 'F', 'g', 'G':
		return formatFloat(sp, v)
	case 'c':
		return formatChar(sp, v)
	}
	return "", fmt.Errorf("unsupported format character '%c' (0x%x)", sp.conv, sp.conv)
}

// pad applies the width: left-justified with "-", zero-filled after the
// sign with "0" for numbers, right-justified otherwise.
func pad(sp spec, sign, body string, numeric bool) string {
	n := sp.width - utf8.RuneCountInString(sign+body)
	switch {
	case n <= 0:
		return sign + body
	case strings.Contains(sp.flags, "-"):
		return sign + body + strings.Repeat(" ", n)
	case numeric && strings.Contains(sp.flags, "0"):
		return sign + strings.Repeat("0", n) + body
	}
	return strings.Repeat(" ", n) + sign + body
}

// signOf returns the sign prefix for a number.
func signOf(sp spec, negative bool) string {
	switch {
	case negative:
		return "-"
	case strings.Contains(sp.flags, "+"):
		return "+"
	case strings.Contains(sp.flags, " "):
		return " "
	}
	return ""
}

func formatInt(sp spec, v starlark.Value) (string, error) {
	n, err := toBigInt(sp, v)
	if err != nil {
		return "", err
	}
	base, prefix := 10, ""
	switch sp.conv {
	case 'x', 'X':
		base, prefix = 16, "0"+string(sp.conv)
	case 'o':
		base, prefix = 8, "0o"
	}
	digits := new(big.Int).Abs(n).Text(base)
	if sp.conv == 'X' {
		digits = strings.ToUpper(digits)
	}
	if sp.prec > len(digits) {
		digits = strings.Repeat("0", sp.prec-len(digits)) + digits
	}
	sign := signOf(sp, n.Sign() < 0)
	if base != 10 && strings.Contains(sp.flags, "#") {
		sign += prefix
	}
	return pad(sp, sign, digits, true), nil
}

// toBigInt converts the argument of an integer conversion.
func toBigInt(sp spec, v starlark.Value) (*big.Int, error) {
	switch v := numeric(v).(type) {
	case starlark.Int:
		return v.BigInt(), nil
	case starlark.Float:
		if sp.conv == 'd' || sp.conv == 'i' || sp.conv == 'u' {
			if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
				return nil, fmt.Errorf("cannot convert float %s to integer", pyFloat(float64(v)))
			}
			n, _ := big.NewFloat(math.Trunc(float64(v))).Int(nil)
			return n, nil
		}
	}
	if sp.conv == 'd' || sp.conv == 'i' || sp.conv == 'u' {
		return nil, fmt.Errorf("%%%c format: a real number is required, not %s", sp.conv, pyTypeName(v))
	}
	return nil, fmt.Errorf("%%%c format: an integer is required, not %s", sp.conv, pyTypeName(v))
}

func formatFloat(sp spec, v starlark.Value) (string, error) {
	x, ok := starlark.AsFloat(numeric(v))
	if !ok {
		return "", fmt.Errorf("must be real number, not %s", pyTypeName(v))
	}
	prec := sp.prec
	if prec < 0 {
		prec = 6
	}
	conv := sp.conv | 0x20 // lower case
	if conv == 'g' && prec == 0 {
		prec = 1
	}
	var body string
	switch {
	case math.IsInf(x, 0):
		body = "inf"
	case math.IsNaN(x):
		body = "nan"
	default:
		body = strconv.FormatFloat(math.Abs(x), conv, prec, 64)
	}
	if sp.conv != conv {
		body = strings.ToUpper(body)
	}
	finite := !math.IsInf(x, 0) && !math.IsNaN(x)
	return pad(sp, signOf(sp, math.Signbit(x) && !math.IsNaN(x)), body, finite), nil
}

func formatChar(sp spec, v starlark.Value) (string, error) {
	switch v := v.(type) {
	case starlark.String:
		if utf8.RuneCountInString(string(v)) == 1 {
			return pad(sp, "", string(v), false), nil
		}
	case starlark.Int:
		if n, ok := v.Int64(); ok && n >= 0 && n <= utf8.MaxRune {
			return pad(sp, "", string(rune(n)), false), nil
		}
	}
	return "", errors.New("%c requires int or char")
}
