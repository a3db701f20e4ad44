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
	// Stdout and Stderr are the end of its output that the error quotes
	// (components.OutputTail).
	Stdout string
	Stderr string
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
// evaluation error, else "". Repeated frames (deep recursion) are folded:
// the first and last few are shown, with a count of the rest between.
func Backtrace(err error) string {
	var ee *starlark.EvalError
	if !errors.As(err, &ee) {
		return ""
	}
	// Like ee.Backtrace, without the message (callers show it already): a
	// built-in function on top of the stack is not a frame of its own.
	stack := ee.CallStack
	if last := len(stack) - 1; last >= 0 && stack[last].Pos.Filename() == "<builtin>" {
		stack = stack[:last]
	}
	if len(stack) == 0 {
		return ""
	}
	frames := make([]frame, len(stack))
	for i, fr := range stack {
		frames[i] = frame{name: fr.Name, text: fmt.Sprintf("  %s: in %s", fr.Pos, fr.Name)}
	}
	return "Traceback (most recent call last):\n" + strings.Join(foldFrames(frames), "\n")
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

// Function returns the innermost Starlark function of err's call stack
// that lies in a .star file, or "".
func Function(err error) string {
	var ee *starlark.EvalError
	if !errors.As(err, &ee) {
		return ""
	}
	for i := len(ee.CallStack) - 1; i >= 0; i-- {
		if strings.HasSuffix(ee.CallStack[i].Pos.Filename(), ".star") {
			return ee.CallStack[i].Name
		}
	}
	return ""
}

// Message returns the message of err without Starlark's stack decoration.
func Message(err error) string {
	var sl *StepLimitError
	if errors.As(err, &sl) {
		return sl.Error()
	}
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		return strings.TrimPrefix(ee.Msg, "Starlark computation cancelled: ")
	}
	return err.Error()
}

// HintOf returns the hint of err (an error with a Hint method in its
// chain), or "".
func HintOf(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	var ee *starlark.EvalError
	if errors.As(err, &ee) && strings.Contains(ee.Msg, "stack overflow") {
		return "a function calls itself without end: check the condition that ends its recursion"
	}
	return ""
}
