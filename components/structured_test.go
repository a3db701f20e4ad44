package components

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// sampleData is written by the golden tests below; the expected texts are
// what Python's json.dumps and PyYAML 6's safe_dump produce for it.
func sampleData() map[string]any {
	return map[string]any{"name": "app", "port": int64(8080), "ratio": 0.25, "tags": []any{"a", "b"},
		"nested": map[string]any{"x": nil, "y": true, "z": []any{map[string]any{"k": "v"}}},
		"text":   "Grüße", "yes": "yes", "empty": map[string]any{}, "big": 1e16}
}

const (
	sampleJSON        = "{\n    \"big\": 1e+16,\n    \"empty\": {},\n    \"name\": \"app\",\n    \"nested\": {\n        \"x\": null,\n        \"y\": true,\n        \"z\": [\n            {\n                \"k\": \"v\"\n            }\n        ]\n    },\n    \"port\": 8080,\n    \"ratio\": 0.25,\n    \"tags\": [\n        \"a\",\n        \"b\"\n    ],\n    \"text\": \"Gr\\u00fc\\u00dfe\",\n    \"yes\": \"yes\"\n}"
	sampleJSONCompact = `{"big":1e+16,"empty":{},"name":"app","nested":{"x":null,"y":true,"z":[{"k":"v"}]},"port":8080,"ratio":0.25,"tags":["a","b"],"text":"Gr\u00fc\u00dfe","yes":"yes"}`
	sampleYAML        = "big: 1.0e+16\nempty: {}\nname: app\nnested:\n  x: null\n  y: true\n  z:\n  - k: v\nport: 8080\nratio: 0.25\ntags:\n- a\n- b\ntext: \"Gr\\xFC\\xDFe\"\n'yes': 'yes'\n"
)

func TestPyJSONGolden(t *testing.T) {
	for human, want := range map[bool]string{true: sampleJSON, false: sampleJSONCompact} {
		got, err := writePyJSON(sampleData(), human)
		if err != nil || got != want {
			t.Errorf("human=%v:\n got %q (%v)\nwant %q", human, got, err, want)
		}
	}
	for f, want := range map[float64]string{1e22: "1e+22", 123456789012345678: "1.2345678901234568e+17",
		1e15: "1000000000000000.0", 1e-5: "1e-05", 0.1: "0.1", 5e-324: "5e-324", 2: "2.0", math.Inf(-1): "-Infinity"} {
		if got := pyJSONFloat(f); got != want {
			t.Errorf("float %v: got %s, want %s", f, got, want)
		}
	}
	got, _ := writePyJSON("\x7f€😀\"\\\n<>", true)
	if want := `"\u007f\u20ac\ud83d\ude00\"\\\n<>"`; got != want {
		t.Errorf("escapes: got %s, want %s", got, want)
	}
	if _, err := writePyJSON(map[string]any{"k": []byte("x")}, true); err == nil || !strings.Contains(err.Error(), "k: a bytes cannot be written as JSON") {
		t.Errorf("bytes: %v", err)
	}
}

func TestYAMLGolden(t *testing.T) {
	got, err := writeYAML(sampleData())
	if err != nil || got != sampleYAML {
		t.Fatalf("got %q (%v)\nwant %q", got, err, sampleYAML)
	}
	cases := map[string]string{"hello world": "hello world", "yes": "'yes'", "123": "'123'", "a: b": "'a: b'",
		"- x": "'- x'", "": "''", "it's": "it's", " lead": "' lead'", "#c": "'#c'", "null": "'null'",
		"1.5": "'1.5'", "0x1f": "'0x1f'", "2001-01-01": "'2001-01-01'", "~": "'~'", "a #b": "'a #b'", "@x": "'@x'",
		"x\ny": `"x\ny"`, "ü": `"\xFC"`}
	for in, want := range cases {
		if got := yamlString(in); got != want {
			t.Errorf("string %q: got %s, want %s", in, got, want)
		}
	}
	top, _ := writeYAML([]any{map[string]any{"a": int64(1), "b": int64(2)}, []any{int64(1)}})
	if top != "- a: 1\n  b: 2\n- - 1\n" {
		t.Errorf("nested sequences: %q", top)
	}
	if s, _ := writeYAML("x"); s != "x\n...\n" {
		t.Errorf("scalar document: %q", s)
	}
}

// What writeYAML writes, parseYAML reads back unchanged.
func TestYAMLRoundTrip(t *testing.T) {
	values := []any{sampleData(), []any{}, map[string]any{},
		[]any{[]any{[]any{"deep"}}, map[string]any{"l": []any{int64(1), 2.5, nil, false}}},
		map[string]any{"quotes": "it's \"x\"", "colon": "a: b", "hash": "a #b", "multi": "one\ntwo\n",
			"num": "007", "neg": int64(-3), "inf": math.Inf(1), "key with space": "v", "123": "numeric key"}}
	for _, v := range values {
		text, err := writeYAML(v)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseYAML([]byte(text))
		if err != nil {
			t.Fatalf("parsing %q: %v", text, err)
		}
		if !reflect.DeepEqual(back, v) {
			t.Errorf("round trip of %q:\n got %#v\nwant %#v", text, back, v)
		}
	}
}

func TestYAMLParse(t *testing.T) {
	src := `---
# a comment
server:
  host: example.org   # trailing comment
  ports: [80, 443]
  tls: {enabled: yes, cert: "/etc/ssl/x.pem"}
users:
  - name: alice
    groups:
    - admin
  - name: 'bob'
script: |
  echo one
  echo two
folded: >-
  a
  b
empty:
octal: 0755
`
	v, err := parseYAML([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"server": map[string]any{"host": "example.org", "ports": []any{int64(80), int64(443)},
			"tls": map[string]any{"enabled": true, "cert": "/etc/ssl/x.pem"}},
		"users":  []any{map[string]any{"name": "alice", "groups": []any{"admin"}}, map[string]any{"name": "bob"}},
		"script": "echo one\necho two\n", "folded": "a b", "empty": nil, "octal": int64(0o755),
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("got %#v\nwant %#v", v, want)
	}
	for src, msg := range map[string]string{
		"a: &x 1\nb: *x\n":    "line 1: anchors, aliases and tags are not supported",
		"a: 1\n---\nb: 2\n":   "line 2: only one YAML document",
		"a: 1\na: 2\n":        `line 2: key "a" appears twice`,
		"a: b\n  c\n":         "line 2: unexpected indentation",
		"a: [1, 2\n":          "line 1: missing ']'",
		"a: 'open\n":          "line 1: unterminated quoted string",
		"\ta: 1\n":            "line 1: tabs cannot indent YAML",
		"- a\nb: 1\n":         "line 2: unexpected content",
		"a: !!str 1\n":        "tags are not supported",
		"a:\n  - 1\n  x: 2\n": "line 3: unexpected",
	} {
		if _, err := parseYAML([]byte(src)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: want error %q, got %v", src, msg, err)
		}
	}
}

func TestMergeData(t *testing.T) {
	base := map[string]any{"a": map[string]any{"x": int64(1), "l": []any{"p"}}, "b": "keep"}
	got := mergeData(base, map[string]any{"a": map[string]any{"y": int64(2), "l": []any{"q"}}, "c": true})
	want := map[string]any{"a": map[string]any{"x": int64(1), "y": int64(2), "l": []any{"p", "q"}}, "b": "keep", "c": true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if len(base["a"].(map[string]any)) != 2 {
		t.Fatal("the base was changed")
	}
}

// JSONContent and YAMLContent: first deploy, no-op, drift repaired, and
// the mistakes they report.
func TestStructuredContentDeploy(t *testing.T) {
	p := newProject(t)
	p.asset("app.json", `{"name": "from source", "list": [1]}`)
	p.asset("settings.yaml", "name: implicit\nlist: [1]\n")
	for _, tc := range []struct {
		kind  string
		attrs Attrs
		want  string
	}{
		{"JSONContent", Attrs{"path": "data.json", "data": sampleData()}, sampleJSON},
		{"JSONContent", Attrs{"path": "c.json", "data": map[string]any{"a": int64(1)}, "human_readable": false}, `{"a":1}`},
		{"JSONContent", Attrs{"path": "s.json", "source": "app.json", "override": map[string]any{"list": []any{int64(2)}}},
			"{\n    \"list\": [\n        1,\n        2\n    ],\n    \"name\": \"from source\"\n}"},
		{"YAMLContent", Attrs{"path": "data.yaml", "data": sampleData()}, sampleYAML},
		{"YAMLContent", Attrs{"path": "settings.yaml", "override": map[string]any{"name": "over"}}, "list:\n- 1\nname: over\n"},
	} {
		n := p.mustExpand(tc.kind, tc.attrs)
		if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 {
			t.Fatalf("%s: first deploy changed %v", tc.kind, got)
		}
		path := p.work(tc.attrs.str("path"))
		if got := readFile(t, path); got != tc.want {
			t.Fatalf("%s: wrote %q, want %q", tc.kind, got, tc.want)
		}
		if got := mustDeploy(t, p.ctx(false), n); len(got) != 0 {
			t.Fatalf("%s: second deploy changed %v", tc.kind, got)
		}
		writeFile(t, path, "edited by hand\n", 0o644)
		res, err := n.kind.Verify(p.ctx(true), n.attrs)
		if err != nil || !res.NeedsUpdate || !strings.Contains(res.Diff, "-edited by hand") {
			t.Fatalf("%s: drift not seen: %+v %v", tc.kind, res, err)
		}
		mustDeploy(t, p.ctx(false), n)
		if got := readFile(t, path); got != tc.want {
			t.Fatalf("%s: drift not repaired: %q", tc.kind, got)
		}
	}
}

func TestStructuredContentErrors(t *testing.T) {
	p := newProject(t)
	p.asset("bad.json", "{\n  \"a\": 1,\n  oops\n}")
	p.asset("bad.yaml", "a: 1\n  b: 2\n")
	for _, tc := range []struct {
		kind  string
		attrs Attrs
		msg   string
	}{
		{"JSONContent", Attrs{"path": "x.json", "data": map[string]any{}, "source": "bad.json"}, "give either data= or source=, not both"},
		{"JSONContent", Attrs{"path": "x.json"}, "no data: data= and source= are not given and there is no file x.json"},
		{"JSONContent", Attrs{"path": "x.json", "source": "bad.json"}, "source bad.json: invalid JSON at line 3"},
		{"YAMLContent", Attrs{"path": "x.yaml", "source": "bad.yaml"}, "source bad.yaml: line 2: unexpected indentation"},
		{"JSONContent", Attrs{"path": "x.json", "data": map[string]any{"blob": []byte("x")}}, "data: blob: a bytes cannot be written as JSON"},
		{"YAMLContent", Attrs{"path": "x.yaml", "data": []any{[]byte("x")}}, "data: a bytes cannot be written as YAML"},
		{"YAMLContent", Attrs{"path": "x.yaml", "data": int64(1), "sensitive_data": "yes"}, "sensitive_data must be True, False or None"},
	} {
		_, err := p.expand(tc.kind, tc.attrs)
		wantErr(t, err, tc.msg)
	}
}
