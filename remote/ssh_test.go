package remote

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A socket directory left by a deploy that no longer runs is removed; those
// of running processes stay.
func TestRemoveStaleControlDirs(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{ // name: should survive
		fmt.Sprintf("%s%d-a", controlPrefix, dead.Process.Pid): false,
		fmt.Sprintf("%s%d-b", controlPrefix, os.Getpid()):      true,
		fmt.Sprintf("%s%d-c", controlPrefix, os.Getppid()):     true,
		controlPrefix + "x-d":                                  true, // not ours
		"other-dir":                                            true,
	}
	for name := range dirs {
		if err := os.MkdirAll(filepath.Join(tmp, name, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleControlDirs(tmp)
	for name, keep := range dirs {
		_, err := os.Stat(filepath.Join(tmp, name))
		if keep && err != nil {
			t.Errorf("%s was removed", name)
		}
		if !keep && err == nil {
			t.Errorf("%s (of a dead process) was left", name)
		}
	}
}
