package plan

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Value is one attribute value in a plan. Its dynamic type is one of: nil,
// bool, string, int64, float64, []Value (a list), Tuple, *Dict, Bytes,
// Address, Ref, *View, *Struct, Blob or Unsupported.
type Value any

// Tuple is an immutable sequence.
type Tuple []Value

// Dict is an ordered mapping with keys of any value type.
type Dict struct {
	Keys   []Value
	Values []Value
}

// Get returns the value stored under the string key k.
func (d *Dict) Get(k string) (Value, bool) {
	for i, key := range d.Keys {
		if s, ok := key.(string); ok && s == k {
			return d.Values[i], true
		}
	}
	return nil, false
}

// Bytes is binary data; it travels base64-encoded.
type Bytes []byte

// Address is a network address with a port.
type Address struct {
	Host string
	Port int
}

// String returns host:port, or [host]:port for IPv6 literals.
func (a Address) String() string {
	if strings.Contains(a.Host, ":") {
		return "[" + a.Host + "]:" + strconv.Itoa(a.Port)
	}
	return a.Host + ":" + strconv.Itoa(a.Port)
}

// Ref points at another node of the same root by its ID.
type Ref int

// View is a read-only snapshot of a component on another root (a provided
// component seen by a requirer).
type View struct {
	Kind  string
	Label string
	Host  string
	Root  string
	Attrs Attrs
}

// Struct is a record of named fields.
type Struct struct {
	Fields Attrs
}

// Unsupported stands for a value that cannot travel to the host (a function,
// say). Using it on the host is an error that names its type.
type Unsupported string

// Attrs maps attribute names to values. Its JSON form is deterministic.
type Attrs map[string]Value

// MarshalJSON encodes attributes with sorted keys and tagged values.
func (a Attrs) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := writeAttrs(&buf, a); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (a *Attrs) UnmarshalJSON(data []byte) error {
	p := &parser{data: data}
	out, err := p.attrs()
	if err != nil {
		return err
	}
	*a = out
	return nil
}

func writeAttrs(buf *bytes.Buffer, a Attrs) error {
	return writeAttrsExcept(buf, a, nil)
}

// writeAttrsExcept writes a without the attributes named in skip.
func writeAttrsExcept(buf *bytes.Buffer, a Attrs, skip []string) error {
	var small [8]string
	keys := small[:0]
	for k := range a {
		if !slices.Contains(skip, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeString(buf, k)
		buf.WriteByte(':')
		if err := writeValue(buf, a[k]); err != nil {
			return fmt.Errorf("attribute %s: %w", k, err)
		}
	}
	buf.WriteByte('}')
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	buf.Write(appendString(buf.AvailableBuffer(), s))
}

func writeTagged(buf *bytes.Buffer, tag string, fn func() error) error {
	buf.WriteString(`{"$` + tag + `":`)
	if err := fn(); err != nil {
		return err
	}
	buf.WriteByte('}')
	return nil
}

func writeList(buf *bytes.Buffer, items []Value) error {
	buf.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeValue(buf, it); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

// writeDict writes d tagged as a list of its [key, value] pairs.
func writeDict(buf *bytes.Buffer, d *Dict) error {
	buf.WriteString(`{"$dict":[`)
	for i := range d.Keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('[')
		if err := writeValue(buf, d.Keys[i]); err != nil {
			return err
		}
		buf.WriteByte(',')
		if err := writeValue(buf, d.Values[i]); err != nil {
			return err
		}
		buf.WriteByte(']')
	}
	buf.WriteString("]}")
	return nil
}

func writeValue(buf *bytes.Buffer, v Value) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case string:
		writeString(buf, v)
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case int:
		buf.WriteString(strconv.Itoa(v))
	case float64:
		return writeFloat(buf, v)
	case []Value:
		return writeList(buf, v)
	case Tuple:
		return writeTagged(buf, "tuple", func() error { return writeList(buf, v) })
	case *Dict:
		return writeDict(buf, v)
	case Bytes:
		return writeTagged(buf, "bytes", func() error {
			writeString(buf, base64.StdEncoding.EncodeToString(v))
			return nil
		})
	case Address:
		return writeTagged(buf, "address", func() error { writeString(buf, v.String()); return nil })
	case Ref:
		return writeTagged(buf, "ref", func() error { buf.WriteString(strconv.Itoa(int(v))); return nil })
	case *View:
		return writeTagged(buf, "view", func() error {
			return writeAttrs(buf, Attrs{"kind": v.Kind, "label": v.Label, "host": v.Host, "root": v.Root, "attrs": &Struct{v.Attrs}})
		})
	case *Struct:
		return writeTagged(buf, "struct", func() error { return writeAttrs(buf, v.Fields) })
	case Unsupported:
		return writeTagged(buf, "unsupported", func() error { writeString(buf, string(v)); return nil })
	case Blob:
		return writeTagged(buf, "blob", func() error { return writeAttrs(buf, Attrs{"sha256": v.SHA256, "size": v.Size}) })
	default:
		return fmt.Errorf("cannot encode %T in a plan", v)
	}
	return nil
}

func writeFloat(buf *bytes.Buffer, f float64) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return writeTagged(buf, "float", func() error { writeString(buf, strconv.FormatFloat(f, 'g', -1, 64)); return nil })
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	buf.WriteString(s)
	return nil
}

// decodeTagged turns the body of a {"$tag": body} value into its Value.
func decodeTagged(tag string, body any) (Value, error) {
	switch tag {
	case "$tuple":
		l, ok := body.([]Value)
		if !ok {
			return nil, fmt.Errorf("$tuple needs a list")
		}
		return Tuple(l), nil
	case "$dict":
		return decodeDict(body)
	case "$bytes":
		s, _ := body.(string)
		b, err := base64.StdEncoding.DecodeString(s)
		return Bytes(b), err
	case "$address":
		s, _ := body.(string)
		return ParseAddress(s)
	case "$ref":
		n, ok := body.(int64)
		if !ok {
			return nil, fmt.Errorf("$ref needs an integer")
		}
		return Ref(n), nil
	case "$view":
		a, _ := body.(Attrs)
		return decodeView(a), nil
	case "$struct":
		a, _ := body.(Attrs)
		return &Struct{a}, nil
	case "$unsupported":
		s, _ := body.(string)
		return Unsupported(s), nil
	case "$float":
		s, _ := body.(string)
		return strconv.ParseFloat(s, 64)
	case "$blob":
		return decodeBlob(body)
	}
	return nil, fmt.Errorf("unknown value tag %q", tag)
}

func decodeDict(body any) (Value, error) {
	pairs, ok := body.([]Value)
	if !ok {
		return nil, fmt.Errorf("$dict needs a list of pairs")
	}
	d := &Dict{}
	for _, p := range pairs {
		kv, ok := p.([]Value)
		if !ok || len(kv) != 2 {
			return nil, fmt.Errorf("malformed dict entry")
		}
		d.Keys = append(d.Keys, kv[0])
		d.Values = append(d.Values, kv[1])
	}
	return d, nil
}

func decodeView(a Attrs) *View {
	v := &View{}
	v.Kind, _ = a["kind"].(string)
	v.Label, _ = a["label"].(string)
	v.Host, _ = a["host"].(string)
	v.Root, _ = a["root"].(string)
	if s, ok := a["attrs"].(*Struct); ok {
		v.Attrs = s.Fields
	}
	return v
}

// ParseAddress parses host:port or [v6]:port.
func ParseAddress(s string) (Address, error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return Address{}, fmt.Errorf("address %q has no port (want host:port)", s)
	}
	host, portText := s[:i], s[i+1:]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	} else if strings.Contains(host, ":") {
		return Address{}, fmt.Errorf("address %q: write IPv6 addresses as [addr]:port", s)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return Address{}, fmt.Errorf("address %q: port %q is not a number from 0 to 65535", s, portText)
	}
	if host == "" {
		return Address{}, fmt.Errorf("address %q has no host", s)
	}
	return Address{Host: host, Port: port}, nil
}
