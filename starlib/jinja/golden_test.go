package jinja

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// TestGolden renders every case of testdata/golden with our engine and
// compares with what Jinja2 produced (see gen.py there).
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/golden/*.j2")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	e := New()
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".j2")
		t.Run(name, func(t *testing.T) { runGolden(t, e, strings.TrimSuffix(path, ".j2")) })
	}
}

// TestGoldenFilesBelongToCases catches outputs left behind by a case
// that was removed or renamed.
func TestGoldenFilesBelongToCases(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*")
	for _, f := range files {
		ext := filepath.Ext(f)
		if ext == ".j2" || ext == ".py" {
			continue
		}
		if _, err := os.Stat(strings.TrimSuffix(f, ext) + ".j2"); err != nil {
			t.Errorf("%s has no template %s.j2", f, strings.TrimSuffix(filepath.Base(f), ext))
		}
	}
}

// runGolden checks one case; a case with a .known file must still differ.
func runGolden(t *testing.T, e *Engine, base string) {
	source := readFile(t, base+".j2")
	vars := goldenContext(t, base+".ctx")
	out, err := e.Render(nil, filepath.Base(base)+".j2", source, vars)
	problem := compareGolden(t, base, out, err)
	known, isKnown := readOptional(base + ".known")
	switch {
	case isKnown && problem == "":
		t.Errorf("known difference is fixed; remove %s.known (%s)", base, strings.TrimSpace(known))
	case isKnown:
		t.Logf("known difference (%s): %s", strings.TrimSpace(known), problem)
	case problem != "":
		t.Error(problem)
	}
}

// compareGolden returns what differs from the golden result, or "".
func compareGolden(t *testing.T, base, out string, err error) string {
	if want, ok := readOptional(base + ".out"); ok {
		if err != nil {
			return fmt.Sprintf("want output, got error %v", err)
		}
		if out != want {
			return fmt.Sprintf("output differs\n--- got\n%q\n--- want (Jinja2)\n%q", out, want)
		}
		return ""
	}
	golden := readFile(t, base+".err")
	kind, line := parseErrHeader(t, golden)
	var te *Error
	if !errors.As(err, &te) {
		return fmt.Sprintf("want %s on line %d, got output %q (err %v)", kind, line, out, err)
	}
	if te.Line != line {
		return fmt.Sprintf("want %s on line %d, got line %d: %v", kind, line, te.Line, err)
	}
	var se syntaxError
	if isSyntax := strings.HasPrefix(kind, "Template"); isSyntax != errors.As(err, &se) {
		return fmt.Sprintf("want %s, got %v (syntax error: %v)", kind, err, !isSyntax)
	}
	t.Logf("%s\n  jinja2: %s", err, strings.TrimSpace(golden))
	return ""
}

func parseErrHeader(t *testing.T, golden string) (string, int) {
	header, _, _ := strings.Cut(golden, "\n")
	kind, lineText, _ := strings.Cut(header, " ")
	line, err := strconv.Atoi(lineText)
	if err != nil {
		t.Fatalf("bad .err header %q", header)
	}
	return kind, line
}

func readFile(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func readOptional(path string) (string, bool) {
	data, err := os.ReadFile(path)
	return string(data), err == nil
}

// goldenContext evaluates a .ctx file with Starlark: a dict literal with
// struct() and addr() available.
func goldenContext(t *testing.T, path string) map[string]starlark.Value {
	src, ok := readOptional(path)
	if !ok {
		return nil
	}
	env := starlark.StringDict{
		"struct": starlark.NewBuiltin("struct", starlarkstruct.Make),
		"addr":   starlark.NewBuiltin("addr", newTestAddr),
	}
	v, err := starlark.EvalOptions(&syntax.FileOptions{}, &starlark.Thread{}, path, src, env)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	d, ok := v.(*starlark.Dict)
	if !ok {
		t.Fatalf("%s: want a dict, got %s", path, v.Type())
	}
	vars := map[string]starlark.Value{}
	for _, kv := range d.Items() {
		vars[string(kv[0].(starlark.String))] = kv[1]
	}
	return vars
}

// testAddr mimics the project's Address: attributes host and port, a url
// method, and host:port as its string.
type testAddr struct {
	host  string
	port  int
	reads *int // counts Attr calls when not nil
}

func newTestAddr(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	a := &testAddr{}
	return a, starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 2, &a.host, &a.port)
}

func (a *testAddr) String() string        { return fmt.Sprintf("%s:%d", a.host, a.port) }
func (a *testAddr) Type() string          { return "Address" }
func (a *testAddr) Freeze()               {}
func (a *testAddr) Truth() starlark.Bool  { return true }
func (a *testAddr) Hash() (uint32, error) { return 0, errors.New("unhashable") }
func (a *testAddr) AttrNames() []string   { return []string{"host", "port", "url"} }

func (a *testAddr) Attr(name string) (starlark.Value, error) {
	if a.reads != nil {
		*a.reads++
	}
	switch name {
	case "host":
		return starlark.String(a.host), nil
	case "port":
		return starlark.MakeInt(a.port), nil
	case "url":
		return starlark.NewBuiltin("url", a.url).BindReceiver(a), nil
	}
	return nil, starlark.NoSuchAttrError(fmt.Sprintf("Address has no attribute %s (it has host, port, url)", name))
}

func (a *testAddr) url(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	path := "/"
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path?", &path); err != nil {
		return nil, err
	}
	return starlark.String(fmt.Sprintf("http://%s:%d%s", a.host, a.port, path)), nil
}
