package main

import (
	"context"
	"strings"
	"testing"

	"github.com/batou-go/batou/runtime"
)

// replFor configures a small project with two hosts and returns a REPL
// session over it (without a terminal).
func replFor(t *testing.T) *repl {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"components/app/component.star": "def _c(self):\n    self.provide(\"app\", self)\n" +
			"App = Component(configure = _c, attrs = {\"port\": Attribute(int, default = 1), \"workers\": Attribute(int, default = 2)})\n" +
			"def _lb(self):\n    self.apps = self.require(\"app\")\nLb = Component(configure = _lb)\n",
		"environments/dev/environment.cfg": "[environment]\nconnect_method = local\n[host:web1]\ncomponents = app\n" +
			"target_directory = h1\n[host:web2]\ncomponents = app\ntarget_directory = h2\n[host:db-1]\ncomponents = lb\ntarget_directory = h3\n",
	}
	writeFiles(t, dir, files)
	m, errs := runtime.Load(dir, "dev", newSession(dir))
	if len(errs) == 0 {
		errs = m.Configure()
	}
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var out strings.Builder
	r := &repl{m: m, ctx: context.Background(), out: &replOutput{w: &out, mask: m.Mask}}
	r.globals = replGlobals(m, r.out)
	return r
}

// TestCompletion checks Tab completion: names, attributes after a dot
// (also of a component), and keys inside hosts["...".
func TestCompletion(t *testing.T) {
	r := replFor(t)
	for _, tc := range []struct {
		line, want string
		start      int
	}{
		{"hos", "hosts", 0},
		{"show(hos", "hosts", 5},
		{"hosts.we", "web1 web2", 6},
		{"hosts.web1.comp", "components", 11},
		{"hosts . web1 . components.app.wor", "workdir workers", 30},
		{`hosts["d`, `db-1"]`, 7},
		{`hosts['w`, `web1'] web2']`, 7},
		{`hosts["db-1"].components["l`, `lb"]`, 26},
		{`hosts.web1.components["app"].po`, "port", 29},
		{"resources.a", "app", 10},
		{"nosuchname.", "", 11},
		{"len(hosts).x", "", 11},
		{"1 + ", "", 4},
	} {
		start, cands := r.complete(tc.line)
		if got := strings.Join(cands, " "); got != tc.want || (tc.want != "" && start != tc.start) {
			t.Errorf("complete(%q) = %d %q, want %d %q", tc.line, start, got, tc.start, tc.want)
		}
	}
}
