package components

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCommandCreates(t *testing.T) {
	p := newProject(t)
	n := p.mustExpand("Command", Attrs{"cmd": `echo "$GREETING" > made.txt; echo ran >> log.txt`,
		"creates": "made.txt", "env": map[string]any{"GREETING": "hello"}})
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 {
		t.Fatalf("first deploy changed %v", got)
	}
	if got := readFile(t, p.work("made.txt")); got != "hello\n" {
		t.Fatalf("made.txt holds %q", got)
	}
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 0 {
		t.Fatalf("second deploy changed %v", got)
	}
	os.Remove(p.work("made.txt")) // drift: the result is gone
	if got := mustDeploy(t, p.ctx(true), n); len(got) != 1 {
		t.Fatalf("predict did not see the missing result: %v", got)
	}
	mustDeploy(t, p.ctx(false), n)
	if got := readFile(t, p.work("log.txt")); got != "ran\nran\n" {
		t.Fatalf("the command ran %q", got)
	}
}

func TestCommandUnlessOnlyif(t *testing.T) {
	p := newProject(t)
	sub := filepath.Join(p.workdir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	unless := p.mustExpand("Command", Attrs{"cmd": "echo on > flag", "unless": "grep -q on flag", "cwd": "sub"})
	onlyif := p.mustExpand("Command", Attrs{"cmd": "rm stop", "onlyif": "test -e stop", "cwd": "sub"})
	if got := mustDeploy(t, p.ctx(false), unless); len(got) != 1 {
		t.Fatalf("unless: first deploy changed %v", got)
	}
	for _, n := range []*node{unless, onlyif} {
		if got := mustDeploy(t, p.ctx(false), n); len(got) != 0 {
			t.Fatalf("second deploy changed %v", got)
		}
	}
	writeFile(t, filepath.Join(sub, "flag"), "off\n", 0o644)
	writeFile(t, filepath.Join(sub, "stop"), "", 0o644)
	for _, n := range []*node{unless, onlyif} {
		if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 {
			t.Fatalf("drift: changed %v", got)
		}
	}
	if got := readFile(t, filepath.Join(sub, "flag")); got != "on\n" {
		t.Fatalf("flag holds %q", got)
	}
	if _, err := os.Stat(filepath.Join(sub, "stop")); !os.IsNotExist(err) {
		t.Fatal("onlyif: the command did not run")
	}
}

func TestCommandErrors(t *testing.T) {
	p := newProject(t)
	_, err := p.expand("Command", Attrs{"cmd": "true"})
	wantErr(t, err, "Command needs a guard: creates=, unless= or onlyif=")
	_, err = p.expand("Command", Attrs{"cmd": "true", "unless": "false", "env": map[string]any{"X": []any{}}})
	wantErr(t, err, "env: the value of X must be a string or a number, not list")

	n := p.mustExpand("Command", Attrs{"cmd": "echo first; echo broken >&2; exit 3", "creates": "x"})
	_, err = deploy(p.ctx(false), n)
	wantErr(t, err, "command failed (exit status 3)", "first", "broken")

	n = p.mustExpand("Command", Attrs{"cmd": "true", "creates": "never"})
	_, err = deploy(p.ctx(false), n)
	wantErr(t, err, "update did not converge", "missing: ")
}

func TestCommandUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running a command as another user needs root")
	}
	p := newProject(t)
	dir, err := os.MkdirTemp("", "batou-cmd-user") // t.TempDir's parent is private to root
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "id")
	n := p.mustExpand("Command", Attrs{"cmd": "id -un > " + out, "creates": out, "user": "nobody", "cwd": dir})
	mustDeploy(t, p.ctx(false), n)
	if got := strings.TrimSpace(readFile(t, out)); got != "nobody" {
		t.Fatalf("ran as %q", got)
	}
	n = p.mustExpand("Command", Attrs{"cmd": "true", "creates": "x", "user": "no-such-user-batou"})
	_, err = deploy(p.ctx(false), n)
	wantErr(t, err, "user no-such-user-batou")
}

// A command that leaves a process in the background holding its output
// (`server &`) must not keep the deploy waiting for that process to end:
// it fails with what to do instead. Its output redirected, it succeeds.
func TestCommandLeavesAProcessHoldingItsOutput(t *testing.T) {
	p := newProject(t)
	killPidFile := func(name string) {
		if b, err := os.ReadFile(p.work(name)); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	t.Cleanup(func() { killPidFile("held.pid"); killPidFile("free.pid") })
	run := func(n *node) error {
		done := make(chan error, 1)
		go func() { _, err := deploy(p.ctx(false), n); done <- err }()
		select {
		case err := <-done:
			return err
		case <-time.After(60 * time.Second): // the background sleep lasts 600 s
			killPidFile("held.pid")
			killPidFile("free.pid")
			t.Fatal("the deploy waits for the process the command left in the background")
			return nil
		}
	}
	held := p.mustExpand("Command", Attrs{"cmd": "sleep 600 & echo $! > held.pid", "creates": "held.pid"})
	wantErr(t, run(held), "command ended, but a process it started in the background still holds its output",
		"hint: redirect the output of what runs in the background")
	free := p.mustExpand("Command", Attrs{"cmd": "sleep 600 > /dev/null 2>&1 & echo $! > free.pid", "creates": "free.pid"})
	if err := run(free); err != nil {
		t.Fatalf("a background process with its output redirected: %v", err)
	}
}
