package jinja

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// A macro that calls itself without end fails at once, at the line of the
// call, instead of growing the stack until the process dies.
func TestEndlessMacroRecursionFails(t *testing.T) {
	for name, src := range map[string]string{
		"macro":     "a\n{% macro f(n) %}\n{{ f(n + 1) }}{% endmacro %}\n{{ f(0) }}",
		"mutual":    "a\n{% macro f() %}{{ g() }}{% endmacro %}\n{% macro g() %}{{ f() }}{% endmacro %}\n{{ f() }}",
		"loop call": "a\n{% for x in [1] recursive %}\n{{ loop([x]) }}{% endfor %}",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New().Render(nil, "t.j2", src, nil)
			var ne *NestingError
			if !errors.As(err, &ne) {
				t.Fatalf("want a NestingError, got %v", err)
			}
			var te *Error
			if !errors.As(err, &te) || te.Line != 3 {
				t.Fatalf("want the error at t.j2:3, got %v", err)
			}
			if !strings.Contains(err.Error(), "calls itself without end") || ne.Hint() == "" {
				t.Fatalf("message or hint missing: %v", err)
			}
		})
	}
}

// Recursion that ends renders as before, also deep (a nested tree).
func TestRecursionThatEndsRenders(t *testing.T) {
	src := "{% macro down(n) %}{% if n > 0 %}{{ n }},{{ down(n - 1) }}{% endif %}{% endmacro %}{{ down(200) }}"
	out, err := New().Render(nil, "t.j2", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "200,199,") || !strings.HasSuffix(out, ",1,") {
		t.Fatalf("got %.40q...", out)
	}
}

// The caller's check (CheckKey) is asked every checkEvery steps, with the
// steps so far, and its error stops the render at the loop's line; a loop
// over a huge range is not made into a list first.
func TestCheckStopsALoop(t *testing.T) {
	stop := errors.New("stopped by the check")
	var asked []uint64
	thread := &starlark.Thread{}
	thread.SetLocal(CheckKey, func(steps uint64) error {
		asked = append(asked, steps)
		if steps >= 5*checkEvery {
			return stop
		}
		return nil
	})
	src := "a\n{% for i in range(1000000000000) if i >= 0 %}{% endfor %}\n{% for i in range(10000000) %}\n{{ i }}{% endfor %}"
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := New().Render(thread, "t.j2", src, nil)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, stop) {
		t.Fatalf("want the check's error, got %v", err)
	}
	var te *Error
	if !errors.As(err, &te) || te.Line != 2 {
		t.Fatalf("want the error at t.j2:2, got %v", err)
	}
	if len(asked) != 5 || asked[0] != checkEvery || asked[4] != 5*checkEvery {
		t.Fatalf("check asked at %v, want every %d steps up to %d", asked, checkEvery, 5*checkEvery)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
		t.Fatalf("the loop allocated %d MB: the range was made into a list", n>>20)
	}

	// Without a filter, in the body and in macro calls too.
	asked = nil
	src = "{% macro m() %}x{% endmacro %}{% for i in range(10000000) %}{{ m() }}{% endfor %}"
	if _, err := New().Render(thread, "t.j2", src, nil); !errors.Is(err, stop) {
		t.Fatalf("want the check's error, got %v", err)
	}
	if len(asked) != 5 {
		t.Fatalf("check asked at %v", asked)
	}
}

// A loop over a range has the loop variables a loop over a list has.
func TestLoopOverRange(t *testing.T) {
	src := "{% for i in range(3) %}{{ loop.index }}/{{ loop.length }}:{{ i }}" +
		"{{ '' if loop.last else ',' ~ loop.nextitem ~ ';' }}{% endfor %}" +
		"|{% for i in range(10, 0, -3) if i is odd %}{{ '' if loop.first else loop.previtem }}>{{ i }} {% endfor %}" +
		"|{% for i in range(0) %}x{% else %}empty{% endfor %}"
	out, err := New().Render(nil, "t.j2", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "1/3:0,1;2/3:1,2;3/3:2|>7 7>1 |empty"; out != want {
		t.Fatalf("got  %q\nwant %q", out, want)
	}
}
