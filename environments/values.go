package environments

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// parseBool reads true/false, yes/no, on/off and 1/0 in any case.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	return false, false
}

// parsePositive reads a whole number greater than zero.
func parsePositive(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// checkHostName says what is wrong with a host name, and what to do, or
// returns "".
func checkHostName(name string) (msg, hint string) {
	const hint0 = "a host name is a name or an address without whitespace, / or :"
	switch {
	case name == "":
		return "a host without a name", hint0
	case strings.ContainsFunc(name, unicode.IsSpace):
		return fmt.Sprintf("host name %q contains whitespace", name), hint0
	case strings.ContainsAny(name, "/:"):
		return fmt.Sprintf("host name %q contains / or :", name), hint0
	case strings.HasPrefix(name, "!"):
		return fmt.Sprintf("host name %q starts with !", name), "to ignore a host defined in a [host:NAME] section, write ignore = true"
	}
	return "", ""
}

// didYouMean returns "did you mean X? " for the candidate closest to s,
// or "" when none is close.
func didYouMean(s string, candidates []string) string {
	best, bestDist := "", len(s)/2+1
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || best == s {
		return ""
	}
	return fmt.Sprintf("did you mean %s? ", best)
}

// distance returns the Levenshtein distance of a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	row := make([]int, len(rb)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			prev, row[j] = row[j], min(row[j]+1, row[j-1]+1, prev+cost)
		}
	}
	return row[len(rb)]
}
