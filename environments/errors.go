package environments

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a place in a project file.
type Pos struct {
	// File is the project-relative path, slash separated.
	File string
	// Line is 1-based; 0 means the file as a whole.
	Line int
}

// String returns "file:line", "file" when the line is unknown, or "".
func (p Pos) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Error is one problem in an environment file: an error, or a warning
// when it is found in Environment.Warnings.
type Error struct {
	// Pos is where the problem is.
	Pos Pos
	// Msg says what is wrong.
	Msg string
	// Hint says what to do about it; it may be empty.
	Hint string
}

// Error renders "file:line: msg", followed by "\n  hint: ..." when there
// is a hint.
func (e *Error) Error() string {
	s := e.Msg
	if where := e.Pos.String(); where != "" {
		s = where + ": " + s
	}
	if e.Hint != "" {
		s += "\n  hint: " + e.Hint
	}
	return s
}

// Errors is every problem found in an environment, sorted by file and
// line.
type Errors []*Error

// Error renders each error on its own line(s).
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// sortErrors orders errors by file and line, keeping the order in which
// errors at the same place were found.
func sortErrors(es []*Error) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line))
	})
}

// MissingError reports an environment that does not exist.
type MissingError struct {
	// Name is the environment asked for.
	Name string
	// Known lists the environments the project has, sorted.
	Known []string
}

// Error says that the environment does not exist and, as a hint, which
// ones do.
func (e *MissingError) Error() string {
	return fmt.Sprintf("environment %s does not exist: there is neither environments/%s/environment.cfg nor environments/%s.cfg",
		e.Name, e.Name, e.Name)
}

// Hint lists the existing environments or says how to create one.
func (e *MissingError) Hint() string {
	if len(e.Known) == 0 {
		return "the project has no environments; `batou init` creates a project with the environment dev"
	}
	return fmt.Sprintf("%senvironments of this project: %s", didYouMean(e.Name, e.Known), strings.Join(e.Known, ", "))
}
