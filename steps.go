package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/batou-go/batou/runtime"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"github.com/urfave/cli/v3"
)

// defaultMaxSteps bounds each top-level evaluation and each configure call
// of project code: a few seconds of Starlark on a current machine, far
// more than any real configure needs, so that an endless loop ends with an
// error naming its file:line instead of hanging.
const defaultMaxSteps = 100_000_000

// maxStepsFlag overrides the step limit (BATOU_MAX_STEPS does too).
var maxStepsFlag = &cli.Uint64Flag{Name: "max-steps", Usage: "stop configure code after `N` Starlark steps (an endless loop); " +
	"default 100000000, or $BATOU_MAX_STEPS; 0 means no limit"}

// maxSteps is the step limit asked for: the flag, else BATOU_MAX_STEPS,
// else the default.
func maxSteps(c *cli.Command) (uint64, error) {
	if c.IsSet("max-steps") {
		return c.Uint64("max-steps"), nil
	}
	if s := os.Getenv("BATOU_MAX_STEPS"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("BATOU_MAX_STEPS=%s is not a number of steps", s)
		}
		return n, nil
	}
	return defaultMaxSteps, nil
}

// projectSession is the session for the project in the current directory,
// with the step limit c asks for. Ctrl-C (ctx done) cancels the code it
// runs at once; call the returned function when the session's code is
// done.
func projectSession(ctx context.Context, c *cli.Command) (*starlib.Session, func(), error) {
	n, err := maxSteps(c)
	if err != nil {
		fmt.Fprintf(c.Root().ErrWriter, "batou %s: %v\n", c.Name, err)
		return nil, nil, exitError{2}
	}
	s := newSession(".")
	s.MaxSteps = n
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			s.Interrupt("interrupted (Ctrl-C)")
		case <-done:
		}
	}()
	return s, func() { close(done) }, nil
}

// configureOptions stop configure on Ctrl-C and report a long configure
// through r.
func configureOptions(ctx context.Context, r *renderer) runtime.ConfigureOptions {
	return runtime.ConfigureOptions{Context: ctx, Progress: func(msg string) {
		r.Event(plan.Event{Type: plan.EventLog, Host: "main", Message: msg})
	}}
}
