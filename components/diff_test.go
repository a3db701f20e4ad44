package components

import (
	"strings"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
)

// A new file's diff is written directly; it must read exactly as the
// general diff of the same change does.
func TestAddedDiffMatchesUnified(t *testing.T) {
	long := strings.Repeat("line\n", 300)
	for _, text := range []string{"", "a", "a\n", "a\nb", "a\nb\n", "\n", "\n\n", "x\r\ny\r\n", "ä\n\nü", long, long + "end"} {
		want := capLines(udiff.Unified("/p/f", "/p/f", "", text))
		got, ok := textDiff("/p/f", encUTF8, nil, []byte(text))
		if !ok || got != want {
			t.Errorf("diff of a new file holding %q:\n got %q\nwant %q", text, got, want)
		}
	}
}
