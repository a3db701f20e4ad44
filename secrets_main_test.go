package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// secretMarker is in every secret value of the testscript fixtures that
// is long enough to be searched for (short secrets are checked by the
// scripts themselves). No output of batou may ever contain it.
const secretMarker = "sEcReT"

// outputLogVar names the file to which the batou command of a testscript
// appends everything it prints, for the leak check of the whole suite.
const outputLogVar = "BATOU_TEST_OUTPUT_LOG"

// runLogged runs batou with its output also appended to the file named by
// $BATOU_TEST_OUTPUT_LOG. decrypttostdout prints cleartext because it is
// asked to, so its output is not logged.
func runLogged(args []string) int {
	name := os.Getenv(outputLogVar)
	if name == "" || slices.Contains(args, "decrypttostdout") {
		return run(args, os.Stdout, os.Stderr)
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintf(os.Stderr, "output log: %v\n", err)
		return 3
	}
	defer f.Close()
	log := &lockedWriter{w: f}
	return run(args, io.MultiWriter(os.Stdout, log), io.MultiWriter(os.Stderr, log))
}

// lockedWriter serializes writes of stdout and stderr to one file.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// outputLogs sets up the logs of every batou run of the suite and checks
// them when all scripts are done: no secret of a fixture may appear in
// any of them.
func outputLogs(t *testing.T) func(env *testscript.Env) error {
	dir := t.TempDir()
	t.Cleanup(func() { checkLogs(t, dir) })
	return func(env *testscript.Env) error {
		env.Setenv(outputLogVar, filepath.Join(dir, filepath.Base(env.WorkDir)+".log"))
		return nil
	}
}

// checkLogs fails for every log line that shows a secret.
func checkLogs(t *testing.T, dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(logs) == 0 && !t.Failed() {
		t.Errorf("no batou output was logged in %s", dir)
	}
	for _, l := range leakedLines(logs) {
		t.Error(l)
	}
}

// leakedLines returns "file: output line N shows a secret: ..." for every
// line of the logs that holds the secret marker.
func leakedLines(logs []string) []string {
	var out []string
	for _, name := range logs {
		data, err := os.ReadFile(name)
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		for i, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, secretMarker) {
				out = append(out, fmt.Sprintf("%s: output line %d shows a secret: %s", filepath.Base(name), i+1, line))
			}
		}
	}
	return out
}

func TestLeakedLines(t *testing.T) {
	dir := t.TempDir()
	clean, leaky := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	os.WriteFile(clean, []byte("web1: App: ***\n"), 0o600)
	os.WriteFile(leaky, []byte("ok\nERROR: mysql -p"+secretMarker+"-pw failed\n"), 0o600)
	got := leakedLines([]string{clean, leaky})
	if len(got) != 1 || !strings.HasPrefix(got[0], "b.log: output line 2 shows a secret") {
		t.Errorf("leakedLines = %q", got)
	}
}

// cmdSetenvfile sets a variable to the content of a file (or of the last
// command's stdout), without surrounding whitespace:
//
//	setenvfile VAR FILE|stdout
func cmdSetenvfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: setenvfile VAR FILE|stdout")
	}
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile(args[1])))
}

// cmdGnupg makes DIR a private GNUPGHOME, sets $GNUPGHOME, and stops its
// gpg-agent when the script ends:
//
//	gnupg DIR
func cmdGnupg(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gnupg DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o700))
	ts.Setenv("GNUPGHOME", dir)
	ts.Defer(func() {
		cmd := exec.Command("gpgconf", "--kill", "gpg-agent")
		cmd.Env = append(os.Environ(), "GNUPGHOME="+dir)
		_ = cmd.Run()
	})
}

// cmdNoleak fails when a file below DIR, except below the given paths
// (relative to DIR), holds a fixture's secret:
//
//	noleak DIR [EXCEPT...]
func cmdNoleak(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: noleak DIR [EXCEPT...]")
	}
	root := ts.MkAbs(args[0])
	var leaks []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		for _, ex := range args[1:] {
			if rel == filepath.Clean(ex) || strings.HasPrefix(rel, filepath.Clean(ex)+"/") {
				return nil
			}
		}
		if d.Type().IsRegular() {
			if data, err := os.ReadFile(p); err == nil && bytes.Contains(data, []byte(secretMarker)) {
				leaks = append(leaks, rel)
			}
		}
		return nil
	})
	ts.Check(err)
	sort.Strings(leaks)
	if len(leaks) > 0 {
		ts.Fatalf("secrets in files outside managed targets: %s", strings.Join(leaks, ", "))
	}
}
