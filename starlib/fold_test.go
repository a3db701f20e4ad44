package starlib

import (
	"fmt"
	"strings"
	"testing"
)

func frames(names ...string) []frame {
	out := make([]frame, len(names))
	for i, n := range names {
		out[i] = frame{name: n, text: fmt.Sprintf("  x.star:%d:1: in %s", len(n), n)}
	}
	return out
}

func repeat(n int, names ...string) []string {
	var out []string
	for range n {
		out = append(out, names...)
	}
	return out
}

// Deep recursion shows the first and last frames of the repeated calls and
// counts the rest; short or varied backtraces are shown whole.
func TestFoldFrames(t *testing.T) {
	tests := []struct {
		name  string
		in    []string
		lines int
		fold  string
	}{
		{"short", []string{"main", "f", "f", "f"}, 4, ""},
		{"varied", []string{"main", "a", "bb", "ccc", "dddd", "a"}, 6, ""},
		{"recursion", append(append([]string{"main"}, repeat(100000, "f")...), "g"), 1 + 3 + 1 + 3 + 1, "99994 more frames of f "},
		{"mutual", append([]string{"main"}, repeat(1000, "even", "odd")...), 1 + 4 + 1 + 4, "1992 more frames of even, odd "},
		{"not worth it", append([]string{"main"}, repeat(8, "f")...), 9, ""},
		{"just enough", append([]string{"main"}, repeat(9, "f")...), 1 + 3 + 1 + 3, "3 more frames of f "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := foldFrames(frames(tt.in...))
			if len(out) != tt.lines {
				t.Fatalf("want %d lines, got %d:\n%s", tt.lines, len(out), strings.Join(out, "\n"))
			}
			joined := strings.Join(out, "\n")
			if tt.fold == "" && strings.Contains(joined, "more frames") {
				t.Errorf("folded what should be shown whole:\n%s", joined)
			}
			if tt.fold != "" && !strings.Contains(joined, tt.fold) {
				t.Errorf("want %q in:\n%s", tt.fold, joined)
			}
			if out[0] != frames(tt.in[0])[0].text {
				t.Errorf("first frame lost: %s", out[0])
			}
			if last := frames(tt.in[len(tt.in)-1])[0].text; out[len(out)-1] != last {
				t.Errorf("last frame lost: %s, want %s", out[len(out)-1], last)
			}
		})
	}
}
