package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/batou-go/batou/runtime/plan"
	"golang.org/x/term"
)

// renderer shows events. The text and JSON renderers see the same events;
// sensitive values (secrets and what was computed from them) are masked
// here, for every channel.
//
// The output of an event is written at once, in one write, except that of
// a component event: it waits up to holdDelay to be written together with
// the ones after it (a first deploy shows thousands, and a write for each
// cost more than showing them). Any other event writes what waits before
// it, so the order never changes.
type renderer struct {
	mu    sync.Mutex
	w     io.Writer
	buf   bytes.Buffer // the output not yet written
	timer *time.Timer  // pending write, while output waits
	json  bool         // JSON lines, not text
	tty   bool
	mask  *plan.Masker
	// failed counts error events, so that a run can tell whether it failed.
	errors int
	// lost is called once, with the error, when a write to w fails (the
	// output is closed: nobody reads it any more).
	lost func(error)
	// gone is set when a write failed.
	gone bool
}

func newRenderer(w io.Writer, asJSON bool) *renderer {
	r := &renderer{w: w, json: asJSON}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r.tty = true
	}
	return r
}

// setMasker makes the renderer mask the values of m, as m grows.
func (r *renderer) setMasker(m *plan.Masker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mask = m
}

// Event shows one event.
func (r *renderer) Event(e plan.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
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
		r.buf.Write(append(plan.AppendEvent(r.buf.AvailableBuffer(), &e), '\n'))
	} else {
		r.text(e)
	}
	switch {
	case e.Type != plan.EventComponent || r.buf.Len() >= holdMax:
		r.writeLocked()
	case r.timer == nil:
		r.timer = time.AfterFunc(holdDelay, r.flush)
	}
}

// holdDelay is how long the output of a component event may wait to be
// written with the ones after it; holdMax is how many bytes may wait.
const (
	holdDelay = 10 * time.Millisecond
	holdMax   = 64 << 10
)

// flush writes the output that waits.
func (r *renderer) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writeLocked()
}

// flushUnlessBusy writes the output that waits unless a write is under
// way (for a second Ctrl-C, which must not wait for a blocked output).
func (r *renderer) flushUnlessBusy() {
	if r.mu.TryLock() {
		defer r.mu.Unlock()
		r.writeLocked()
	}
}

func (r *renderer) writeLocked() {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if r.buf.Len() > 0 {
		_, err := r.w.Write(r.buf.Bytes())
		r.buf.Reset()
		r.check(err)
	}
}

// check reports the first failed write to lost.
func (r *renderer) check(err error) {
	if err == nil || r.gone {
		return
	}
	r.gone = true
	if r.lost != nil {
		r.lost(err)
	}
}

func (r *renderer) printf(format string, args ...any) { fmt.Fprintf(&r.buf, format, args...) }

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
		r.buf.WriteString(e.Host)
		r.buf.WriteString(": ")
		r.buf.WriteString(e.Path)
		r.buf.WriteByte('\n')
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
		r.buf.WriteString("  ")
		r.buf.WriteString(line)
		r.buf.WriteByte('\n')
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
