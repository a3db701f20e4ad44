package main

import (
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/batou-go/batou/starlib"
	"go.starlark.net/starlark"
)

// Completion of the word before the cursor: attributes after a dot,
// keys inside hosts["..."], names otherwise. The expression before the
// dot or bracket is evaluated, but only when it is made of names,
// attributes and constant indexes: completing never calls a function.

var (
	// attrTail matches `expr.partial` at the end of the line.
	attrTail = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(` + simpleExpr + `)\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)?$`)
	})
	// keyTail matches `expr["partial` at the end of the line.
	keyTail = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(` + simpleExpr + `)\s*\[\s*(["'])([^"']*)$`) })
	// nameTail matches a name being typed at the end of the line.
	nameTail = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|[^A-Za-z0-9_."'])([A-Za-z_][A-Za-z0-9_]*)?$`) })
)

const simpleExpr = `[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*|\s*\[\s*(?:"[^"]*"|'[^']*'|-?[0-9]+)\s*\])*`

// complete returns where the word being completed starts in prefix and
// its completions (the whole word each), sorted.
func (r *repl) complete(prefix string) (int, []string) {
	if m := keyTail().FindStringSubmatchIndex(prefix); m != nil {
		quote := prefix[m[4]:m[5]]
		return m[6], r.keyCompletions(prefix[m[2]:m[3]], prefix[m[6]:m[7]], quote)
	}
	if m := attrTail().FindStringSubmatchIndex(prefix); m != nil {
		start := len(prefix)
		if m[4] >= 0 {
			start = m[4]
		}
		return start, r.attrCompletions(prefix[m[2]:m[3]], prefix[start:])
	}
	if m := nameTail().FindStringSubmatchIndex(prefix); m != nil && m[2] >= 0 {
		return m[2], r.nameCompletions(prefix[m[2]:m[3]])
	}
	return len(prefix), nil
}

// value evaluates a simple expression for completion, nil on error.
func (r *repl) value(expr string) starlark.Value {
	thread := r.m.Project.Session.NewThread("complete", starlib.PhaseInspect)
	v, err := starlark.EvalOptions(starlib.FileOptions, thread, "<complete>", expr, r.globals)
	if err != nil {
		return nil
	}
	return v
}

func (r *repl) attrCompletions(expr, word string) []string {
	v, ok := r.value(expr).(starlark.HasAttrs)
	if !ok {
		return nil
	}
	return matching(v.AttrNames(), word)
}

func (r *repl) keyCompletions(expr, word, quote string) []string {
	var keys []string
	switch v := r.value(expr).(type) {
	case *namespace:
		keys = v.keys
	case *starlark.Dict:
		for _, k := range v.Keys() {
			if s, ok := k.(starlark.String); ok {
				keys = append(keys, string(s))
			}
		}
	}
	out := matching(keys, word)
	for i := range out {
		out[i] += quote + "]"
	}
	return out
}

func (r *repl) nameCompletions(word string) []string {
	var names []string
	for n := range r.globals {
		names = append(names, n)
	}
	for n := range starlark.Universe {
		names = append(names, n)
	}
	return matching(names, word)
}

// matching returns the names that start with word, sorted, each once;
// names starting with _ only when word does.
func matching(names []string, word string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, word) && !seen[n] && (!strings.HasPrefix(n, "_") || strings.HasPrefix(word, "_")) {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
