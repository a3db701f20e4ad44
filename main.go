// Command batou deploys software to many hosts in many environments. Users
// model their deployment as components written in Starlark, describe each
// environment in an INI file, and run `batou deploy ENV`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/urfave/cli/v3"
)

// version is the tool version; plans and agents of other versions are
// refused. Release builds set it with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// exitError carries an exit status out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	tuneGC()
	stop := startProfile()
	code := run(os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// tuneGC trades memory for speed: a deploy is a short-lived process whose
// heap is mostly live (the model, the plan). The collector stays off until
// the heap first reaches gcStart, so a deploy of a few thousand components
// never collects; from that first collection on it runs at GOGC=400 with a
// soft limit of gcLimit. GOGC and GOMEMLIMIT in the environment still win.
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(gcStart)
	// A finalizer runs after the first collection: switch to normal
	// collection then.
	sentinel := new([16]byte)
	runtime.SetFinalizer(sentinel, func(*[16]byte) {
		debug.SetGCPercent(400)
		debug.SetMemoryLimit(gcLimit)
	})
}

const (
	gcStart = 128 << 20
	gcLimit = 256 << 20
)

// startProfile writes a CPU profile to $BATOU_CPUPROFILE (with the pid
// appended, as the agent runs in another process) when that is set. It is
// a tool for developers measuring performance.
func startProfile() func() {
	path := os.Getenv("BATOU_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", path, os.Getpid()))
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// watchInterrupts handles Ctrl-C (and, for a deploy, SIGTERM and SIGHUP)
// until done is closed: the first cancels
// the command's context (a deploy ends in order), a second ends batou at
// once, with its ssh masters (the agents on the hosts then see their
// controller gone). Lost output (abortHooks.interrupt) counts as a first
// signal only: after a hangup the writes to the terminal fail too, and
// that must not turn the orderly stop into an abort.
func watchInterrupts(sigs <-chan os.Signal, done <-chan struct{}, cancel func(), hooks *abortHooks) {
	for n := 0; ; n++ {
		var sig os.Signal
		select {
		case sig = <-sigs:
		case <-done:
			return
		}
		if n == 0 {
			cancel()
			continue
		}
		if sig == outputGone {
			n-- // not a second signal
			continue
		}
		hooks.run()
		if s, ok := sig.(syscall.Signal); ok && s != syscall.SIGINT {
			os.Exit(128 + int(s))
		}
		os.Exit(130)
	}
}

// run executes the command line and returns the exit status: 0 success, 1
// a failed deploy or check, 2 wrong usage.
func run(args []string, stdout, stderr io.Writer) int {
	// One channel for every Ctrl-C from the start, so that a second one
	// that comes quickly is not missed (a deploy adds SIGTERM).
	sigs := make(chan os.Signal, 2)
	hooks := &abortHooks{sigs: sigs}
	ctx := context.WithValue(context.WithValue(context.Background(), abortKey{}, hooks), argsKey{}, args)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go watchInterrupts(sigs, done, cancel, hooks)
	cmd := newApp(stdout, stderr)
	err := cmd.Run(ctx, args)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	fmt.Fprintf(stderr, "batou: %v\n", err)
	return 2
}

// argsKey is the context key of batou's command line (run's args), for
// hints that repeat it (commandLine).
type argsKey struct{}

// commandLine is the command line batou was run with, as a shell takes it.
func commandLine(ctx context.Context) string {
	args, _ := ctx.Value(argsKey{}).([]string)
	line := "batou"
	for _, a := range args[min(1, len(args)):] {
		line += " " + shellQuote(a)
	}
	return line
}

func newApp(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:      "batou",
		Usage:     "deploy software to many hosts in many environments",
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*cli.Command{
			deployCommand(), planCommand(), graphCommand(), showCommand(), replCommand(), secretsCommand(), initCommand(), versionCommand(), agentCommand(),
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			c.Writer = stderr // help as the answer to wrong usage goes to stderr
			_ = cli.ShowRootCommandHelp(c)
			if c.Args().Present() {
				fmt.Fprintf(stderr, "batou: unknown command %q\n", c.Args().First())
			}
			return exitError{2}
		},
		OnUsageError: usageError,
	}
}

// usageError reports wrong usage with exit status 2.
func usageError(ctx context.Context, c *cli.Command, err error, isSubcommand bool) error {
	fmt.Fprintf(c.Root().ErrWriter, "batou %s: %v\n", c.Name, err)
	return exitError{2}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(ctx context.Context, c *cli.Command) error {
			fmt.Fprintf(c.Root().Writer, "batou %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// envArg returns the single ENV argument of c, or a usage error.
func envArg(c *cli.Command) (string, error) {
	if c.Args().Len() != 1 {
		fmt.Fprintf(c.Root().ErrWriter, "batou %s: want exactly one environment name, got %d arguments\nusage: batou %s %s\n", c.Name, c.Args().Len(), c.Name, c.ArgsUsage)
		return "", exitError{2}
	}
	return c.Args().First(), nil
}
