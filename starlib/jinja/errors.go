package jinja

import (
	"errors"
	"fmt"
)

// Error is a template error: the template it happened in, the line within
// that template and what went wrong. Every error Render returns is an
// *Error; errors.As and errors.Unwrap reach the underlying cause (for
// example the error of a Starlark function the template called).
type Error struct {
	// Template is the name the caller gave the template.
	Template string
	// Line is the 1-based line within the template.
	Line int
	// Msg says what went wrong.
	Msg string

	err error
}

// Error formats the error as "Template:Line: Msg".
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Template, e.Line, e.Msg)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.err }

// lineError is an error that knows the template line it happened on. The
// innermost line wins: wrapping a lineError again keeps it unchanged.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }

func (e *lineError) Unwrap() error { return e.err }

// atLine attaches line to err unless err already carries a line.
func atLine(err error, line int) error {
	if err == nil {
		return nil
	}
	var le *lineError
	if errors.As(err, &le) {
		return err
	}
	return &lineError{line: line, err: err}
}

// syntaxError is a problem found while parsing a template.
type syntaxError string

func (e syntaxError) Error() string { return string(e) }

// undefinedError is the use of an undefined name or attribute.
type undefinedError string

func (e undefinedError) Error() string { return string(e) }

// syntaxErrorf returns a syntax error on line.
func syntaxErrorf(line int, format string, args ...any) error {
	return &lineError{line: line, err: syntaxError(fmt.Sprintf(format, args...))}
}

// toError converts an internal error into the *Error Render returns.
func toError(name string, err error) *Error {
	e := &Error{Template: name, Msg: err.Error(), err: err}
	var le *lineError
	if errors.As(err, &le) {
		e.Line = le.line
		e.err = le.err
	}
	if e.Line < 1 {
		e.Line = 1
	}
	return e
}
