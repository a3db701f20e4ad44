package remote

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/batou-go/batou/runtime/plan"
	"golang.org/x/sync/errgroup"
)

// Target is one host to deploy: how to reach it and its plan.
type Target struct {
	Host string
	// Transport reaches the host's agent (Local, SSH, Vagrant).
	Transport Transport
	Plan      *plan.Plan
	// Keep, when set, receives the plan's wire form as it is sent (for
	// the next deploy).
	Keep   *plan.Wire
	Ignore bool
	// Address is what ssh connects to (the host's fqdn).
	Address string
	// ServiceUser, when set, is the user the agent runs as (through
	// sudo -n -u when the login user differs or RequireSudo is set).
	ServiceUser string
	RequireSudo bool
	// Timeout bounds connecting (0: 30 seconds).
	Timeout time.Duration
}

// Options configure a deploy.
type Options struct {
	// Mode is "deploy" or "predict".
	Mode string
	// Jobs caps how many roots run at once across hosts (0: no cap).
	Jobs int
	// Agent is the command that starts an agent on this machine.
	Agent []string
	// BreakLock takes over a lock held by another deploy.
	BreakLock bool
	// Emit receives every event; it must be safe for concurrent use.
	Emit func(plan.Event)
	// Prestarted agents are used instead of starting new ones.
	Prestarted *Prestarted
	// SSHConfig is passed to ssh with -F when set (the project's
	// ssh_config).
	SSHConfig string
	// AgentBinary finds the agent to upload to a host of another
	// platform; nil means only this binary's platform is served.
	AgentBinary AgentBinary
	// Holder describes this deploy for the host locks.
	Holder *plan.Holder
}

// Deployment is a set of connected hosts.
type Deployment struct {
	opts    Options
	conns   map[string]*conn
	agents  *agentCache
	masters *masterPool
}

// connectLimit bounds how many hosts connect at once.
const connectLimit = 32

// NewDeployment returns a deployment that connects no host yet.
func NewDeployment(opts Options) *Deployment {
	d := &Deployment{opts: opts, conns: map[string]*conn{}, agents: &agentCache{}}
	if opts.Prestarted != nil && opts.Prestarted.agents != nil {
		d.agents = opts.Prestarted.agents // hashing since configure began
	}
	if opts.Prestarted != nil && opts.Prestarted.pool != nil {
		d.masters = opts.Prestarted.pool // logging in since configure began
		opts.Prestarted.adopted = true
	} else {
		d.masters = &masterPool{early: opts.Prestarted}
	}
	return d
}

// Connect starts an agent on every target that is not ignored and hands it
// its plan. Host events are emitted in target order. If any host fails,
// the others are closed again and the error names the failed hosts.
func (d *Deployment) Connect(ctx context.Context, targets []*Target) error {
	errs := make([]error, len(targets))
	conns := make([]*conn, len(targets))
	sharedLocalDirs(targets, errs)
	d.masters.mu.Lock()
	d.masters.share = remoteHosts(targets) > 1
	d.masters.mu.Unlock()
	var g errgroup.Group
	g.SetLimit(connectLimit)
	for i, t := range targets {
		if t.Ignore || errs[i] != nil {
			continue
		}
		g.Go(func() error {
			conns[i], errs[i] = d.connect(ctx, t)
			return nil
		})
	}
	_ = g.Wait()
	var failed []string
	for i, t := range targets {
		d.emitHost(t, errs[i])
		if errs[i] != nil {
			failed = append(failed, t.Host)
		} else if conns[i] != nil {
			d.conns[t.Host] = conns[i]
		}
	}
	d.opts.Prestarted.Close()
	if len(failed) > 0 {
		d.Close()
		return fmt.Errorf("could not connect %d of %d hosts: %v", len(failed), len(targets), failed)
	}
	return nil
}

// Abort kills the ssh masters of the deploy at once, for when batou must
// end without closing it (a second Ctrl-C); the agents on the hosts then
// see their controller gone. It is safe to call at any time, from any
// goroutine.
func (d *Deployment) Abort() { d.masters.abort() }

// remoteHosts counts the targets that are not ignored and not local.
func remoteHosts(targets []*Target) int {
	n := 0
	for _, t := range targets {
		if !t.Ignore && !isLocal(t) {
			n++
		}
	}
	return n
}

// sharedLocalDirs fails the local hosts that would deploy into the target
// directory of an earlier local host on this machine (the second would
// only find the first one's lock).
func sharedLocalDirs(targets []*Target, errs []error) {
	first := map[string]string{}
	for i, t := range targets {
		if t.Ignore || !isLocal(t) || t.Plan == nil {
			continue
		}
		dir := t.Plan.TargetDirectory
		if other, ok := first[dir]; ok {
			errs[i] = &hintedError{msg: fmt.Sprintf("hosts %s and %s would deploy into the same directory %s on this machine", other, t.Host, dir),
				hint: fmt.Sprintf("give each local host its own target_directory in [host:%s]", t.Host)}
			continue
		}
		first[dir] = t.Host
	}
}

func (d *Deployment) emitHost(t *Target, err error) {
	e := plan.Event{Type: plan.EventHost, Host: t.Host, Status: "connected"}
	if t.Transport != nil {
		e.Via = t.Transport.Name()
	}
	switch {
	case t.Ignore:
		e.Status = "ignored"
	case err != nil:
		e.Status, e.Message = "failed", err.Error()
		var h interface{ Hint() string }
		if errors.As(err, &h) {
			e.Hint = h.Hint()
		}
		d.opts.Emit(e)
		// The reason is an error of the host, too (the text output shows
		// only this one).
		d.opts.Emit(plan.Event{Type: plan.EventError, Host: t.Host, Message: "could not connect: " + e.Message, Hint: e.Hint})
		return
	}
	d.opts.Emit(e)
}

// withPlan sends req to an agent just started (unless starting it failed
// with err), and closes the agent when that fails.
func withPlan(c *conn, err error, req plan.Request) (*conn, error) {
	if err != nil {
		return nil, err
	}
	if err := c.send(req); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// connect starts the agent of t and waits until it holds the lock.
func (d *Deployment) connect(ctx context.Context, t *Target) (*conn, error) {
	if t.Transport == nil {
		return nil, fmt.Errorf("no transport for host %s", t.Host)
	}
	req := plan.Request{Type: "plan", Plan: t.Plan, Keep: t.Keep, BreakLock: d.opts.BreakLock, Holder: d.opts.Holder}
	w := newStepWatch(ctx, hostTimeout(t))
	c, err := t.Transport.start(ctx, w, d, t, req)
	if err != nil {
		return nil, w.done(err)
	}
	c.plan = t.Plan
	// The transport leaves the agent's start running as the last step.
	if err := w.done(d.awaitReady(c)); err != nil {
		c.close()
		return nil, err
	}
	c.unwatched()
	return c, nil
}

// hintedError is an error from the agent with a hint.
type hintedError struct{ msg, hint string }

func (e *hintedError) Error() string { return e.msg }
func (e *hintedError) Hint() string  { return e.hint }

// awaitReady forwards events until the agent is ready or gives up.
func (d *Deployment) awaitReady(c *conn) error {
	var last, hint string
	for {
		e, ok := c.next()
		if !ok {
			return fmt.Errorf("the agent ended before it was ready%s", c.stderrText())
		}
		switch e.Type {
		case plan.EventReady:
			return nil
		case plan.EventError:
			last, hint = e.Message, e.Hint
		case plan.EventBye:
			if last == "" {
				last = "the agent stopped"
			}
			return &hintedError{msg: last, hint: hint}
		default:
			d.opts.Emit(e)
		}
	}
}

// Close stops every agent (releasing its lock) and waits for it.
func (d *Deployment) Close() error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, c := range d.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.close()
			c.mu.Lock()
			sent, blobs := c.sent, c.blobs.sent
			c.mu.Unlock()
			d.opts.Emit(plan.Event{Type: plan.EventHostClosed, Host: c.host, Bytes: sent, BlobBytes: blobs, MaxRSS: c.agentRSS})
			if err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("%s: %w", c.host, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	d.conns = map[string]*conn{}
	d.masters.remove()
	return first
}
