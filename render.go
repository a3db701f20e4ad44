package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/batou-go/batou/runtime/plan"
	"golang.org/x/term"
)

// renderer shows events. The text and JSON renderers see the same events;
// sensitive values (secrets and what was computed from them) are masked
// here, for every channel.
//
// The output of an event is written at once, in one write, except that of
// a component event: it is held to be written together with the ones
// after it (plan.Held). Any other event writes what waits before it, so
// the order never changes. out's lock guards the renderer.
type renderer struct {
	out  *plan.Held
	json bool // JSON lines, not text
	tty  bool
	mask *plan.Masker
	// failed counts error events, so that a run can tell whether it failed.
	errors int
	// lost is called once, with the error, when a write to w fails (the
	// output is closed: nobody reads it any more).
	lost func(error)
	// gone is set when a write failed.
	gone bool
}

func newRenderer(w io.Writer, asJSON bool) *renderer {
	r := &renderer{json: asJSON}
	r.out = plan.NewHeld(w, r.check)
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r.tty = true
	}
	return r
}

// setMasker makes the renderer mask the values of m, as m grows.
func (r *renderer) setMasker(m *plan.Masker) {
	r.out.Lock()
	defer r.out.Unlock()
	r.mask = m
}

// Event shows one event.
func (r *renderer) Event(e plan.Event) {
	r.out.Lock()
	defer r.out.Unlock()
	e = r.mask.MaskEvent(e)
	if e.Type == plan.EventError {
		r.errors++
	}
	if e.Type == plan.EventFinish {
		if e.Counts == nil {
			e.Counts = &plan.Counts{}
		}
		e.Counts.Errors = r.errors
	}
	if r.json { // what encoding/json writes, with HTML escaping off
		r.out.Buf.Write(append(plan.AppendEvent(r.out.Buf.AvailableBuffer(), &e), '\n'))
	} else {
		r.text(e)
	}
	if e.Type == plan.EventComponent {
		r.out.Hold()
	} else {
		r.out.Send()
	}
}

// flush writes the output that waits.
func (r *renderer) flush() { r.out.Flush() }

// flushUnlessBusy writes the output that waits unless a write is under
// way (for a second Ctrl-C, which must not wait for a blocked output).
func (r *renderer) flushUnlessBusy() {
	if r.out.TryLock() {
		defer r.out.Unlock()
		r.out.Send()
	}
}

// check reports the first failed write to lost.
func (r *renderer) check(err error) {
	if r.gone {
		return
	}
	r.gone = true
	if r.lost != nil {
		r.lost(err)
	}
}

func (r *renderer) printf(format string, args ...any) { fmt.Fprintf(&r.out.Buf, format, args...) }

func (r *renderer) text(e plan.Event) {
	switch e.Type {
	case plan.EventSection:
		r.printf("=== %s ===\n", e.Title)
	case plan.EventLog:
		r.textLog(e)
	case plan.EventHost:
		r.textHost(e)
	case plan.EventUpload:
		r.printf("%s: %s\n", e.Host, e.Message)
	case plan.EventRootStart:
		r.printf("%s: Scheduling component %s ...\n", e.Host, e.Root)
	case plan.EventRootFinish:
		if e.Status == "skipped" {
			r.printf("%s: Skipping component %s ... (%s)\n", e.Host, e.Root, e.Message)
		}
	case plan.EventComponent: // written directly: a first deploy shows thousands
		r.out.Buf.WriteString(e.Host)
		r.out.Buf.WriteString(": ")
		r.out.Buf.WriteString(e.Path)
		r.out.Buf.WriteByte('\n')
		r.textDiff(e.Diff)
	case plan.EventBusy:
		r.printf("%s: %s: %s ...\n", e.Host, e.Path, e.Message)
	case plan.EventWarning:
		r.printf("WARNING: %s%s\n", where(e), e.Message)
		r.textHint(e.Hint)
	case plan.EventError:
		r.textError(e)
	case plan.EventFinish:
		r.textFinish(e)
	}
}

func (r *renderer) textLog(e plan.Event) {
	switch {
	case e.Host == "":
		r.printf("%s\n", e.Message)
	case e.Path == "":
		r.printf("%s: %s\n", e.Host, e.Message)
	default:
		r.printf("%s: %s: %s\n", e.Host, e.Path, e.Message)
	}
}

func (r *renderer) textHost(e plan.Event) {
	switch e.Status {
	case "ignored":
		r.printf("%s: Connection ignored\n", e.Host)
	case "failed": // the error event that follows says it
	default:
		r.printf("%s: Connected via %s\n", e.Host, e.Via)
	}
}

// where renders "file:line: host: path: " for an event, leaving out what
// is unknown.
func where(e plan.Event) string {
	var parts []string
	if e.File != "" {
		if e.Line > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", e.File, e.Line))
		} else {
			parts = append(parts, e.File)
		}
	}
	if e.Host != "" {
		parts = append(parts, e.Host)
	}
	if e.Path != "" && !strings.HasPrefix(e.Message, e.Path) {
		parts = append(parts, e.Path)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ": ") + ": "
}

func (r *renderer) textError(e plan.Event) {
	r.printf("ERROR: %s%s\n", where(e), indentRest(e.Message))
	if e.Detail != "" {
		r.printf("%s\n", indentAll(e.Detail))
	}
	r.textHint(e.Hint)
}

func (r *renderer) textHint(hint string) {
	if hint != "" {
		r.printf("  hint: %s\n", hint)
	}
}

func indentRest(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

func indentAll(s string) string {
	return "  " + indentRest(s)
}

// maxDiffLines is how many diff lines are shown before the middle is cut.
const maxDiffLines = 200

func (r *renderer) textDiff(diff string) {
	if diff == "" {
		return
	}
	diff = strings.TrimRight(diff, "\n")
	if n := strings.Count(diff, "\n") + 1; n > maxDiffLines {
		lines := strings.Split(diff, "\n")
		r.printf("  (diff of %d lines: showing the first and last 50)\n", n)
		diff = strings.Join(lines[:50], "\n") + "\n...\n" + strings.Join(lines[n-50:], "\n")
	}
	// Each line indented, written as it stands (a first deploy shows a
	// diff for every new file).
	for {
		line, rest, more := strings.Cut(diff, "\n")
		r.out.Buf.WriteString("  ")
		r.out.Buf.WriteString(line)
		r.out.Buf.WriteByte('\n')
		if !more {
			return
		}
		diff = rest
	}
}

func (r *renderer) textFinish(e plan.Event) {
	if e.Message != "" {
		r.printf("%s\n", e.Message)
	}
	if c := e.Counts; c != nil && c.Roots > 0 {
		r.printf("Roots: %d done, %d changed, %d failed, %d skipped, %d not started\n", c.Done, c.Changed, c.Failed, c.Skipped, c.NotStarted)
	}
	if e.Detail != "" {
		r.printf("%s\n", e.Detail)
	}
	r.printf("=== %s ===\n", e.Title)
}
