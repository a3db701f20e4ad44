package ini

import (
	"fmt"
	"strings"
)

// Error is a syntax error at one line of an INI file.
type Error struct {
	// File is the name given to Parse.
	File string
	// Line is the 1-based line number of the offending line.
	Line int
	// Msg says what is wrong.
	Msg string
	// Hint says how to fix it; it may be empty.
	Hint string
}

// Error renders the error as "file:line: msg", followed by the hint on an
// indented line when there is one.
func (e *Error) Error() string {
	s := fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	if e.Hint != "" {
		s += "\n  hint: " + e.Hint
	}
	return s
}

// Errors is every syntax error of one file, in line order.
type Errors []*Error

// Error renders each error on its own line(s).
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}
