package agent

import (
	"strings"

	"github.com/batou-go/batou/runtime/plan"
)

// secretNote stands in for a diff that would show a sensitive value.
const secretNote = "(diff not shown: it contains secret values)\n"

// diffShowsSecret reports whether a diff of a component with these
// attributes may show a sensitive value: an attribute (the new content,
// say) is or contains one, the diff contains one, or one of its lines is
// a short one as a whole.
func diffShowsSecret(m *plan.Masker, attrs plan.Attrs, diff string) bool {
	if m.Len() == 0 || diff == "" {
		return false
	}
	if m.TouchesAttrs(attrs) || m.Touches(diff) {
		return true
	}
	for _, line := range strings.Split(diff, "\n") {
		if len(line) > 1 && strings.ContainsRune("+- ", rune(line[0])) && m.Is(line[1:]) {
			return true
		}
	}
	return false
}
