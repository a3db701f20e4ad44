package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exitProject writes a project with a local environment dev (one
// component app that writes a file), and, with failing, a second
// environment broken whose component fails in configure.
func exitProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"components/app/component.star": `def _configure(self):
    self += File("app.conf", content = "port = 8080\n")

App = Component(configure = _configure)
`,
		"components/broken.star": `def _configure(self):
    fail("broken on purpose")

Broken = Component(configure = _configure)
`,
		"environments/dev/environment.cfg": "[environment]\nconnect_method = local\n[hosts]\nlocalhost = app\n",
		"environments/broken.cfg":          "[environment]\nconnect_method = local\n[hosts]\nlocalhost = broken\n",
	}
	writeFiles(t, dir, files)
	return dir
}

// TestExitCodes checks run's exit status (SPEC 8): 0 success, 1 a failed
// deploy or check (a missing environment too), 2 wrong usage. Local
// deploys start this test binary as the agent (see TestMain).
func TestExitCodes(t *testing.T) {
	dir := exitProject(t)
	t.Chdir(dir)
	tests := []struct {
		name string
		args []string
		code int
		// out is a text expected in stdout (want) or stderr (wantErr).
		want, wantErr string
	}{
		{"good deploy", []string{"deploy", "dev"}, 0, "DEPLOYMENT FINISHED", ""},
		{"no-op deploy", []string{"deploy", "dev"}, 0, "DEPLOYMENT FINISHED", ""},
		{"flag after ENV", []string{"deploy", "dev", "-c"}, 0, "CONSISTENCY CHECK FINISHED", ""},
		{"predict", []string{"deploy", "-P", "dev"}, 0, "DEPLOYMENT PREDICTION FINISHED", ""},
		{"version", []string{"version"}, 0, "batou ", ""},
		{"fail in configure", []string{"deploy", "broken"}, 1, "DEPLOYMENT FAILED (during configure)", ""},
		{"failed consistency check", []string{"deploy", "-c", "broken"}, 1, "CONSISTENCY CHECK FAILED", ""},
		{"missing environment", []string{"deploy", "prod"}, 1, "environment prod does not exist", ""},
		{"unknown flag", []string{"deploy", "--no-such-flag", "dev"}, 2, "", "no-such-flag"},
		{"missing ENV", []string{"deploy"}, 2, "", "want exactly one environment name, got 0 arguments"},
		{"two ENVs", []string{"deploy", "dev", "prod"}, 2, "", "got 2 arguments"},
		{"no command", nil, 2, "", ""},
		{"unknown command", []string{"deploi", "dev"}, 2, "", `unknown command "deploi"`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"batou"}, tt.args...), &stdout, &stderr)
		if code != tt.code {
			t.Errorf("%s: batou %s exited with %d, want %d\nstdout:\n%s\nstderr:\n%s",
				tt.name, strings.Join(tt.args, " "), code, tt.code, stdout.String(), stderr.String())
			continue
		}
		if !strings.Contains(stdout.String(), tt.want) {
			t.Errorf("%s: stdout does not contain %q:\n%s", tt.name, tt.want, stdout.String())
		}
		if !strings.Contains(stderr.String(), tt.wantErr) {
			t.Errorf("%s: stderr does not contain %q:\n%s", tt.name, tt.wantErr, stderr.String())
		}
	}
	if data, err := os.ReadFile(filepath.Join(dir, "work", "app", "app.conf")); err != nil || string(data) != "port = 8080\n" {
		t.Errorf("work/app/app.conf = %q, %v; want the deployed file", data, err)
	}
}
