package starlib

import (
	"path"
	"testing"
)

// TestJoinPathAsPathJoin checks that a mapped path is what path.Join
// gives, for workdirs and paths that are not clean too.
func TestJoinPathAsPathJoin(t *testing.T) {
	dirs := []string{"", "/", "/a", "/a/", "a", "/a/../b", ".", "//x", "/w/d"}
	paths := []string{"x", "./x", "../x", "x/", "x//y", ".", "..", "a/./b", "a/../../b", "d00/f0000.conf"}
	for _, d := range dirs {
		for _, p := range paths {
			if got, want := joinPath(d, p), path.Join(d, p); got != want {
				t.Errorf("joinPath(%q, %q) = %q, path.Join gives %q", d, p, got, want)
			}
		}
	}
}
