package runtime

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem found while loading or configuring a project. It says
// what went wrong, where, and what to do when there is a hint.
type Error struct {
	Host      string
	Component string // component path, e.g. Hello > File('x')
	Attribute string
	File      string // project-relative
	Line      int
	Msg       string
	Hint      string
	Detail    string // the Starlark backtrace, when there is one
	Warning   bool
}

// Where returns file:line, or the file, or "".
func (e *Error) Where() string {
	if e.File == "" {
		return ""
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return e.File
}

func (e *Error) Error() string {
	var b strings.Builder
	if w := e.Where(); w != "" {
		b.WriteString(w + ": ")
	}
	if e.Host != "" {
		b.WriteString(e.Host + ": ")
	}
	if e.Component != "" && !strings.Contains(e.Msg, e.Component) {
		b.WriteString(e.Component + ": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("\n  hint: " + e.Hint)
	}
	return b.String()
}

// Errors is a list of errors, shown together.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Sort orders errors by host, component, attribute, file, line and message,
// so that output is stable.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		ka := []string{a.Host, a.Component, a.Attribute, a.File, fmt.Sprintf("%09d", a.Line), a.Msg}
		kb := []string{b.Host, b.Component, b.Attribute, b.File, fmt.Sprintf("%09d", b.Line), b.Msg}
		for k := range ka {
			if ka[k] != kb[k] {
				return ka[k] < kb[k]
			}
		}
		return false
	})
}

// dedup drops errors that are identical to an earlier one.
func (es Errors) dedup() Errors {
	seen := map[string]bool{}
	out := es[:0]
	for _, e := range es {
		k := e.Error() + "\x00" + e.Detail
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
