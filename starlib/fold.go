package starlib

import (
	"fmt"
	"strings"
)

// frame is one line of a backtrace and the function it is in.
type frame struct {
	name, text string
}

// Folding of repeated frames: a run of the same calls (a cycle of up to
// maxCycle frames, repeated) is shown as its first and last foldKeep
// frames with a line that counts the rest, when that saves lines.
const (
	maxCycle = 4
	foldKeep = 3
)

// foldFrames returns the lines of a backtrace with repeated runs folded.
func foldFrames(frames []frame) []string {
	var out []string
	for i := 0; i < len(frames); {
		p, reps := longestCycle(frames, i)
		run := p * reps
		head := blocks(foldKeep, p) * p // whole cycles, at least foldKeep frames
		if run-2*head < 2*p || run-2*head < foldKeep {
			out = append(out, frames[i].text)
			i++
			continue
		}
		for _, f := range frames[i : i+head] {
			out = append(out, f.text)
		}
		hidden := run - 2*head
		out = append(out, fmt.Sprintf("  ... %d more frames of %s (the same calls, repeated) ...", hidden, cycleNames(frames[i:i+p])))
		for _, f := range frames[i+run-head : i+run] {
			out = append(out, f.text)
		}
		i += run
	}
	return out
}

// longestCycle finds the cycle length (1..maxCycle) starting at i that
// covers the most frames, and how often it repeats.
func longestCycle(frames []frame, i int) (period, reps int) {
	period, reps = 1, 1
	for p := 1; p <= maxCycle && i+2*p <= len(frames); p++ {
		r := 1
		for j := i + p; j+p <= len(frames) && same(frames[i:i+p], frames[j:j+p]); j += p {
			r++
		}
		if p*r > period*reps {
			period, reps = p, r
		}
	}
	return period, reps
}

func same(a, b []frame) bool {
	for k := range a {
		if a[k].text != b[k].text {
			return false
		}
	}
	return true
}

// blocks is how many cycles of length p hold at least n frames.
func blocks(n, p int) int { return (n + p - 1) / p }

// cycleNames names the functions of a cycle: "f" or "f, g".
func cycleNames(cycle []frame) string {
	var names []string
	seen := map[string]bool{}
	for _, f := range cycle {
		if !seen[f.name] {
			seen[f.name] = true
			names = append(names, f.name)
		}
	}
	return strings.Join(names, ", ")
}
