package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/batou-go/batou/runtime/plan"
)

// Options configure an agent run.
type Options struct {
	// Version is the tool version; plans of another version are refused.
	Version string
	// Renderer renders templates for self.expand on the host (may be nil).
	Renderer Renderer
}

// Run serves one deploy: it reads requests from in and writes events to
// out until it is told to stop or in ends. The returned error is also
// reported as an event.
func Run(in io.Reader, out io.Writer, opts Options) error {
	a := &agent{opts: opts, out: json.NewEncoder(out)}
	a.out.SetEscapeHTML(false)
	err := a.serve(bufio.NewReaderSize(in, 1<<20))
	if err != nil {
		e := plan.Event{Type: plan.EventError, Message: err.Error()}
		var he *HintError
		if errors.As(err, &he) {
			e.Message, e.Hint = he.Msg, he.HintText
		}
		a.emit(e)
	}
	a.release()
	a.emit(plan.Event{Type: plan.EventBye})
	return err
}

type agent struct {
	opts    Options
	mu      sync.Mutex
	out     *json.Encoder
	plan    *plan.Plan
	lock    *hostLock
	deploy  *deployer
	scrub   *strings.Replacer
	targets string
}

// emit writes one event, with secret values masked.
func (a *agent) emit(e plan.Event) {
	if a.scrub != nil {
		e = scrubEvent(a.scrub, e)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_ = a.out.Encode(e)
}

func (a *agent) serve(in *bufio.Reader) error {
	for {
		line, err := in.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("reading request: %w", err)
		}
		var req plan.Request
		if err := json.Unmarshal(line, &req); err != nil {
			return fmt.Errorf("malformed request: %w", err)
		}
		done, err := a.handle(&req)
		if err != nil || done {
			return err
		}
	}
}

func (a *agent) handle(req *plan.Request) (bool, error) {
	switch req.Type {
	case "plan":
		return false, a.start(req)
	case "run":
		if a.deploy == nil {
			return false, fmt.Errorf("run before plan")
		}
		a.deploy.runRoot(req.Root, req.Mode == "predict")
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
	if err := p.Check(a.opts.Version); err != nil {
		return err
	}
	a.plan = p
	a.scrub = newScrubber(p.Secrets)
	home, _ := os.UserHomeDir()
	target := expandHome(p.TargetDirectory, home)
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("creating target directory %s: %w", target, err)
	}
	lock, warning, err := acquireLock(target, req.BreakLock, req.Holder)
	if err != nil {
		return err
	}
	a.lock = lock
	if warning != "" {
		a.emit(plan.Event{Type: plan.EventWarning, Message: warning})
	}
	a.deploy = newDeployer(p, home, a.emit, a.opts.Renderer)
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
