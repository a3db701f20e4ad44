package runtime

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/batou-go/batou/starlib"
)

// ConfigureOptions let the caller stop configure and watch its progress.
type ConfigureOptions struct {
	// Context stops configure when it is done (Ctrl-C): the Starlark code
	// running is cancelled at once and no further root is configured.
	Context context.Context
	// Progress, when set, is told about a configure that takes long: after
	// ProgressAfter (default 2 s) and then every ProgressEvery (default
	// 10 s), with a message naming the root that runs.
	Progress      func(msg string)
	ProgressAfter time.Duration
	ProgressEvery time.Duration
}

// busyRoot is the root whose configure runs now.
type busyRoot struct {
	root  *Root
	since time.Time
	round int
}

// interruptReason is what code cancelled by Ctrl-C reports.
const interruptReason = "interrupted (Ctrl-C)"

// watchConfigure starts watching configure as o asks; the returned
// function ends the watch.
func (m *Model) watchConfigure(o ConfigureOptions) func() {
	if o.Context == nil && o.Progress == nil {
		return func() {}
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	after, every := o.ProgressAfter, o.ProgressEvery
	if after <= 0 {
		after = 2 * time.Second
	}
	if every <= 0 {
		every = 10 * time.Second
	}
	done := make(chan struct{})
	go func() {
		start := time.Now()
		next := after
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-o.Context.Done():
				m.Project.Session.Interrupt(interruptReason)
				return
			case <-tick.C:
				if took := time.Since(start); o.Progress != nil && took >= next {
					o.Progress(m.progressMessage(took))
					next = took + every
				}
			}
		}
	}()
	return func() { close(done) }
}

// progressMessage says how long configure has run and what runs now.
func (m *Model) progressMessage(took time.Duration) string {
	msg := fmt.Sprintf("configure still running after %s", took.Round(time.Second))
	if b := m.busy.Load(); b != nil {
		msg += fmt.Sprintf(": %s on %s", b.root.Def.Name(), b.root.Host.Name)
		if d := time.Since(b.since); d >= time.Second {
			msg += fmt.Sprintf(" for %s", d.Round(time.Second))
		}
		msg += fmt.Sprintf(" (round %d)", b.round)
	}
	return msg
}

// stopped reports whether configure was interrupted.
func (m *Model) stopped() bool {
	return m.Project.Session.Interrupted() != ""
}

// interruptedError is the one error of an interrupted configure: where it
// stopped, when a root was running.
func (m *Model) interruptedError() *Error {
	e := &Error{Msg: "configure " + interruptReason + ": nothing was deployed",
		Hint: "an endless loop in configure also ends by itself when it reaches the step limit (--max-steps)"}
	for _, r := range m.Roots {
		if r.err != nil && isCancelled(r.err) {
			e.Host, e.Component = r.Host.Name, r.Def.Name()
			if f, l := starlib.Where(r.err); f != "" {
				e.File, e.Line = f, l
				e.Msg = fmt.Sprintf("configure %s in %s: nothing was deployed", interruptReason, starlib.Function(r.err))
			}
			if at := interruptedAt(r.err); at != "" {
				e.Msg += " (it was at " + at + ")"
			}
			e.Detail = starlib.Backtrace(r.err)
			break
		}
	}
	return e
}

// interruptedAt says where, below the Starlark code, an interrupt
// stopped err's root: the template a component rendered and its line
// ("File('app.conf'): components/app/app.conf:3"), or "".
func interruptedAt(err error) string {
	msg := starlib.Message(err)
	i := strings.Index(msg, interruptReason)
	if i <= 0 {
		return ""
	}
	return strings.TrimSuffix(msg[:i], ": ")
}

// isCancelled reports whether err is Starlark code stopped by Interrupt.
func isCancelled(err error) bool {
	return strings.Contains(starlib.Message(err), interruptReason)
}
