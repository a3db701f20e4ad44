package components

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// OutputGrace is how long the output of a command that has ended is still
// read. A process it started in the background (`server &`) inherits its
// output: without a limit, batou would wait for that process to end.
const OutputGrace = 2 * time.Second

// HeldOutputError is the error of a command (what names it) that ended
// successfully but left a process in the background holding its output
// open past OutputGrace. It is an error, not a warning: that process is
// killed by SIGPIPE once it writes to the output batou stopped reading.
func HeldOutputError(what string) error {
	return fmt.Errorf("%s ended, but a process it started in the background still holds its output (stdout, stderr) open: "+
		"batou stopped reading it after %s, and that process is killed (SIGPIPE) when it writes there again "+
		"(hint: redirect the output of what runs in the background, e.g. `server > server.log 2>&1 &`, or run it as a service)",
		what, OutputGrace)
}

// toolCmd describes one run of a program a kind drives (git, systemctl,
// apt-get, a user's shell command).
type toolCmd struct {
	name  string   // the program, looked up on PATH
	args  []string // its arguments
	dir   string   // working directory ("" = the agent's)
	env   []string // added to the agent's environment
	stdin string
	// show is how the command appears in errors ("git fetch origin");
	// empty means name and args.
	show string
	// cred runs the command as another user (nil: as the agent).
	cred *syscall.Credential
	// mask are strings (passwords in URLs) replaced by *** in output and
	// errors.
	mask []string
}

// toolResult is what a finished command printed and how it exited.
type toolResult struct {
	stdout, stderr string
	code           int // exit status; -1 when it did not start or was killed
}

// run runs the command to its end. err is set when it could not be
// started, or when it was stopped because ctx's Stop ended (ctx may be
// nil); a non-zero exit is only reported in code. The command runs in a
// process group of its own, which is killed as a whole when Stop ends:
// nothing it started outlives an agent that is ending.
func (t toolCmd) run(ctx *Context) (toolResult, error) {
	var stop context.Context
	if ctx != nil {
		stop = ctx.Stop
	}
	var cmd *exec.Cmd
	if stop != nil {
		cmd = exec.CommandContext(stop, t.name, t.args...)
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	} else {
		cmd = exec.Command(t.name, t.args...)
	}
	cmd.Dir = t.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: t.cred}
	if len(t.env) > 0 {
		cmd.Env = append(os.Environ(), t.env...)
	}
	if t.stdin != "" {
		cmd.Stdin = strings.NewReader(t.stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = OutputGrace
	err := cmd.Run()
	if stop != nil && stop.Err() != nil {
		return toolResult{code: -1}, fmt.Errorf("%s was stopped: the agent is ending", t.display())
	}
	res := toolResult{stdout: t.masked(out.String()), stderr: t.masked(errb.String())}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case errors.Is(err, exec.ErrWaitDelay): // it exited 0
		return toolResult{code: -1}, HeldOutputError(t.display())
	case errors.Is(err, exec.ErrNotFound):
		return toolResult{code: -1}, fmt.Errorf("%s is not installed on this host (not found on PATH)", t.name)
	case t.dir != "":
		return toolResult{code: -1}, fmt.Errorf("running %s in %s: %s", t.display(), t.dir, t.masked(err.Error()))
	default:
		return toolResult{code: -1}, fmt.Errorf("running %s: %s", t.display(), t.masked(err.Error()))
	}
	return res, nil
}

// check runs the command and turns a non-zero exit into an error that
// quotes the end of its output.
func (t toolCmd) check(ctx *Context) (toolResult, error) {
	res, err := t.run(ctx)
	if err != nil {
		return res, err
	}
	if res.code != 0 {
		return res, fmt.Errorf("%s failed (exit status %d)%s", t.display(), res.code, outputTail(res.stdout+res.stderr))
	}
	return res, nil
}

func (t toolCmd) display() string {
	if t.show != "" {
		return t.masked(t.show)
	}
	return t.masked(strings.TrimSpace(t.name + " " + strings.Join(t.args, " ")))
}

func (t toolCmd) masked(s string) string {
	for _, m := range t.mask {
		if m != "" {
			s = strings.ReplaceAll(s, m, "***")
		}
	}
	return s
}

// outputTail formats the last lines of a command's output for an error.
func outputTail(out string) string {
	if tail := OutputTail(out, 20); tail != "" {
		return ":\n  " + strings.ReplaceAll(tail, "\n", "\n  ")
	}
	return ""
}

// TailBytes is the most of a command's output an error quotes.
const TailBytes = 8 << 10

// OutputTail is the end of a command's output for an error message: its
// last lines, at most maxLines of them and as many as fit in TailBytes,
// after a line that says how many are not shown; "" for no output. Lines
// are shown whole or not at all: part of a line could hold part of a
// secret, which masking (it looks for whole values) would miss. A command
// that printed megabytes so still fails with a message of a few lines.
func OutputTail(out string, maxLines int) string {
	out = strings.TrimRight(out, "\n")
	if out == "" {
		return ""
	}
	start, n := len(out), 0 // out[start:] is kept: n lines
	for start > 0 && n < maxLines {
		end := len(out)
		if n > 0 {
			end = start - 1 // the newline before the kept lines
		}
		prev := strings.LastIndexByte(out[:end], '\n') + 1
		if len(out)-prev > TailBytes {
			break
		}
		start, n = prev, n+1
	}
	left := strings.Count(out[:start], "\n") // each line left out ends with one,
	if n == 0 {
		left++ // but the last
	}
	switch {
	case n == 0:
		return fmt.Sprintf("[... %s not shown: the last one alone has %d bytes ...]", plural(left, "line", "lines"), len(out)-strings.LastIndexByte(out, '\n')-1)
	case left > 0:
		return fmt.Sprintf("[... %s not shown ...]\n%s", plural(left, "line", "lines"), out[start:])
	}
	return out[start:]
}
