package main

import (
	"strings"
	"testing"
)

// TestInitNextSteps checks that batou init suggests commands that run
// where batou is: by name when PATH has it, by its path otherwise, and
// says so when it runs from a temporary go run build.
func TestInitNextSteps(t *testing.T) {
	for _, tc := range []struct {
		dir, batou string
		want       []string
	}{
		{"proj", "batou", []string{"  cd proj\n", "  batou deploy dev "}},
		{".", "/opt/batou/bin/batou", []string{"  /opt/batou/bin/batou deploy dev ", "  /opt/batou/bin/batou repl dev "}},
		{"my project", shellQuote("/home/me/my tools/batou"), []string{"  cd 'my project'\n", "  '/home/me/my tools/batou' show dev localhost hello "}},
		{"p", "", []string{"temporary build", "  batou deploy dev "}},
	} {
		var b strings.Builder
		printNextSteps(&b, tc.dir, tc.batou)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("dir %q batou %q: output lacks %q:\n%s", tc.dir, tc.batou, w, b.String())
			}
		}
		if tc.dir == "." && strings.Contains(b.String(), "cd ") {
			t.Errorf("init in . suggests a cd:\n%s", b.String())
		}
	}
}
