package starlib

import (
	"errors"
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

// UpdateNeeded is the error verify raises, through update_needed() or a
// failing assert helper, to ask for an update.
type UpdateNeeded struct {
	Reason string
}

func (u *UpdateNeeded) Error() string {
	if u.Reason == "" {
		return "update needed"
	}
	return "update needed: " + u.Reason
}

// AsUpdateNeeded reports whether err (possibly a Starlark evaluation error)
// is an UpdateNeeded signal, and returns it.
func AsUpdateNeeded(err error) (*UpdateNeeded, bool) {
	var un *UpdateNeeded
	ok := errors.As(err, &un)
	return un, ok
}

// CmdError is a command that failed on the host.
type CmdError struct {
	Cmd      string
	ExitCode int
	Stdout   string
	Stderr   string
}

func (e *CmdError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "command failed with exit code %d: %s", e.ExitCode, e.Cmd)
	if e.Stdout != "" {
		fmt.Fprintf(&b, "\nstdout:\n%s", indent(e.Stdout))
	}
	if e.Stderr != "" {
		fmt.Fprintf(&b, "\nstderr:\n%s", indent(e.Stderr))
	}
	return b.String()
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// Backtrace returns the Starlark backtrace of err when it is a Starlark
// evaluation error, else "".
func Backtrace(err error) string {
	var ee *starlark.EvalError
	if !errors.As(err, &ee) {
		return ""
	}
	// The message follows the frames; callers show it already.
	bt := ee.Backtrace()
	if i := strings.LastIndex(bt, "\nError"); i >= 0 {
		bt = bt[:i]
	}
	return bt
}

// Where returns the innermost file:line of err's Starlark call stack that
// lies in a .star file, or "" and 0.
func Where(err error) (string, int) {
	var ee *starlark.EvalError
	if !errors.As(err, &ee) {
		return "", 0
	}
	for i := len(ee.CallStack) - 1; i >= 0; i-- {
		pos := ee.CallStack[i].Pos
		if strings.HasSuffix(pos.Filename(), ".star") {
			return pos.Filename(), int(pos.Line)
		}
	}
	return "", 0
}

// Message returns the message of err without Starlark's stack decoration.
func Message(err error) string {
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		return ee.Msg
	}
	return err.Error()
}
