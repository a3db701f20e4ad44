package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// A component's diff is shown indented under its line; a diff of more
// than maxDiffLines lines shows its first and last 50, with a note.
func TestRenderDiff(t *testing.T) {
	var long strings.Builder
	for i := 1; i <= 250; i++ {
		fmt.Fprintf(&long, "+line %d\n", i)
	}
	var cut strings.Builder
	cut.WriteString("h: R > File('a')\n  (diff of 250 lines: showing the first and last 50)\n")
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&cut, "  +line %d\n", i)
	}
	cut.WriteString("  ...\n")
	for i := 201; i <= 250; i++ {
		fmt.Fprintf(&cut, "  +line %d\n", i)
	}
	for _, c := range []struct{ name, diff, want string }{
		{"none", "", "h: R > File('a')\n"},
		{"short", "--- a\n+++ a\n@@ -0,0 +1 @@\n+x\n", "h: R > File('a')\n  --- a\n  +++ a\n  @@ -0,0 +1 @@\n  +x\n"},
		{"no final newline, empty line", "-a\n\n+b", "h: R > File('a')\n  -a\n  \n  +b\n"},
		{"only newlines", "\n\n", "h: R > File('a')\n  \n"},
		{"long", long.String(), cut.String()},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			r := newRenderer(&out, false)
			r.Event(plan.Event{Type: plan.EventComponent, Host: "h", Path: "R > File('a')", Diff: c.diff})
			r.flush()
			if out.String() != c.want {
				t.Errorf("got\n%s\nwant\n%s", out.String(), c.want)
			}
		})
	}
}

// The lines of component events are written together, soon; any other
// event writes them first, in their order, and itself at once.
func TestRenderHoldsComponentLines(t *testing.T) {
	out := &lockedWriter{w: &bytes.Buffer{}}
	r := newRenderer(out, false)
	r.Event(plan.Event{Type: plan.EventComponent, Host: "h", Path: "R > File('a')", Diff: "+a\n"})
	r.Event(plan.Event{Type: plan.EventComponent, Host: "h", Path: "R > File('b')"})
	r.Event(plan.Event{Type: plan.EventLog, Host: "h", Message: "done"})
	if want := "h: R > File('a')\n  +a\nh: R > File('b')\nh: done\n"; written(out) != want {
		t.Errorf("got\n%s\nwant\n%s", written(out), want)
	}
	r.Event(plan.Event{Type: plan.EventComponent, Host: "h", Path: "R > File('c')"})
	for deadline := time.Now().Add(5 * time.Second); !strings.HasSuffix(written(out), "h: R > File('c')\n"); {
		if time.Now().After(deadline) {
			t.Fatalf("the last component line was not written: %q", written(out))
		}
		time.Sleep(time.Millisecond)
	}
}

// written returns what w has been given so far.
func written(w *lockedWriter) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.(*bytes.Buffer).String()
}

// The JSON output is what encoding/json writes for each event (HTML
// escaping off), one line each; a finish event carries the count of
// errors shown.
func TestRenderJSONAsEncodingJSON(t *testing.T) {
	events := []plan.Event{
		{Type: plan.EventComponent, Host: "h", Root: "r", Path: "R > File('<a&b>')", Action: "update", Diff: "+\"x\"\t\u2028\n", Message: "file missing"},
		{Type: plan.EventError, Host: "h", Message: "boom", Hint: "h", File: "c.star", Line: 3},
		{Type: plan.EventFinish, Title: "DEPLOYMENT FINISHED", Status: "ok", Seconds: 0.5, Counts: &plan.Counts{Hosts: 1, Roots: 2}, MaxRSS: 7},
	}
	var out, want bytes.Buffer
	r := newRenderer(&out, true)
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	for _, e := range events {
		r.Event(e)
		if e.Type == plan.EventFinish {
			e.Counts.Errors = 1
		}
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	r.flush()
	if out.String() != want.String() {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want.String())
	}
}
