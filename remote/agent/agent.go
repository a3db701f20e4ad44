package agent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
)

// Options configure an agent run.
type Options struct {
	// Version is the tool version; plans of another version are refused.
	Version string
	// Renderer renders templates for self.expand on the host (may be nil).
	Renderer Renderer
	// Exit ends the process when the controller went away and the deploy
	// cannot be stopped otherwise; nil means os.Exit.
	Exit func(code int)
}

// Run serves one deploy: it reads requests from in and writes events to
// out until it is told to stop or in ends. The returned error is also
// reported as an event.
//
// Requests are read while a root deploys: an "interrupt" request, or the
// end of the input (the controller went away), stops the deploy before its
// next component; the component that runs is finished first.
func Run(in io.Reader, out io.Writer, opts Options) error {
	a := &agent{opts: opts, out: newEventOut(out), requests: make(chan request, 16), finished: make(chan struct{})}
	a.blobs = newBlobs(a.emit)
	a.ctx, a.cancel = context.WithCancel(context.Background())
	defer a.cancel()
	go a.read(bufio.NewReaderSize(in, 1<<20))
	err := a.serve()
	close(a.finished)
	if err != nil {
		e := plan.Event{Type: plan.EventError, Message: err.Error()}
		var he *HintError
		if errors.As(err, &he) {
			e.Message, e.Hint = he.Msg, he.HintText
		}
		a.emit(e)
	}
	a.release()
	a.emit(plan.Event{Type: plan.EventBye, MaxRSS: maxRSS()})
	return err
}

// request is one line read from the controller, or the error that ended
// the input.
type request struct {
	req plan.Request
	err error
}

type agent struct {
	opts     Options
	requests chan request
	// interrupted is set when the controller asked to stop or went away.
	interrupted atomic.Bool
	// ctx ends the commands components run; it is cancelled when the
	// controller has gone away and the running component does not end.
	ctx    context.Context
	cancel context.CancelFunc
	// finished is closed when the deploy has ended (serve returned).
	finished chan struct{}
	// deploying is the deployer once the plan is accepted.
	deploying atomic.Pointer[deployer]
	out       *eventOut
	plan      *plan.Plan
	lock      *hostLock
	deploy    *deployer
	mask      *plan.Masker
	targets   string
	// blobs receives the file content the deploy asks the controller for.
	blobs *blobs
}

// emit writes one event, with secret values masked, and texts of
// megabytes cut (plan.CapEvent) once masked.
func (a *agent) emit(e plan.Event) {
	a.out.write(plan.CapEvent(a.mask.MaskEvent(e)))
}

// read passes requests on; interrupts take effect at once.
func (a *agent) read(in *bufio.Reader) {
	defer close(a.requests)
	for {
		line, err := readLine(in)
		if len(line) == 0 && err != nil {
			a.inputEnded()
			if err != io.EOF {
				a.requests <- request{err: fmt.Errorf("reading request: %w", err)}
			}
			return
		}
		var r request
		if r.req, err = plan.DecodeRequest(line); err != nil {
			r.err = fmt.Errorf("malformed request: %w", err)
		}
		if r.err == nil && r.req.Following() > 0 {
			if cut, err := readChildren(in, &r.req); err != nil {
				if cut {
					a.inputEnded()
					a.requests <- request{err: err}
					return
				}
				r.err = fmt.Errorf("malformed request: %w", err)
			}
		}
		if r.req.Type == "blob" && r.err == nil {
			if err := a.blobs.receive(r.req.Blob, in); err != nil {
				a.inputEnded() // cut off inside a chunk: nothing more can be read
				a.requests <- request{err: err}
				return
			}
			continue
		}
		if r.req.Type == "interrupt" {
			a.interrupted.Store(true)
			a.acknowledge()
			continue
		}
		a.requests <- r
	}
}

// readChildren reads the lines after the plan request req that carry the
// children of its largest nodes, parsing each (on a goroutine of its own)
// while the next is still on its way, and completes the plan. cut is set
// when the input ended before all of them came.
func readChildren(in *bufio.Reader, req *plan.Request) (cut bool, err error) {
	n := req.Following()
	parts := make([]*plan.Children, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		line, rerr := readLine(in)
		if rerr != nil && (len(line) == 0 || line[len(line)-1] != '\n') {
			wg.Wait()
			if rerr == io.EOF {
				rerr = io.ErrUnexpectedEOF
			}
			return true, fmt.Errorf("reading the plan (line %d of %d after it): %w", i+1, n, rerr)
		}
		line = bytes.Clone(line) // readLine's buffer is reused by the next read; ParseChildren keeps this copy
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i], errs[i] = req.ParseChildren(line)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	return false, req.AddChildren(parts)
}

// inputEnded stops the deploy after the controller went away: transfers
// fail, nothing new starts, and a component that keeps running is ended.
func (a *agent) inputEnded() {
	a.blobs.end(errControllerGone)
	a.interrupted.Store(true)
	go a.orphaned()
}

// acknowledge tells the controller that an interrupt arrived while a
// component runs: that component finishes, nothing after it starts.
func (a *agent) acknowledge() {
	d := a.deploying.Load()
	if d == nil {
		return
	}
	if c := d.busy.comp.Load(); c != nil {
		a.emit(plan.Event{Type: plan.EventLog, Path: c.Path(), Message: "interrupted: this finishes, nothing after it starts"})
	}
}

func (a *agent) serve() error {
	for r := range a.requests {
		if r.err != nil {
			return r.err
		}
		done, err := a.handle(&r.req)
		if err != nil || done {
			return err
		}
	}
	return nil
}

func (a *agent) handle(req *plan.Request) (bool, error) {
	switch req.Type {
	case "plan":
		return false, a.start(req)
	case "run":
		if a.deploy == nil {
			return false, fmt.Errorf("run before plan")
		}
		a.deploy.runRoot(req.Root, req.Mode == "predict", &a.interrupted)
		return false, nil
	case "stop":
		return true, nil
	}
	return false, fmt.Errorf("unknown request %q", req.Type)
}

// start checks the plan, takes the lock and prepares the deploy.
func (a *agent) start(req *plan.Request) error {
	p := req.Plan
	if p == nil {
		return fmt.Errorf("plan request without a plan")
	}
	if n := req.Following(); n > 0 {
		return fmt.Errorf("plan request without %d lines of its children", n)
	}
	if err := p.Check(a.opts.Version); err != nil {
		return err
	}
	a.plan = p
	a.mask = plan.NewMasker(p.Secrets...)
	home, _ := os.UserHomeDir()
	target := expandHome(p.TargetDirectory, home)
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("creating target directory %s: %w", target, err)
	}
	lock, warnings, err := acquireLock(target, req.BreakLock, req.Holder)
	if err != nil {
		return err
	}
	a.lock = lock
	for _, w := range warnings {
		a.emit(plan.Event{Type: plan.EventWarning, Message: w})
	}
	a.deploy = newDeployer(p, home, a.emit, a.opts.Renderer)
	a.deploy.session.Sensitive = a.mask // one masker for events and Starlark
	a.deploy.session.Context = a.ctx
	a.deploy.session.Atomic = components.Atomic{Record: lock.record}
	a.deploy.blobs = a.blobs
	a.deploying.Store(a.deploy)
	a.emit(plan.Event{Type: plan.EventReady})
	return nil
}

func (a *agent) release() {
	if a.lock != nil {
		a.lock.release()
		a.lock = nil
	}
}

// HintError is an error with a hint on what to do.
type HintError struct {
	Msg, HintText string
}

func (e *HintError) Error() string { return e.Msg + "; hint: " + e.HintText }

// Hint says what to do.
func (e *HintError) Hint() string { return e.HintText }

func expandHome(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return home + p[1:]
	}
	return p
}
