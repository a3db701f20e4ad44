package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/batou-go/batou/runtime"
	"github.com/batou-go/batou/starlib"
	"github.com/urfave/cli/v3"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
	"golang.org/x/term"
)

func replCommand() *cli.Command {
	return &cli.Command{
		Name:  "repl",
		Usage: "explore the configured model of an environment in a Starlark REPL",
		Description: "Loads and configures ENV on this machine (no host is contacted) and reads\n" +
			"Starlark from the terminal: environment, hosts and resources are bound; show(x)\n" +
			"prints a component's attributes with where each value comes from, deps(x) what\n" +
			"its root requires and provides. help() lists everything. Errors never end the\n" +
			"session; Ctrl-D does.",
		ArgsUsage:    "ENV",
		Flags:        []cli.Flag{maxStepsFlag},
		OnUsageError: usageError,
		Action: func(ctx context.Context, c *cli.Command) error {
			env, err := envArg(c)
			if err != nil {
				return err
			}
			return runREPL(ctx, c, env)
		},
	}
}

// errInterrupted is a Ctrl-C at the prompt: the input so far is dropped.
var errInterrupted = errors.New("interrupted")

// lineReader reads one line of input (without its newline).
type lineReader interface {
	readLine(prompt string) (string, error)
}

// repl is one session.
type repl struct {
	m       *runtime.Model
	globals starlark.StringDict
	out     *replOutput // results and show() output
	errs    *replOutput // errors
	lines   lineReader
	// running, when set, is told the thread of each evaluation, so that
	// Ctrl-C can cancel it; it is called with nil afterwards.
	running func(*starlark.Thread)
	ctx     context.Context
}

func runREPL(ctx context.Context, c *cli.Command, env string) error {
	stdout, stderr := c.Root().Writer, c.Root().ErrWriter
	m, ok, err := inspectModel(ctx, c, newRenderer(stderr, false), env)
	if m == nil {
		return err
	}
	if !ok {
		fmt.Fprintln(stderr, "batou repl: the model is incomplete (see the errors above); exploring what was configured")
	}
	r := &repl{m: m, ctx: ctx}
	if in, out, ok := terminals(stdout); ok {
		return r.interactive(in, out)
	}
	r.out = &replOutput{w: stdout, mask: m.Mask}
	r.errs = &replOutput{w: stderr, mask: m.Mask}
	r.lines = plainLines{bufio.NewReader(os.Stdin)}
	r.globals = replGlobals(m, r.out)
	fmt.Fprintln(r.errs, replBanner(m))
	r.loop()
	return nil
}

// replBanner greets the user: which model, and where to start.
func replBanner(m *runtime.Model) string {
	hosts := "hosts"
	if len(m.Hosts) == 1 {
		hosts = "host"
	}
	return fmt.Sprintf("batou repl: environment %s, %d %s; help() lists what is bound, Ctrl-D ends", m.Env.Name, len(m.Hosts), hosts)
}

// terminals returns stdin and stdout when both are terminals.
func terminals(stdout io.Writer) (*os.File, *os.File, bool) {
	out, ok := stdout.(*os.File)
	if !ok || !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(out.Fd())) {
		return nil, nil, false
	}
	return os.Stdin, out, true
}

// plainLines reads lines from a pipe or file, without prompts.
type plainLines struct{ r *bufio.Reader }

func (p plainLines) readLine(string) (string, error) {
	line, err := p.r.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	return strings.TrimSuffix(line, "\n"), err
}

// loop reads, evaluates and prints until the input ends.
func (r *repl) loop() {
	for r.ctx.Err() == nil {
		if err := r.item(); err == io.EOF {
			return
		}
	}
}

// item reads one statement (several lines for a compound one), runs it
// and prints its value. Only the end of input is returned; every other
// error is printed and the session goes on.
func (r *repl) item() error {
	prompt, eof, interrupted := ">>> ", false, false
	readline := func() ([]byte, error) {
		line, err := r.lines.readLine(prompt)
		prompt = "... "
		switch {
		case err == io.EOF:
			eof = true
		case errors.Is(err, errInterrupted):
			interrupted = true
		}
		if err != nil {
			return nil, err
		}
		return []byte(line + "\n"), nil
	}
	opts := *starlib.FileOptions
	opts.LoadBindsGlobally = true
	f, err := opts.ParseCompoundStmt("<stdin>", readline)
	switch {
	case eof:
		return io.EOF
	case interrupted:
		return nil
	case err != nil:
		r.printError(err)
		return nil
	}
	if err := r.run(f); err != nil {
		r.printError(err)
	}
	return nil
}

// run evaluates one parsed statement; a panic in Go code is reported as
// an error, not a crash.
func (r *repl) run(f *syntax.File) (err error) {
	thread := r.m.Project.Session.NewThread("repl", starlib.PhaseInspect)
	thread.Print = func(_ *starlark.Thread, msg string) { fmt.Fprintln(r.out, r.m.Mask(msg)) }
	if r.running != nil { // at a terminal, Ctrl-C stops it: no step limit
		thread.SetMaxExecutionSteps(0)
		r.running(thread)
		defer r.running(nil)
	} else if max := r.m.Project.Session.MaxSteps; max > 0 {
		defer func() {
			if se := starlib.StepsError(thread, err, max); se != nil {
				err = se
			}
		}()
	}
	stop := context.AfterFunc(r.ctx, func() { thread.Cancel("interrupted") })
	defer stop()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error (please report it): %v", p)
		}
	}()
	if len(f.Stmts) == 1 {
		if e, ok := f.Stmts[0].(*syntax.ExprStmt); ok {
			v, err := starlark.EvalExprOptions(f.Options, thread, e.X, r.globals)
			if err == nil && v != starlark.None {
				fmt.Fprintln(r.out, r.m.MaskValue(v))
			}
			return err
		}
	}
	return starlark.ExecREPLChunk(f, thread, r.globals)
}

// printError shows an error: its message, and the Starlark traceback when
// it comes from deeper than the line typed.
func (r *repl) printError(err error) {
	var ee *starlark.EvalError
	if errors.As(err, &ee) && len(ee.CallStack) > 1 && hasStarlarkFrame(ee.CallStack[1:]) {
		fmt.Fprintln(r.errs, ee.Backtrace())
		return
	}
	msg := err.Error()
	if ee != nil && !errors.As(err, new(*starlib.StepLimitError)) {
		msg = ee.Msg
	}
	fmt.Fprintf(r.errs, "Error: %s\n", msg)
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		fmt.Fprintf(r.errs, "  hint: %s\n", h.Hint())
	}
}

func hasStarlarkFrame(stack starlark.CallStack) bool {
	for _, fr := range stack {
		if fr.Pos.Filename() != "<builtin>" {
			return true
		}
	}
	return false
}
