package plan

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAttrsRoundTrip(t *testing.T) {
	in := Attrs{
		"none": nil, "t": true, "f": false, "s": "a \"quoted\" \\ line\nnext\ttab \u2028 ü \x01",
		"i": int64(-42), "big": int64(math.MaxInt64), "fl": 2.5, "whole": 3.0, "exp": 1e300,
		"list":  []Value{int64(1), "two", []Value{}},
		"tuple": Tuple{"a", int64(1)},
		"dict":  &Dict{Keys: []Value{"b", int64(2), Tuple{"x"}}, Values: []Value{int64(1), "two", nil}},
		"bytes": Bytes{0, 1, 2, 255},
		"addr":  Address{Host: "::1", Port: 80},
		"ref":   Ref(7),
		"view":  &View{Kind: "App", Label: "App", Host: "web1", Root: "app", Attrs: Attrs{"port": int64(80)}},
		"st":    &Struct{Fields: Attrs{"a": "b"}},
		"unsup": Unsupported("function"),
		"inf":   math.Inf(1),
		"empty": &Dict{},
		"blob":  Blob{SHA256: strings.Repeat("ab", 32), Size: 1 << 40},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Attrs
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%v in %s", err, data)
	}
	again, _ := json.Marshal(out)
	if !reflect.DeepEqual(normalize(in), normalize(out)) {
		t.Errorf("round trip changed values:\n in: %#v\nout: %#v\njson: %s", in, out, data)
	}
	if string(again) != string(data) {
		t.Errorf("encoding is not deterministic:\n%s\n%s", data, again)
	}
}

// normalize makes empty dicts comparable (nil and empty slices).
func normalize(a Attrs) Attrs {
	if d, ok := a["empty"].(*Dict); ok && len(d.Keys) == 0 {
		a["empty"] = "empty dict"
	}
	return a
}

func TestPlanRoundTrip(t *testing.T) {
	p := &Plan{Format: Format, Version: "v", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Host: HostInfo{Name: "h", FQDN: "h.example.com", Data: map[string]string{"rack": "r1"}},
		Roots: []*Root{{Name: "app", Workdir: "/w", Node: &Node{ID: 1, Kind: "App", Label: "App",
			Attrs: Attrs{"port": int64(80)}, Origin: "c.star:3", BeforeUpdate: "*",
			Def: &DefRef{File: "c.star", Name: "App", Verify: true, LastUpdated: true},
			Children: []*Node{
				{ID: 2, Kind: "File", Label: "File('x')", Attrs: Attrs{"path": "/w/x"}, Origin: "c.star:3",
					Children: []*Node{{ID: 3, Kind: "Content", Label: "Content('x')", Origin: "c.star:3"}}},
				{ID: 4, Kind: "Sub", Label: "Sub", Origin: "lib.star:9", Workdir: "/w2"},
			}}}}}
	data, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := q.Marshal()
	if string(again) != string(data) {
		t.Errorf("plan changed in a round trip:\n%s\n%s", data, again)
	}
	if !reflect.DeepEqual(p.Roots, q.Roots) {
		t.Errorf("roots changed in a round trip:\n%s", data)
	}
	if err := q.Check("v"); err != nil {
		t.Error(err)
	}
	if err := q.Check("w"); err == nil {
		t.Error("a plan of another version must be refused")
	}
}

func TestParseAddress(t *testing.T) {
	for text, want := range map[string]string{"a:1": "a:1", "[::1]:80": "[::1]:80", "10.0.0.1:65535": "10.0.0.1:65535"} {
		a, err := ParseAddress(text)
		if err != nil || a.String() != want {
			t.Errorf("ParseAddress(%q) = %v, %v", text, a, err)
		}
	}
	for _, bad := range []string{"a", ":80", "::1:80", "a:x", "a:70000"} {
		if _, err := ParseAddress(bad); err == nil {
			t.Errorf("ParseAddress(%q) should fail", bad)
		}
	}
}

// FuzzStringEscaping checks that strings are escaped exactly as
// encoding/json escapes them and read back unchanged.
func FuzzStringEscaping(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\/\n\r\t\b\f", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "ü😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := string(appendString(nil, s))
		want, _ := json.Marshal(s)
		if got != string(want) && got != jsonNoHTML(s) {
			t.Fatalf("appendString(%q) = %s, encoding/json gives %s", s, got, want)
		}
		p := &parser{data: []byte(got)}
		back, err := p.str()
		var std string
		_ = json.Unmarshal([]byte(got), &std)
		if err != nil || back != std {
			t.Fatalf("parse %s = %q, %v; encoding/json reads %q", got, back, err, std)
		}
	})
}

func jsonNoHTML(s string) string {
	var b []byte
	buf := &bytesBuffer{b: b}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return string(buf.b[:len(buf.b)-1])
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
