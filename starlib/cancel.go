package starlib

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.starlark.net/starlark"
)

// Interrupt stops the project code running in the session's threads now,
// and any started later, with reason as its error (Ctrl-C in configure).
// A thread running Starlark stops at its next check (within stepChunk
// steps), where it reports the line it was at; one held up longer in a
// built-in function is cancelled after interruptGrace.
func (s *Session) Interrupt(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.interrupted != "" {
		return
	}
	s.interrupted = reason
	threads := make([]*starlark.Thread, 0, len(s.live))
	for t := range s.live {
		threads = append(threads, t)
	}
	go func() {
		time.Sleep(interruptGrace)
		for _, t := range threads {
			t.Cancel(reason)
		}
	}()
}

// Interrupted returns the reason given to Interrupt, or "".
func (s *Session) Interrupted() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.interrupted
}

const (
	// stepChunk is how many steps a watched thread runs between checks
	// for Interrupt and its step limit.
	stepChunk = 1 << 16
	// interruptGrace is how long Interrupt waits for a thread to stop at
	// a check before cancelling it wherever it is.
	interruptGrace = 300 * time.Millisecond
	// maxOverrun is how many steps a thread that must stop may still run
	// to stop on a line of its loop (not on the jump back, which has no
	// line of its own and reports the function's def line).
	maxOverrun = 64
)

// watch makes t check, every stepChunk steps, whether the session was
// interrupted or t is over its step limit, and registers it so that
// Interrupt reaches it. The caller calls Done.
func (s *Session) watch(t *starlark.Thread) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		s.live = map[*starlark.Thread]bool{}
	}
	s.live[t] = true
	t.OnMaxSteps = s.check
	t.SetLocal(templateCheckKey, s.templateCheck)
	t.SetMaxExecutionSteps(s.nextCheck(0))
	if s.interrupted != "" {
		t.Cancel(s.interrupted)
	}
}

// nextCheck is the step count of t's next check.
func (s *Session) nextCheck(steps uint64) uint64 {
	next := steps + stepChunk
	if s.MaxSteps > 0 && s.MaxSteps < next {
		next = max(s.MaxSteps, steps+1)
	}
	return next
}

// stopAt remembers, per thread, the step at which it was told to stop.
const stopAtKey = "batou.stopAt"

// check runs when t reaches its next check: it goes on, or stops t.
func (s *Session) check(t *starlark.Thread) {
	steps := t.ExecutionSteps()
	reason := s.Interrupted()
	if reason == "" && (s.MaxSteps == 0 || steps < s.MaxSteps) {
		t.SetMaxExecutionSteps(s.nextCheck(steps))
		return
	}
	if reason == "" {
		reason = "too many steps"
	}
	stopAt, _ := t.Local(stopAtKey).(uint64)
	if stopAt == 0 {
		stopAt = steps
		t.SetLocal(stopAtKey, steps)
	}
	if steps-stopAt < maxOverrun && atDefLine(t) {
		t.SetMaxExecutionSteps(steps + 1)
		return
	}
	t.Cancel(reason)
}

// atDefLine reports whether the innermost frame of t reports its
// function's def line (what a jump without a line of its own reports).
func atDefLine(t *starlark.Thread) bool {
	fr := t.DebugFrame(0)
	fn, ok := fr.Callable().(*starlark.Function)
	return ok && fr.Position() == fn.Position()
}

// Done tells the session that thread t has finished its work.
func (s *Session) Done(t *starlark.Thread) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, t)
}

// StepsError describes code that ran out of its Starlark step budget (an
// endless loop, most likely) at its file:line, with what to do. err is the
// error the thread ended with; it returns nil when err is not that.
func StepsError(t *starlark.Thread, err error, max uint64) error {
	if err == nil || max == 0 || t.ExecutionSteps() < max {
		return nil
	}
	var ee *starlark.EvalError
	if !errors.As(err, &ee) || !strings.Contains(ee.Msg, "too many steps") {
		return nil
	}
	what := "this code"
	switch PhaseOf(t) {
	case PhaseLoad:
		what = "the top level of this file"
	case PhaseConfigure:
		what = "configure"
	}
	return &StepLimitError{Err: ee, Max: max, What: what}
}

// StepLimitError is code that did not finish within its step budget.
type StepLimitError struct {
	Err  *starlark.EvalError
	Max  uint64
	What string // the code that ran: "configure"
}

func (e *StepLimitError) Error() string {
	return fmt.Sprintf("%s did not finish within %d Starlark steps: is this an endless loop?", e.What, e.Max)
}

// Unwrap returns the Starlark error, for its call stack.
func (e *StepLimitError) Unwrap() error { return e.Err }

// Hint says what to do.
func (e *StepLimitError) Hint() string {
	return fmt.Sprintf("look at the loop here; if the work is real, raise the limit with --max-steps N or BATOU_MAX_STEPS=N (now %d)", e.Max)
}

// templateCheckKey is jinja.CheckKey, which this package does not import:
// the template engine calls the func(uint64) error under it every few
// thousand loop iterations and macro calls of a render.
const templateCheckKey = "batou.templateCheck"

// templateCheck stops a template that a watched thread renders once the
// session is interrupted (Ctrl-C) or the render has taken more steps
// than the step limit: a template loop runs no Starlark, so neither would
// reach it otherwise.
func (s *Session) templateCheck(steps uint64) error {
	if reason := s.Interrupted(); reason != "" {
		return errors.New(reason)
	}
	if s.MaxSteps > 0 && steps >= s.MaxSteps {
		return &TemplateStepsError{Max: s.MaxSteps}
	}
	return nil
}

// unwatchedTemplateCheck is templateCheck for a thread that Interrupt
// does not reach (compiling the plans, where an expand=True default is
// rendered when first read; the REPL; verify and update on the host): it
// also stops a template once t itself is cancelled (Ctrl-C in the REPL,
// an agent whose controller went away), which nothing else would tell the
// template engine.
func (s *Session) unwatchedTemplateCheck(t *starlark.Thread) func(uint64) error {
	return func(steps uint64) error {
		if err := s.templateCheck(steps); err != nil {
			return err
		}
		return cancelled(t)
	}
}

// probe is a Starlark function that does nothing.
var probe = sync.OnceValue(func() starlark.Value {
	g, err := starlark.ExecFileOptions(FileOptions, &starlark.Thread{}, "probe", "def probe():\n    pass\n", nil)
	if err != nil {
		panic(err)
	}
	g.Freeze()
	return g["probe"]
})

// cancelled returns the reason t was cancelled with (starlark.Thread.Cancel)
// as an error, or nil. The thread keeps the reason to itself; a call of a
// Starlark function on it fails with it at once.
func cancelled(t *starlark.Thread) error {
	if _, err := starlark.Call(t, probe(), nil, nil); err != nil {
		return errors.New(Message(err))
	}
	return nil
}

// TemplateStepsError is a template render that did not finish within the
// step limit, counting each loop iteration and macro call as a step.
type TemplateStepsError struct {
	Max uint64
}

func (e *TemplateStepsError) Error() string {
	return fmt.Sprintf("the template did not finish within %d steps (loop iterations and macro calls): is this an endless loop?", e.Max)
}

// Hint says what to do.
func (e *TemplateStepsError) Hint() string {
	return fmt.Sprintf("look at the loops of this template; if the work is real, raise the limit with --max-steps N or BATOU_MAX_STEPS=N (now %d)", e.Max)
}
