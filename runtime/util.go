package runtime

import (
	"fmt"
	"sort"

	"github.com/batou-go/batou/starlib"
)

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// didYouMean returns "did you mean X? " when a name close to name exists.
func didYouMean(name string, names []string) string {
	if best := starlib.Closest(name, names); best != "" {
		return fmt.Sprintf("did you mean %s? ", best)
	}
	return ""
}
