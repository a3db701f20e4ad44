package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// stepWatch bounds the steps of connecting one host once its ssh login is
// done (sessions that check for the agent, probe the host, upload the
// agent and start it; the agent taking its lock), or a local agent's
// start. ssh's keepalives do not end such a step: a host whose home hangs
// on NFS, or whose sudo waits in PAM, still answers them. A step ends
// when it has made no progress (bytes taken by the host) for the host's
// timeout, or at Ctrl-C (ctx): then its processes are ended (the end given
// for it), which makes whatever waits for them return, and the host fails
// with the watch's error (done). That error stays: a later step of the
// host is ended as it starts. A nil watch bounds nothing.
type stepWatch struct {
	ctx     context.Context
	timeout time.Duration

	mu       sync.Mutex
	dest     string // the ssh destination, "" for a local agent
	gen      int    // counts the steps, so a late timer ends no later one
	what     string // the step, for the error
	transfer bool   // the step is an upload
	end      func() // ends the step's processes; nil between steps
	timer    *time.Timer
	unwatch  func() bool
	err      error // why a step was ended
}

// newStepWatch watches the steps of one host, each with timeout.
func newStepWatch(ctx context.Context, timeout time.Duration) *stepWatch {
	return &stepWatch{ctx: ctx, timeout: timeout}
}

// over names the ssh destination the steps run on (their errors say it).
func (w *stepWatch) over(dest string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dest = dest
}

// step starts the step what (it ends the one before); end ends its
// processes.
func (w *stepWatch) step(what string, end func()) { w.start(what, false, end) }

// upload starts the step what, an upload, whose time counts from its
// last progress.
func (w *stepWatch) upload(what string, end func()) { w.start(what, true, end) }

func (w *stepWatch) start(what string, transfer bool, end func()) {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.stopLocked()
	if w.err != nil {
		w.mu.Unlock()
		if end != nil {
			end()
		}
		return
	}
	w.gen++
	gen := w.gen
	w.what, w.transfer, w.end = what, transfer, end
	w.timer = time.AfterFunc(w.timeout, func() { w.fire(gen, false) })
	w.unwatch = context.AfterFunc(w.ctx, func() { w.fire(gen, true) })
	w.mu.Unlock()
}

// progress tells that the host took more bytes: the step's time starts
// again.
func (w *stepWatch) progress() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.end != nil && w.err == nil {
		w.timer.Reset(w.timeout)
	}
}

// fire ends step gen (if it still runs) because it took too long or ctx
// ended.
func (w *stepWatch) fire(gen int, interrupted bool) {
	w.mu.Lock()
	if gen != w.gen || w.end == nil || w.err != nil {
		w.mu.Unlock()
		return
	}
	w.err = w.errorLocked(interrupted)
	end := w.end
	w.mu.Unlock()
	if end != nil {
		end()
	}
}

// stop ends the current step (its processes are done).
func (w *stepWatch) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopLocked()
}

// done ends the current step and returns the watch's error when a step
// was ended, else err.
func (w *stepWatch) done(err error) error {
	if w == nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopLocked()
	if w.err != nil {
		return w.err
	}
	return err
}

func (w *stepWatch) stopLocked() {
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if w.unwatch != nil {
		w.unwatch()
		w.unwatch = nil
	}
	w.end = nil
}

// errorLocked is the error of the current step, ended because it took
// too long or (interrupted) by Ctrl-C.
func (w *stepWatch) errorLocked(interrupted bool) error {
	if interrupted {
		detail := "interrupted while connecting (" + w.what + ")"
		if w.dest != "" {
			return finalError{&sshError{dest: w.dest, detail: detail}}
		}
		return errors.New(detail)
	}
	detail := fmt.Sprintf("did not start the agent: stuck for %s while %s", w.timeout, w.what)
	hint := "something on this machine blocks it: a hung mount (the target directory on NFS, say); if it is only slow, raise timeout in [environment]"
	switch {
	case w.transfer:
		detail = fmt.Sprintf("did not start the agent: no progress for %s while %s", w.timeout, w.what)
		hint = "the connection or the host's disk stalled; if the link is only slow, raise timeout in [environment]"
	case w.dest != "":
		hint = "something on the host blocks it: a hung mount (the home or the target directory on NFS, say), sudo waiting in PAM, or a login script; look on the host with ssh, or raise timeout in [environment] if it is only slow"
	}
	if w.dest != "" {
		return &sshError{dest: w.dest, detail: detail, hint: hint}
	}
	return &hintedError{msg: detail, hint: hint}
}

// killGroup ends the process group of a started command (batou starts
// agents and ssh sessions in groups of their own), unless the command has
// been waited for (then its group id may be another's).
func killGroup(p *os.Process) func() {
	return func() {
		if p.Signal(syscall.Signal(0)) == nil {
			_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
		}
	}
}

// progressReader is an upload's input: each read tells the watch that the
// host took the bytes read before. Having no WriteTo, it is copied in
// chunks.
type progressReader struct {
	r io.Reader
	w *stepWatch
}

func (p *progressReader) Read(b []byte) (int, error) {
	p.w.progress()
	return p.r.Read(b)
}

// progressWriter is an agent's input while it starts: it writes in
// chunks, telling the watch of each one the host took.
type progressWriter struct {
	io.WriteCloser
	w *stepWatch
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k, err := p.WriteCloser.Write(b[:min(len(b), 64<<10)])
		n += k
		if err != nil {
			return n, err
		}
		p.w.progress()
		b = b[k:]
	}
	return n, nil
}

// watchSession starts the step what for the agent session c: it ends c,
// and what c sends counts as progress (until c is ready: unwatched).
func (w *stepWatch) watchSession(c *conn, what string) {
	if w == nil {
		return
	}
	w.watchInput(c)
	w.step(what, c.abort)
}

// watchAgent is watchSession for an agent that may hold its lock already
// (it takes it before it says it is ready): the step is ended by ending
// the agent's input, so that such an agent stops and releases its lock in
// order, as at any Ctrl-C; one still running after agentEndGrace (stuck
// on a hung mount, say) is ended at once.
func (w *stepWatch) watchAgent(c *conn, what string) {
	if w == nil {
		return
	}
	// Taken now: ending the step must not wait for c.mu, which a send
	// to a stuck agent holds.
	stdin, abort := w.watchInput(c), c.abort
	w.step(what, func() {
		_ = stdin.Close()
		time.AfterFunc(agentEndGrace, abort)
	})
}

// watchInput makes what c sends count as progress, and returns c's input.
func (w *stepWatch) watchInput(c *conn) io.WriteCloser {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.stdin.(*progressWriter); !ok {
		c.stdin = &progressWriter{WriteCloser: c.stdin, w: w}
	}
	return c.stdin
}

// agentEndGrace is how long an agent whose start was ended (watchAgent)
// has to stop by itself.
const agentEndGrace = 2 * time.Second

// unwatched gives c its plain input back once it is ready.
func (c *conn) unwatched() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.stdin.(*progressWriter); ok {
		c.stdin = p.WriteCloser
	}
}

// readyStep is the step of an agent that has its plan on the way: it
// creates and locks its target directory, then says it is ready.
func readyStep(t *Target) string {
	if t.Plan == nil {
		return "waiting for the agent to be ready"
	}
	return "waiting for the agent to create and lock its target directory " + t.Plan.TargetDirectory
}
