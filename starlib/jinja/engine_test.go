package jinja

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

func render(t *testing.T, source string, vars map[string]starlark.Value) (string, error) {
	t.Helper()
	return New().Render(nil, "t.j2", source, vars)
}

func TestZeroEngineRenders(t *testing.T) {
	var e Engine
	out, err := e.Render(nil, "t", "{{ 1 + 1 }}", nil)
	if err != nil || out != "2" {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestParsesOncePerSource(t *testing.T) {
	e := New()
	src := "{% for x in xs %}{{ x }}{% endfor %}"
	for i := 0; i < 10; i++ {
		vars := map[string]starlark.Value{"xs": starlark.NewList([]starlark.Value{starlark.MakeInt(i)})}
		out, err := e.Render(nil, "t", src, vars)
		if err != nil || out != fmt.Sprint(i) {
			t.Fatalf("render %d: %q, %v", i, out, err)
		}
	}
	if n := len(e.cache); n != 1 {
		t.Fatalf("cache has %d entries, want 1", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	e := New()
	for i := 0; i < maxCached+10; i++ {
		if _, err := e.Render(nil, "t", fmt.Sprintf("x%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.cache); n > maxCached {
		t.Fatalf("cache has %d entries, more than %d", n, maxCached)
	}
}

func TestErrorCarriesTemplateAndLine(t *testing.T) {
	_, err := New().Render(nil, "components/x/component.star:12 (expand)", "a\nb {{ nope }}", nil)
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("want *Error, got %T %v", err, err)
	}
	want := "components/x/component.star:12 (expand):2: 'nope' is undefined"
	if te.Template != "components/x/component.star:12 (expand)" || te.Line != 2 || err.Error() != want {
		t.Fatalf("got %+v, %q", te, err)
	}
}

func TestSyntaxErrorIsCachedWithCurrentName(t *testing.T) {
	e := New()
	_, err1 := e.Render(nil, "one.j2", "{% if %}", nil)
	_, err2 := e.Render(nil, "two.j2", "{% if %}", nil)
	if !strings.HasPrefix(err1.Error(), "one.j2:1: ") || !strings.HasPrefix(err2.Error(), "two.j2:1: ") {
		t.Fatalf("got %v and %v", err1, err2)
	}
	if err := e.Check("three.j2", "{% for %}"); err == nil || !strings.HasPrefix(err.Error(), "three.j2:1: ") {
		t.Fatalf("Check: %v", err)
	}
}

// TestAttrIsLazy checks that only the attributes a template uses are
// read, and only when it uses them.
func TestAttrIsLazy(t *testing.T) {
	reads := 0
	a := &testAddr{host: "h", port: 1, reads: &reads}
	out, err := render(t, "{% if false %}{{ a.port }}{% endif %}{{ a.host }}", map[string]starlark.Value{"a": a})
	if err != nil || out != "h" {
		t.Fatalf("got %q, %v", out, err)
	}
	if reads != 1 {
		t.Fatalf("Attr called %d times, want 1", reads)
	}
}

func TestHasAttrsPrintsWithString(t *testing.T) {
	a := &testAddr{host: "db", port: 5432}
	out, err := render(t, "{{ a }} {{ [a] }} {{ a ~ '/x' }}", map[string]starlark.Value{"a": a})
	if err != nil || out != "db:5432 [db:5432] db:5432/x" {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestMissingAttrUsesValueMessage(t *testing.T) {
	vars := map[string]starlark.Value{"a": &testAddr{host: "h"}}
	_, err := render(t, "\n{{ a.nope }}", vars)
	want := "t.j2:2: Address has no attribute nope (it has host, port, url)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	out, err := render(t, "{{ a.nope is defined }}", vars)
	if err != nil || out != "False" {
		t.Fatalf("is defined: %q, %v", out, err)
	}
}

func TestAttrErrorPropagates(t *testing.T) {
	boom := errors.New("boom")
	v := &failingAttrs{err: boom}
	_, err := render(t, "x\n\n{{ v.anything }}", map[string]starlark.Value{"v": v})
	var te *Error
	if !errors.As(err, &te) || te.Line != 3 || !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}

// failingAttrs is a HasAttrs whose Attr fails (or panics).
type failingAttrs struct {
	err   error
	panic bool
}

func (f *failingAttrs) String() string        { return "failing" }
func (f *failingAttrs) Type() string          { return "failing" }
func (f *failingAttrs) Freeze()               {}
func (f *failingAttrs) Truth() starlark.Bool  { return true }
func (f *failingAttrs) Hash() (uint32, error) { return 0, nil }
func (f *failingAttrs) AttrNames() []string   { return nil }

func (f *failingAttrs) Attr(string) (starlark.Value, error) {
	if f.panic {
		panic("attr exploded")
	}
	return nil, f.err
}

func TestPanicBecomesError(t *testing.T) {
	out, err := render(t, "a\n{{ v.x }}", map[string]starlark.Value{"v": &failingAttrs{panic: true}})
	var te *Error
	if !errors.As(err, &te) || te.Line != 2 || out != "" || !strings.Contains(err.Error(), "attr exploded") {
		t.Fatalf("got %q, %v", out, err)
	}
}

// starlarkModule executes Starlark source and returns its globals.
func starlarkModule(t *testing.T, thread *starlark.Thread, src string) starlark.StringDict {
	t.Helper()
	globals, err := starlark.ExecFile(thread, "lib.star", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return globals
}

func TestCallsRunOnTheCallersThread(t *testing.T) {
	thread := &starlark.Thread{Name: "caller"}
	thread.SetLocal("who", "the deploy")
	who := starlark.NewBuiltin("who", func(th *starlark.Thread, _ *starlark.Builtin, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
		return starlark.String(fmt.Sprint(th.Local("who"))), nil
	})
	c, err := starlarkstruct.Make(nil, nil, nil, []starlark.Tuple{{starlark.String("who"), who}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := New().Render(thread, "t", "{{ c.who() }}", map[string]starlark.Value{"c": c})
	if err != nil || out != "the deploy" {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestStarlarkFunctionsAndErrors(t *testing.T) {
	thread := &starlark.Thread{Name: "t"}
	lib := starlarkModule(t, thread, `
def fmt(job):
    return "%s at %s" % (job["name"], job["time"])

def fail_():
    fail("broken on purpose")
`)
	vars := map[string]starlark.Value{"fmt": lib["fmt"], "fail_": lib["fail_"]}
	out, err := New().Render(thread, "t", "{{ fmt({'name': 'backup', 'time': '3:00'}) }}", vars)
	if err != nil || out != "backup at 3:00" {
		t.Fatalf("got %q, %v", out, err)
	}
	_, err = New().Render(thread, "t", "\n{{ fail_() }}", vars)
	var te *Error
	var ee *starlark.EvalError
	if !errors.As(err, &te) || te.Line != 2 || !errors.As(err, &ee) || !strings.Contains(err.Error(), "broken on purpose") {
		t.Fatalf("got %v", err)
	}
}

func TestStepLimitOfCallerApplies(t *testing.T) {
	thread := &starlark.Thread{Name: "t"}
	lib := starlarkModule(t, thread, "def spin():\n    for i in range(100000000):\n        pass\n")
	thread.SetMaxExecutionSteps(1000)
	_, err := New().Render(thread, "t", "{{ spin() }}", map[string]starlark.Value{"spin": lib["spin"]})
	if err == nil || !strings.Contains(err.Error(), "too many steps") {
		t.Fatalf("want the step limit to stop the call, got %v", err)
	}
}

func TestUndefinedNeverReachesStarlark(t *testing.T) {
	f := starlark.NewBuiltin("f", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.None, nil
	})
	_, err := render(t, "{{ f(x=missing) }}", map[string]starlark.Value{"f": f})
	if err == nil || !strings.Contains(err.Error(), "'missing' is undefined") {
		t.Fatalf("got %v", err)
	}
}

func TestConcurrentRenders(t *testing.T) {
	e := New()
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				src := fmt.Sprintf("{%% for x in xs %%}{{ x }}-{%% endfor %%}%d", i%5)
				vars := map[string]starlark.Value{"xs": starlark.Tuple{starlark.MakeInt(g), starlark.String("ü")}}
				out, err := e.Render(nil, "t", src, vars)
				if want := fmt.Sprintf("%d-ü-%d", g, i%5); err != nil || out != want {
					t.Errorf("got %q, %v; want %q", out, err, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// TestNothingIsLogged renders every kind of case with logrus at trace
// level: gonja's lexer must not write anything.
func TestNothingIsLogged(t *testing.T) {
	var buf bytes.Buffer
	std := logrus.StandardLogger()
	out, level := std.Out, std.GetLevel()
	std.SetOutput(&buf)
	std.SetLevel(logrus.TraceLevel)
	defer func() { std.SetOutput(out); std.SetLevel(level) }()
	for _, src := range []string{"{{ x }}", "@@ for a in b\n{{ a }}\n@@ endfor\n", "{% raw %}{{{% endraw %}", "{{ 'abc", "{# x"} {
		_, _ = render(t, src, map[string]starlark.Value{"x": starlark.None, "b": starlark.Tuple{}})
	}
	if buf.Len() > 0 {
		t.Fatalf("logged: %s", buf.String())
	}
}

func TestTruthiness(t *testing.T) {
	vars := map[string]starlark.Value{
		"empty_list": starlark.NewList(nil), "empty_dict": starlark.NewDict(0), "zero": starlark.MakeInt(0),
		"none": starlark.None, "empty": starlark.String(""), "obj": &testAddr{},
	}
	src := "{% for n in ['empty_list', 'empty_dict', 'zero', 'none', 'empty'] %}{% if vars_[n] %}T{% else %}F{% endif %}{% endfor %}" +
		"{% if obj %}T{% endif %}"
	d := starlark.NewDict(len(vars))
	for k, v := range vars {
		_ = d.SetKey(starlark.String(k), v)
	}
	vars["vars_"] = d
	out, err := render(t, src, vars)
	if err != nil || out != "FFFFFT" {
		t.Fatalf("got %q, %v", out, err)
	}
}

// Each iteration of a loop has variables of its own, also now that a
// loop empties one scope for the next iteration; a macro defined in an
// iteration keeps the variables of that iteration.
func TestLoopIterationsKeepTheirOwnVariables(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"{% for x in [1, 2, 3] %}{% if loop.first %}{% set y = 5 %}{% endif %}{{ y is defined }}|{% endfor %}", "True|False|False|"},
		{"{% set ns = namespace(m=none) %}{% for x in [1, 2] %}{% macro m() %}{{ x }}{% endmacro %}" +
			"{% if loop.first %}{% set ns.m = m %}{% endif %}{% endfor %}{{ ns.m() }}", "1"},
		{"{% set ns = namespace(m=none) %}{% for x in [1, 2] %}{% for z in [x] %}{% macro m() %}{{ x }}{{ z }}{% endmacro %}" +
			"{% if x == 1 %}{% set ns.m = m %}{% endif %}{% endfor %}{% endfor %}{{ ns.m() }}", "11"},
		{"{% for x in (7, 8) if x > 7 %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}", "81"},
		{"{% for x in [] %}{{ x }}{% else %}none{% endfor %}", "none"},
		{"{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }},{% endfor %}", "3,7,"},
	} {
		out, err := render(t, c.src, nil)
		if err != nil || out != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.src, out, err, c.want)
		}
	}
}

// A text with nothing to evaluate is its own output without being parsed
// (a 70 MB static file took seconds to lex); what it gives must be what
// the parse gives: the same text with newlines normalized.
func TestPlainTextRendersAsParsed(t *testing.T) {
	for _, src := range []string{
		"", "a\n", "no trailing newline", "windows\r\nlines\r\n", "old mac\rline", "\n\n\n",
		`back\slash \\ and \n`, "} alone }}", "# comment? %} 50% @ not a prefix", "  \t indented\n",
		"quotes ' \" `", "unicode é ü 中文\n",
	} {
		got, err := render(t, src, nil)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		// The same text with an expression that adds nothing goes through the parser.
		parsed, err := render(t, src+"{{ '' }}", nil)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if got != parsed {
			t.Errorf("%q: plain %q, parsed %q", src, got, parsed)
		}
	}
	// A line statement is not plain text.
	got, err := render(t, "@@ for i in [1, 2]\nx{{ i }}\n@@ endfor\n", nil)
	if err != nil || got != "x1\nx2\n" {
		t.Errorf("line statement: %q, %v", got, err)
	}
}
