package agent

import (
	"sort"
	"strings"

	"github.com/batou-go/batou/runtime/plan"
)

// Mask replaces secret values in output.
const Mask = "***"

// newScrubber returns a replacer that masks every secret value, longest
// first, or nil when there are none.
func newScrubber(secrets []string) *strings.Replacer {
	vals := make([]string, 0, len(secrets))
	for _, s := range secrets {
		if s != "" {
			vals = append(vals, s)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	pairs := make([]string, 0, 2*len(vals))
	for _, v := range vals {
		pairs = append(pairs, v, Mask)
	}
	return strings.NewReplacer(pairs...)
}

// scrubEvent masks secret values in every text field of e.
func scrubEvent(r *strings.Replacer, e plan.Event) plan.Event {
	for _, f := range []*string{&e.Message, &e.Detail, &e.Diff, &e.Path, &e.Hint} {
		*f = r.Replace(*f)
	}
	return e
}

// containsSecret reports whether text contains one of the secret values.
func containsSecret(secrets []string, text string) bool {
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			return true
		}
	}
	return false
}
