package jinja

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf16"

	"go.starlark.net/starlark"
)

// fTojson is Jinja2's tojson: Python's json.dumps with sorted keys and
// ASCII output, then <, >, & and ' escaped for HTML.
func fTojson(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ind starlark.Value = starlark.None
	if err := unpack("tojson", args, kwargs, "indent?", &ind); err != nil {
		return nil, err
	}
	j := &jsonWriter{}
	if ind != starlark.None {
		n, err := starlark.AsInt32(ind)
		if err != nil {
			return nil, err
		}
		j.indent = strings.Repeat(" ", max(n, 0))
		j.pretty = true
	}
	if err := j.value(in, 0); err != nil {
		return nil, err
	}
	r := strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "'", `\u0027`)
	return starlark.String(r.Replace(j.b.String())), nil
}

// jsonWriter writes values as Python's json module does.
type jsonWriter struct {
	b      strings.Builder
	indent string
	pretty bool
}

func (j *jsonWriter) value(v starlark.Value, depth int) error {
	switch v := v.(type) {
	case starlark.NoneType:
		j.b.WriteString("null")
	case starlark.Bool:
		j.b.WriteString(map[bool]string{true: "true", false: "false"}[bool(v)])
	case starlark.Int:
		j.b.WriteString(v.String())
	case starlark.Float:
		j.b.WriteString(jsonFloat(float64(v)))
	case starlark.String:
		j.str(string(v))
	case *starlark.List, starlark.Tuple:
		return j.array(v.(starlark.Indexable), depth)
	case *starlark.Dict:
		return j.object(v, depth)
	default:
		return fmt.Errorf("Object of type %s is not JSON serializable", pyTypeName(v))
	}
	return nil
}

func jsonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return pyFloat(f)
}

// str writes a JSON string with non-ASCII characters as \u escapes.
func (j *jsonWriter) str(s string) {
	j.b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			j.b.WriteString(`\"`)
		case r == '\\':
			j.b.WriteString(`\\`)
		case r == '\n':
			j.b.WriteString(`\n`)
		case r == '\r':
			j.b.WriteString(`\r`)
		case r == '\t':
			j.b.WriteString(`\t`)
		case r == '\b':
			j.b.WriteString(`\b`)
		case r == '\f':
			j.b.WriteString(`\f`)
		case r < 0x20 || r > 0x7e:
			j.escape(r)
		default:
			j.b.WriteRune(r)
		}
	}
	j.b.WriteByte('"')
}

func (j *jsonWriter) escape(r rune) {
	if r > 0xffff {
		hi, lo := utf16.EncodeRune(r)
		fmt.Fprintf(&j.b, `\u%04x\u%04x`, hi, lo)
		return
	}
	fmt.Fprintf(&j.b, `\u%04x`, r)
}

// newline starts a new line at the given depth when indenting.
func (j *jsonWriter) newline(depth int) {
	if j.pretty {
		j.b.WriteString("\n" + strings.Repeat(j.indent, depth))
	}
}

func (j *jsonWriter) separator() {
	if j.pretty {
		j.b.WriteByte(',')
	} else {
		j.b.WriteString(", ")
	}
}

func (j *jsonWriter) array(seq starlark.Indexable, depth int) error {
	if seq.Len() == 0 {
		j.b.WriteString("[]")
		return nil
	}
	j.b.WriteByte('[')
	for i := 0; i < seq.Len(); i++ {
		if i > 0 {
			j.separator()
		}
		j.newline(depth + 1)
		if err := j.value(seq.Index(i), depth+1); err != nil {
			return err
		}
	}
	j.newline(depth)
	j.b.WriteByte(']')
	return nil
}

func (j *jsonWriter) object(d *starlark.Dict, depth int) error {
	if d.Len() == 0 {
		j.b.WriteString("{}")
		return nil
	}
	items, err := jsonItems(d)
	if err != nil {
		return err
	}
	j.b.WriteByte('{')
	for i, kv := range items {
		if i > 0 {
			j.separator()
		}
		j.newline(depth + 1)
		j.str(kv.key)
		j.b.WriteString(": ")
		if err := j.value(kv.value, depth+1); err != nil {
			return err
		}
	}
	j.newline(depth)
	j.b.WriteByte('}')
	return nil
}

type jsonItem struct {
	key   string
	value starlark.Value
}

// jsonItems returns the items of d with keys as JSON strings, sorted.
func jsonItems(d *starlark.Dict) ([]jsonItem, error) {
	var items []jsonItem
	for _, kv := range d.Items() {
		var key string
		switch k := kv[0].(type) {
		case starlark.String:
			key = string(k)
		case starlark.Int, starlark.Float, starlark.Bool, starlark.NoneType:
			var w jsonWriter
			_ = w.value(k, 0)
			key = w.b.String()
		default:
			return nil, fmt.Errorf("keys must be str, int, float, bool or None, not %s", pyTypeName(k))
		}
		items = append(items, jsonItem{key, kv[1]})
	}
	sort.SliceStable(items, func(a, b int) bool { return items[a].key < items[b].key })
	return items, nil
}
