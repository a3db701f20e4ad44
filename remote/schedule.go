package remote

import (
	"context"
	"fmt"
	"sync"

	"github.com/batou-go/batou/runtime/plan"
)

// Root states during a deploy.
const (
	statePending = iota
	stateRunning
	stateOK
	stateFailed
	stateSkipped
	stateNotStarted
)

// Summary says how a deploy went.
type Summary struct {
	Roots      []RootResult
	Done       int
	Changed    int
	Failed     int
	Skipped    int
	NotStarted int
}

// RootResult is the outcome of one root.
type RootResult struct {
	Host, Root string
	Status     string // ok | failed | skipped | not-started
	Changed    bool
}

type finished struct {
	index   int
	ok      bool
	changed bool
}

type scheduler struct {
	d       *Deployment
	sched   *plan.Schedule
	state   []int
	changed []bool
	busy    map[string]bool
	running int
	stop    bool
	results chan finished
	// interrupts are the interrupt requests under way, one goroutine a
	// host.
	interrupts sync.WaitGroup
}

// Deploy runs every root along the schedule: a root starts when the roots
// it depends on have finished; each host runs one root at a time; hosts
// run in parallel up to Jobs roots at once. When a root fails or ctx is
// cancelled, nothing new starts; running roots finish.
func (d *Deployment) Deploy(ctx context.Context, sched *plan.Schedule) *Summary {
	s := &scheduler{d: d, sched: sched, state: make([]int, len(sched.Roots)), changed: make([]bool, len(sched.Roots)),
		busy: map[string]bool{}, results: make(chan finished)}
	s.skipIgnored()
	done := ctx.Done()
	if ctx.Err() != nil { // Ctrl-C while the hosts connected: no root starts
		done = nil
		s.interrupt()
	}
	for {
		s.launchReady()
		if s.running == 0 {
			break
		}
		select {
		case r := <-s.results:
			s.finish(r)
		case <-done:
			done = nil // interrupt once
			s.interrupt()
		}
	}
	// Every host has its interrupt before anything later (Close's stop).
	s.interrupts.Wait()
	return s.summary()
}

// interrupt starts nothing new and asks every agent to stop after its
// current component. Each host is asked on its own: a host that takes no
// input (frozen in the middle of a blob, whose chunk's write holds its
// connection until ssh gives the host up) holds up no other, nor the
// scheduler.
func (s *scheduler) interrupt() {
	s.stop = true
	s.d.opts.Emit(plan.Event{Type: plan.EventWarning, Message: "interrupted: running components finish, nothing new starts (Ctrl-C again stops batou at once)"})
	for host, busy := range s.busy {
		if busy {
			c := s.d.conns[host]
			s.interrupts.Go(func() { _ = c.send(plan.Request{Type: "interrupt"}) })
		}
	}
}

func (s *scheduler) skipIgnored() {
	for i, r := range s.sched.Roots {
		if r.Ignored || r.HostIgnored || s.d.conns[r.Host] == nil {
			s.state[i] = stateSkipped
			s.d.opts.Emit(plan.Event{Type: plan.EventRootFinish, Host: r.Host, Root: r.Root, Status: "skipped", Changed: plan.Bool(false), Message: skipReason(r)})
		}
	}
}

func skipReason(r plan.ScheduledRoot) string {
	if r.HostIgnored {
		return "host ignored"
	}
	return "component ignored"
}

// ready reports whether every dependency of root i has finished.
func (s *scheduler) ready(i int) bool {
	for _, dep := range s.sched.Roots[i].After {
		if st := s.state[dep]; st != stateOK && st != stateSkipped {
			return false
		}
	}
	return true
}

func (s *scheduler) launchReady() {
	if s.stop {
		return
	}
	for i, r := range s.sched.Roots {
		if s.state[i] != statePending || s.busy[r.Host] || !s.ready(i) {
			continue
		}
		if s.d.opts.Jobs > 0 && s.running >= s.d.opts.Jobs {
			return
		}
		s.state[i], s.busy[r.Host] = stateRunning, true
		s.running++
		go s.run(i)
	}
}

func (s *scheduler) finish(r finished) {
	s.running--
	s.busy[s.sched.Roots[r.index].Host] = false
	s.changed[r.index] = r.changed
	if r.ok {
		s.state[r.index] = stateOK
		return
	}
	s.state[r.index] = stateFailed
	s.stop = true
}

// run deploys root i on its host and reports the result.
func (s *scheduler) run(i int) {
	r := s.sched.Roots[i]
	c := s.d.conns[r.Host]
	emit := s.d.opts.Emit
	emit(plan.Event{Type: plan.EventRootStart, Host: r.Host, Root: r.Root})
	res := finished{index: i}
	if err := c.send(plan.Request{Type: "run", Root: r.Root, Mode: s.d.opts.Mode}); err != nil {
		emit(plan.Event{Type: plan.EventError, Host: r.Host, Root: r.Root, Message: err.Error()})
		emit(plan.Event{Type: plan.EventRootFinish, Host: r.Host, Root: r.Root, Status: "failed", Changed: plan.Bool(false)})
		s.results <- res
		return
	}
	last := "before its first component"
	for {
		e, ok := c.next()
		if !ok {
			c.lost = true
			why, hint := c.lostText()
			emit(plan.Event{Type: plan.EventError, Host: r.Host, Root: r.Root, Hint: hint,
				Message: fmt.Sprintf("lost the connection to the agent while deploying %s (last: %s)%s", r.Root, last, why)})
			emit(plan.Event{Type: plan.EventRootFinish, Host: r.Host, Root: r.Root, Status: "failed", Changed: plan.Bool(false)})
			s.results <- res
			return
		}
		e.Host = r.Host
		switch e.Type {
		case plan.EventBlob:
			c.serveBlob(e)
			continue
		case plan.EventBlobCancel:
			c.cancelBlob(e.Transfer)
			continue
		case plan.EventComponent:
			last = e.Path
		case plan.EventBusy:
			last = e.Path + ": " + e.Message
		}
		emit(e)
		if e.Type == plan.EventRootFinish && e.Root == r.Root {
			res.ok = e.Status == "ok"
			res.changed = e.Changed != nil && *e.Changed
			s.results <- res
			return
		}
	}
}

func (s *scheduler) summary() *Summary {
	sum := &Summary{}
	for i, r := range s.sched.Roots {
		rr := RootResult{Host: r.Host, Root: r.Root, Changed: s.changed[i]}
		switch s.state[i] {
		case stateOK:
			rr.Status = "ok"
			sum.Done++
		case stateFailed:
			rr.Status = "failed"
			sum.Failed++
		case stateSkipped:
			rr.Status = "skipped"
			sum.Skipped++
		default:
			rr.Status = "not-started"
			sum.NotStarted++
			s.d.opts.Emit(plan.Event{Type: plan.EventRootFinish, Host: r.Host, Root: r.Root, Status: "not-started", Changed: plan.Bool(false)})
		}
		if rr.Changed {
			sum.Changed++
		}
		sum.Roots = append(sum.Roots, rr)
	}
	return sum
}
