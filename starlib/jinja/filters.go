package jinja

import (
	"fmt"
	"html"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// filterFunc implements a filter: in is the filtered value, args and
// kwargs are the filter's arguments.
type filterFunc func(r *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// filterDef is a filter and how it treats an undefined input.
type filterDef struct {
	fn filterFunc
	// lenient filters receive an undefined input (default, items);
	// the others fail on it, as under Jinja2's StrictUndefined.
	lenient bool
}

// filters are the filters templates can use, by name. Unknown filters are
// syntax errors, as in Jinja2. Filled in by init, read-only afterwards.
var filters map[string]*filterDef

func init() {
	f := func(fn filterFunc) *filterDef { return &filterDef{fn: fn} }
	filters = map[string]*filterDef{
		"abs": f(fAbs), "attr": f(fAttr), "batch": f(fBatch), "capitalize": f(fCapitalize),
		"center": f(fCenter), "count": f(fLength), "default": {fn: fDefault, lenient: true},
		"dictsort": f(fDictsort), "escape": f(fEscape), "first": f(fFirst), "float": f(fFloat),
		"filesizeformat": f(fFilesizeformat), "forceescape": f(fEscape), "format": f(fFormat), "indent": f(fIndent), "int": f(fInt),
		"items": {fn: fItems, lenient: true}, "join": f(fJoin), "last": f(fLast),
		"length": f(fLength), "list": f(fList), "lower": f(fLower), "map": f(fMap),
		"max": f(fMax), "min": f(fMin), "reject": f(fReject), "rejectattr": f(fRejectattr),
		"replace": f(fReplace), "reverse": f(fReverse), "round": f(fRound), "safe": f(fSafe),
		"select": f(fSelect), "selectattr": f(fSelectattr), "sort": f(fSort), "string": f(fString),
		"sum": f(fSum), "title": f(fTitle), "tojson": f(fTojson), "trim": f(fTrim),
		"truncate": f(fTruncate), "unique": f(fUnique), "upper": f(fUpper), "wordcount": f(fWordcount),
		"groupby": f(fGroupby), "slice": f(fSlice), "striptags": f(fStriptags),
		"urlencode": f(fUrlencode), "xmlattr": f(fXmlattr),
	}
	filters["d"], filters["e"] = filters["default"], filters["escape"]
}

func (r *renderer) evalFilter(x *filterExpr, s *scope) (starlark.Value, error) {
	in, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	return r.applyFilter(x, in, s)
}

// applyFilter applies one filter to in.
func (r *renderer) applyFilter(f *filterExpr, in starlark.Value, s *scope) (starlark.Value, error) {
	args, kwargs, err := r.evalArgs(f.callArgs, s)
	if err != nil {
		return nil, err
	}
	return r.callFilter(f.name, f.def, in, args, kwargs)
}

// callFilter runs a filter on evaluated arguments.
func (r *renderer) callFilter(name string, def *filterDef, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if !def.lenient {
		if u, ok := in.(*undefined); ok && u.lenient {
			in = starlark.String("")
		} else if err := strict(in); err != nil {
			return nil, err
		}
		if err := strictArgs(args, kwargs); err != nil {
			return nil, err
		}
	}
	v, err := def.fn(r, in, args, kwargs)
	if err != nil {
		return nil, fmt.Errorf("filter %s: %w", name, err)
	}
	return v, nil
}

func strictArgs(args starlark.Tuple, kwargs []starlark.Tuple) error {
	if err := strictAll(args); err != nil {
		return err
	}
	for _, kv := range kwargs {
		if err := strict(kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// applyChain applies the filters of a {% filter %} or {% set %} block.
func (r *renderer) applyChain(chain []*filterExpr, in starlark.Value, s *scope) (starlark.Value, error) {
	for _, f := range chain {
		var err error
		if in, err = r.applyFilter(f, in, s); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// unpack binds filter arguments to named parameters ("name?" marks an
// optional one), as Starlark builtins do.
func unpack(name string, args starlark.Tuple, kwargs []starlark.Tuple, pairs ...any) error {
	return starlark.UnpackArgs(name, args, kwargs, pairs...)
}

// isTrue is Python truth for an optional flag argument.
func isTrue(v starlark.Value) bool { return v != nil && bool(v.Truth()) }

func fDefault(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var def starlark.Value = starlark.String("")
	var boolean starlark.Value
	if err := unpack("default", args, kwargs, "default_value?", &def, "boolean?", &boolean); err != nil {
		return nil, err
	}
	if _, ok := in.(*undefined); ok || (isTrue(boolean) && !bool(in.Truth())) {
		return def, nil
	}
	return in, nil
}

func fLength(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("length", args, kwargs); err != nil {
		return nil, err
	}
	n, err := length(in)
	return starlark.MakeInt(n), err
}

// strFilter makes a filter of a function on the str() of the input.
func strFilter(name string, fn func(string) string) filterFunc {
	return func(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := unpack(name, args, kwargs); err != nil {
			return nil, err
		}
		return starlark.String(fn(pyStr(in))), nil
	}
}

var (
	fUpper      = strFilter("upper", upper)
	fLower      = strFilter("lower", lower)
	fCapitalize = strFilter("capitalize", capitalize)
	fTitle      = strFilter("title", title)
	fEscape     = strFilter("escape", escapeHTML)
	fString     = strFilter("string", func(s string) string { return s })
	fWordcount  = func(r *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := unpack("wordcount", args, kwargs); err != nil {
			return nil, err
		}
		return starlark.MakeInt(wordCount(pyStr(in))), nil
	}
)

func fSafe(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return in, unpack("safe", args, kwargs)
}

// capitalize is Python's str.capitalize().
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToTitle(r)) + lower(s[n:])
}

// title is Jinja2's title filter: each word (after -, whitespace or an
// opening bracket) starts upper case, the rest is lower case.
func title(s string) string {
	var b strings.Builder
	prevSep, first := false, true
	for _, r := range s {
		sep := r == '-' || r == '(' || r == '{' || r == '[' || r == '<' || unicode.IsSpace(r)
		if first || sep != prevSep {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		prevSep, first = sep, false
	}
	return b.String()
}

// escapeHTML escapes like markupsafe: & < > " and ' become &amp; &lt;
// &gt; &#34; and &#39;.
func escapeHTML(s string) string { return html.EscapeString(s) }

// upper is Python's str.upper(), with the special cases (ß becomes SS).
// A Caser is not safe for concurrent use, so each call makes its own.
func upper(s string) string { return cases.Upper(language.Und).String(s) }

// lower is Python's str.lower().
func lower(s string) string { return cases.Lower(language.Und).String(s) }

// wordCount counts the runs of word characters, like re.findall(r"\w+").
func wordCount(s string) int {
	n, in := 0, false
	for _, r := range s {
		word := r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		if word && !in {
			n++
		}
		in = word
	}
	return n
}

func fTrim(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var chars starlark.Value = starlark.None
	if err := unpack("trim", args, kwargs, "chars?", &chars); err != nil {
		return nil, err
	}
	s := pyStr(in)
	if c, ok := chars.(starlark.String); ok {
		return starlark.String(strings.Trim(s, string(c))), nil
	}
	return starlark.String(strings.TrimFunc(s, isPySpace)), nil
}

func fReplace(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var old, repl string
	var count starlark.Value = starlark.None
	if err := unpack("replace", args, kwargs, "old", &old, "new", &repl, "count?", &count); err != nil {
		return nil, err
	}
	n := -1
	if count != starlark.None {
		var err error
		if n, err = starlark.AsInt32(count); err != nil {
			return nil, err
		}
	}
	return starlark.String(strings.Replace(pyStr(in), old, repl, n)), nil
}

func fCenter(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	width := 80
	if err := unpack("center", args, kwargs, "width?", &width); err != nil {
		return nil, err
	}
	s := pyStr(in)
	marg := width - utf8.RuneCountInString(s)
	if marg <= 0 {
		return starlark.String(s), nil
	}
	left := marg/2 + (marg & width & 1)
	return starlark.String(strings.Repeat(" ", left) + s + strings.Repeat(" ", marg-left)), nil
}

func fIndent(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var width starlark.Value = starlark.MakeInt(4)
	var first, blank starlark.Value
	if err := unpack("indent", args, kwargs, "width?", &width, "first?", &first, "blank?", &blank); err != nil {
		return nil, err
	}
	ind, ok := width.(starlark.String)
	if !ok {
		n, err := starlark.AsInt32(width)
		if err != nil {
			return nil, err
		}
		ind = starlark.String(strings.Repeat(" ", max(n, 0)))
	}
	return starlark.String(indent(pyStr(in), string(ind), isTrue(first), isTrue(blank))), nil
}

// indent is Jinja2's indent filter, including its handling of the last
// line: the text gets a newline appended before it is split.
func indent(s, ind string, first, blank bool) string {
	lines := splitLines(s + "\n")
	var rv string
	if blank {
		rv = strings.Join(lines, "\n"+ind)
	} else {
		rv = lines[0]
		for _, line := range lines[1:] {
			rv += "\n"
			if line != "" {
				rv += ind
			}
			rv += line
		}
	}
	if first {
		rv = ind + rv
	}
	return rv
}

// splitLines is Python's str.splitlines().
func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, s[start:i])
			start = i + n
		case '\r':
			lines = append(lines, s[start:i])
			if strings.HasPrefix(s[i+n:], "\n") {
				n++
			}
			start = i + n
		}
		i += n
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

func fTruncate(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	size, leeway := 255, 5
	var killwords starlark.Value
	end := "..."
	var lw starlark.Value = starlark.None
	if err := unpack("truncate", args, kwargs, "length?", &size, "killwords?", &killwords, "end?", &end, "leeway?", &lw); err != nil {
		return nil, err
	}
	if lw != starlark.None {
		var err error
		if leeway, err = starlark.AsInt32(lw); err != nil {
			return nil, err
		}
	}
	s := []rune(pyStr(in))
	if size < utf8.RuneCountInString(end) || leeway < 0 {
		return nil, fmt.Errorf("expected length >= %d, got %d", utf8.RuneCountInString(end), size)
	}
	if len(s) <= size+leeway {
		return starlark.String(s), nil
	}
	cut := string(s[:size-utf8.RuneCountInString(end)])
	if !isTrue(killwords) {
		if i := strings.LastIndex(cut, " "); i >= 0 {
			cut = cut[:i]
		}
	}
	return starlark.String(cut + end), nil
}

func fFormat(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 && len(kwargs) > 0 {
		return nil, fmt.Errorf("can't handle positional and keyword arguments at the same time")
	}
	var values starlark.Value = args
	if len(kwargs) > 0 {
		values = newKwargs(kwargs).dict()
	}
	out, err := pyPercent(pyStr(in), values)
	return starlark.String(out), err
}

func fAbs(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("abs", args, kwargs); err != nil {
		return nil, err
	}
	switch v := numeric(in).(type) {
	case starlark.Int:
		if v.Sign() < 0 {
			return starlark.MakeInt(0).Sub(v), nil
		}
		return v, nil
	case starlark.Float:
		return starlark.Float(math.Abs(float64(v))), nil
	}
	return nil, fmt.Errorf("bad operand type for abs(): %s", quotePy(pyTypeName(in)))
}

func fInt(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var def starlark.Value = starlark.MakeInt(0)
	base := 10
	if err := unpack("int", args, kwargs, "default?", &def, "base?", &base); err != nil {
		return nil, err
	}
	switch v := numeric(in).(type) {
	case starlark.Int:
		return v, nil
	case starlark.Float:
		return starlark.NumberToInt(v)
	case starlark.String:
		return parseIntString(string(v), base, def), nil
	}
	return def, nil
}

// parseIntString is int(s, base), falling back to int(float(s)) and then
// to def, as the int filter does.
func parseIntString(s string, base int, def starlark.Value) starlark.Value {
	if v, ok := pyParseInt(s, base); ok {
		return v
	}
	if base == 10 {
		if f, ok := parsePyFloat(s); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
			if n, err := starlark.NumberToInt(starlark.Float(f)); err == nil {
				return n
			}
		}
	}
	return def
}

// pyParseInt is Python's int(s, base): surrounding whitespace, a sign,
// underscores between digits and a 0x/0o/0b prefix that matches base.
func pyParseInt(s string, base int) (starlark.Value, bool) {
	t := strings.TrimFunc(s, isPySpace)
	sign := ""
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		sign, t = t[:1], t[1:]
	}
	prefixes := map[int]string{16: "0x", 8: "0o", 2: "0b"}
	if p, ok := prefixes[base]; ok && strings.HasPrefix(strings.ToLower(t), p) {
		t = strings.TrimPrefix(t[2:], "_")
	}
	if t == "" || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return nil, false
	}
	n, ok := new(big.Int).SetString(sign+strings.ReplaceAll(t, "_", ""), base)
	if !ok {
		return nil, false
	}
	return starlark.MakeBigInt(n), true
}

// parsePyFloat is Python's float() of a string.
func parsePyFloat(s string) (float64, bool) {
	t := strings.ToLower(strings.TrimFunc(s, isPySpace))
	switch strings.TrimLeft(t, "+-") {
	case "inf", "infinity", "nan":
	default:
		if strings.Contains(t, "inf") || strings.HasPrefix(t, "0x") {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
	return f, err == nil
}

func fFloat(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var def starlark.Value = starlark.Float(0)
	if err := unpack("float", args, kwargs, "default?", &def); err != nil {
		return nil, err
	}
	switch v := numeric(in).(type) {
	case starlark.Int:
		f, _ := starlark.AsFloat(v)
		return starlark.Float(f), nil
	case starlark.Float:
		return v, nil
	case starlark.String:
		if f, ok := parsePyFloat(string(v)); ok {
			return starlark.Float(f), nil
		}
	}
	return def, nil
}

func fRound(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	precision := 0
	method := "common"
	if err := unpack("round", args, kwargs, "precision?", &precision, "method?", &method); err != nil {
		return nil, err
	}
	if n, ok := numeric(in).(starlark.Int); ok && method == "common" {
		return roundInt(n, precision), nil
	}
	x, ok := starlark.AsFloat(numeric(in))
	if !ok {
		return nil, fmt.Errorf("must be real number, not %s", pyTypeName(in))
	}
	scale := math.Pow(10, float64(precision))
	switch method {
	case "common":
		if precision < 0 {
			return starlark.Float(math.RoundToEven(x*scale) / scale), nil
		}
		f, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', precision, 64), 64)
		return starlark.Float(f), nil
	case "ceil":
		return starlark.Float(math.Ceil(x*scale) / scale), nil
	case "floor":
		return starlark.Float(math.Floor(x*scale) / scale), nil
	}
	return nil, fmt.Errorf("method must be common, ceil or floor")
}

// roundInt is Python's round(n, precision) for an int: an int, rounded
// half to even to a multiple of 10**-precision.
func roundInt(n starlark.Int, precision int) starlark.Value {
	if precision >= 0 {
		return n
	}
	unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-precision)), nil)
	q, m := new(big.Int).DivMod(n.BigInt(), unit, new(big.Int))
	switch new(big.Int).Lsh(m, 1).Cmp(unit) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	return starlark.MakeBigInt(q.Mul(q, unit))
}

// fFilesizeformat formats a number of bytes for people: 13 kB, 4.1 MB,
// or with binary prefixes 4.0 MiB.
func fFilesizeformat(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var binary starlark.Value
	if err := unpack("filesizeformat", args, kwargs, "binary?", &binary); err != nil {
		return nil, err
	}
	size, ok := starlark.AsFloat(numeric(in))
	if s, isStr := in.(starlark.String); isStr {
		size, ok = parsePyFloat(string(s))
	}
	if !ok {
		return nil, fmt.Errorf("could not convert %s to float", pyRepr(in))
	}
	base, prefixes := 1000.0, []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	if isTrue(binary) {
		base, prefixes = 1024, []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	}
	switch {
	case size == 1:
		return starlark.String("1 Byte"), nil
	case size < base:
		return starlark.String(fmt.Sprintf("%d Bytes", int64(size))), nil
	}
	unit, i := base*base, 0
	for ; i < len(prefixes)-1 && size >= unit; i++ {
		unit *= base
	}
	return starlark.String(strconv.FormatFloat(base*size/unit, 'f', 1, 64) + " " + prefixes[i]), nil
}
