package components

import (
	"fmt"
	"strings"
	"testing"
)

// A failed command's output is quoted by its end: whole lines, a bounded
// number and size, after a line saying how many are not shown. Megabytes
// of output make an error of a few lines, and no line is cut (a cut could
// show part of a secret that masking misses).
func TestOutputTail(t *testing.T) {
	var many strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&many, "line %d\n", i)
	}
	long := strings.Repeat("x", TailBytes+1)
	for _, tc := range []struct {
		name, out string
		lines     int
		want      string
	}{
		{"nothing", "\n\n", 20, ""},
		{"short", "a\nb\n", 20, "a\nb"},
		{"exactly the lines", "a\nb\nc", 3, "a\nb\nc"},
		{"more lines", "a\nb\nc\nd\n", 2, "[... 2 lines not shown ...]\nc\nd"},
		{"megabytes", many.String(), 3, "[... 99997 lines not shown ...]\nline 99997\nline 99998\nline 99999"},
		{"a long line before", "a\n" + long + "\nb\nc\n", 20, "[... 2 lines not shown ...]\nb\nc"},
		{"the last line too long", "a\nb\n" + long + "\n", 20, fmt.Sprintf("[... 3 lines not shown: the last one alone has %d bytes ...]", len(long))},
		{"one long line", long, 20, fmt.Sprintf("[... 1 line not shown: the last one alone has %d bytes ...]", len(long))},
	} {
		if got := OutputTail(tc.out, tc.lines); got != tc.want {
			t.Errorf("%s: got %.200q, want %.200q", tc.name, got, tc.want)
		}
	}
	if got := OutputTail(strings.Repeat(strings.Repeat("y", 1000)+"\n", 100), 20); len(got) > TailBytes+100 || !strings.HasPrefix(got, "[... 92 lines not shown ...]\n") {
		t.Errorf("lines that together pass TailBytes: got %d bytes, starting %.60q", len(got), got)
	}
}
