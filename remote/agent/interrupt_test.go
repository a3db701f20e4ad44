package agent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/batou-go/batou/runtime/plan"
)

const testVersion = "test"

// TestMain lets the test binary act as the agent when asked to, so tests
// can run it as a separate process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("BATOU_TEST_AGENT") == "1" {
		if err := Run(os.Stdin, os.Stdout, Options{Version: testVersion}); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// contentPlan returns a plan with one root writing each file's content.
func contentPlan(target string, files map[string][]byte) *plan.Plan {
	top := &plan.Node{ID: 1, Kind: "Files", Label: "Files"}
	id := 1
	for _, name := range sortedNames(files) {
		id++
		p := filepath.Join(target, name)
		top.Children = append(top.Children, &plan.Node{ID: id, Kind: "Content", Label: fmt.Sprintf("Content('%s')", name),
			Attrs: plan.Attrs{"path": p, "content": plan.Bytes(files[name]), "_display": name, "encoding": nil, "sensitive_data": nil}})
	}
	return &plan.Plan{Format: plan.Format, Version: testVersion, Host: plan.HostInfo{Name: "localhost", FQDN: "localhost"},
		TargetDirectory: target, Roots: []*plan.Root{{Name: "files", Workdir: filepath.Join(target, "work", "files"), Node: top}}}
}

func sortedNames(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// startAgent runs the test binary as an agent and sends it p and a run
// request; its input stays open (the controller is still there).
func startAgent(t *testing.T, p *plan.Plan) (*exec.Cmd, *bufio.Scanner, *json.Encoder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BATOU_TEST_AGENT=1")
	cmd.Stderr = new(bytes.Buffer) // what it says when it fails (agentExited)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	enc := json.NewEncoder(in)
	go func() {
		_ = enc.Encode(plan.Request{Type: "plan", Plan: p})
		_ = enc.Encode(plan.Request{Type: "run", Root: "files", Mode: "deploy"})
	}()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	return cmd, sc, enc
}

// TestKilledDeployLeavesOldOrNew kills the agent while it rewrites files,
// at several points (while the first file, the second, one in the middle
// and the last one is written), and checks that every file holds either
// its old or its new content, never a mix or a truncated one, and that the
// next deploy recovers: it completes, and no temporary file
// (.NAME.batou-tmp) is left behind, also when that deploy has nothing to
// rewrite.
//
// The file being written when the kill comes is large (its write takes
// milliseconds), the others small. A kill counts only when the temporary
// file is still there after it (the agent died between creating it and
// renaming it over its target); otherwise the case is tried again.
func TestKilledDeployLeavesOldOrNew(t *testing.T) {
	const n, small, large = 16, 64 << 10, 4 << 20
	for _, at := range []int{0, 1, n / 2, n - 1} {
		t.Run(fmt.Sprintf("kill-writing-%d-of-%d", at+1, n), func(t *testing.T) {
			oldC, newC := map[string][]byte{}, map[string][]byte{}
			for i := 0; i < n; i++ {
				name, size := fmt.Sprintf("f%02d", i), small
				if i == at {
					size = large
				}
				oldC[name] = bytes.Repeat([]byte{'o'}, size)
				newC[name] = bytes.Repeat([]byte{'n'}, size)
			}
			for attempt := 1; ; attempt++ {
				target := t.TempDir()
				for _, name := range sortedNames(oldC) {
					if err := os.WriteFile(filepath.Join(target, name), oldC[name], 0o644); err != nil {
						t.Fatal(err)
					}
				}
				tmps := killMidWrite(t, target, newC, at)
				old, updated := checkOldOrNew(t, target, oldC, newC)
				if len(tmps) == 0 {
					if attempt == 10 {
						t.Fatalf("no kill landed between creating a temporary file and renaming it in %d attempts", attempt)
					}
					continue
				}
				t.Logf("attempt %d: killed while writing %v", attempt, tmps)
				if updated < at || old == 0 {
					t.Errorf("%d old, %d new; want at least %d new and some old", old, updated, at)
				}
				for _, tmp := range tmps {
					name := strings.TrimSuffix(strings.TrimPrefix(tmp, "."), ".batou-tmp")
					if got, _ := os.ReadFile(filepath.Join(target, name)); !bytes.Equal(got, oldC[name]) {
						t.Errorf("%s is not old, but its write was cut off", name)
					}
				}
				// A deploy that finds every file as it wants it (it
				// rewrites none, the one whose write was cut off
				// included) still removes the leftover, and says so.
				asIs := map[string][]byte{}
				for name := range newC {
					asIs[name], _ = os.ReadFile(filepath.Join(target, name))
				}
				warnings := redeploy(t, target, asIs, false)
				checkAll(t, target, asIs)
				if w := strings.Join(warnings, "\n"); !strings.Contains(w, "taking over a stale lock") ||
					!strings.Contains(w, fmt.Sprintf("removed %d temporary file(s)", len(tmps))) || !strings.Contains(w, tmps[0]) {
					t.Errorf("warnings of the deploy after the kill:\n%s\nwant the stale lock and the removed %v", w, tmps)
				}
				// And the deploy that was cut off completes.
				redeploy(t, target, newC, true)
				checkAll(t, target, newC)
				return
			}
		})
	}
}

// killMidWrite starts a deploy of files to target and kills the agent as
// soon as the temporary file of the file at index at (in the order they
// are written) exists: the files before it have been replaced. It returns
// the temporary files left after the kill; none when the kill came too
// late (or the write was missed) and the caller should try again.
func killMidWrite(t *testing.T, target string, files map[string][]byte, at int) []string {
	t.Helper()
	tmp := filepath.Join(target, "."+sortedNames(files)[at]+".batou-tmp")
	cmd, sc, _ := startAgent(t, contentPlan(target, files))
	var ended atomic.Bool
	go func() { // keep the agent's output flowing; note when it is done
		for sc.Scan() && !strings.Contains(sc.Text(), `"type":"root-finish"`) {
		}
		ended.Store(true)
	}()
	for !ended.Load() {
		if _, err := os.Lstat(tmp); err == nil {
			break
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	return tempFiles(t, target)
}

// tempFiles lists the temporary files of atomic replacements in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && strings.HasSuffix(e.Name(), ".batou-tmp") {
			out = append(out, e.Name())
		}
	}
	return out
}

// redeploy runs a whole deploy of files to target (after a killed one),
// checks that it succeeds, changing something or not as told, and returns
// its warnings.
func redeploy(t *testing.T, target string, files map[string][]byte, wantChanged bool) []string {
	t.Helper()
	cmd, sc, enc := startAgent(t, contentPlan(target, files))
	var finish *plan.Event
	var warnings []string
	for finish == nil && sc.Scan() {
		var e plan.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("bad event %s: %v", sc.Bytes(), err)
		}
		switch e.Type {
		case plan.EventError:
			t.Errorf("deploy after the kill: %s", e.Message)
		case plan.EventWarning:
			warnings = append(warnings, e.Message)
		case plan.EventRootFinish:
			finish = &e
		}
	}
	if finish == nil {
		t.Fatal("deploy after the kill: no root-finish")
	}
	if finish.Status != "ok" || finish.Changed == nil || *finish.Changed != wantChanged {
		t.Errorf("deploy after the kill: root-finish %+v, want ok and changed=%v", finish, wantChanged)
	}
	_ = enc.Encode(plan.Request{Type: "stop"})
	waitFor(t, sc, `"type":"bye"`)
	agentExited(t, cmd)
	return warnings
}

// agentExited waits for an agent started by startAgent that should end
// well (under -race also without a data race) and reports what it said
// when it did not.
func agentExited(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Wait(); err != nil {
		t.Errorf("agent: %v\n%s", err, cmd.Stderr)
	}
}

// checkAll checks that target holds exactly files and no temporary file.
func checkAll(t *testing.T, target string, files map[string][]byte) {
	t.Helper()
	for name, want := range files {
		if got, err := os.ReadFile(filepath.Join(target, name)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes (%v), want its %d bytes", name, len(got), err, len(want))
		}
	}
	if tmps := tempFiles(t, target); len(tmps) > 0 {
		t.Errorf("temporary files left behind: %v", tmps)
	}
}

func waitFor(t *testing.T, sc *bufio.Scanner, what string) {
	t.Helper()
	for sc.Scan() {
		if strings.Contains(sc.Text(), what) {
			return
		}
	}
	t.Fatalf("agent output ended before %s", what)
}

// checkOldOrNew checks that every file holds its old or its new content
// and returns how many hold which.
func checkOldOrNew(t *testing.T, target string, oldC, newC map[string][]byte) (old, updated int) {
	t.Helper()
	for name := range newC {
		got, err := os.ReadFile(filepath.Join(target, name))
		switch {
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case bytes.Equal(got, oldC[name]):
			old++
		case bytes.Equal(got, newC[name]):
			updated++
		default:
			t.Errorf("%s is neither old nor new: %d bytes", name, len(got))
		}
	}
	t.Logf("%d files old, %d new", old, updated)
	return old, updated
}

// TestInterruptFinishesCurrentComponent interrupts a deploy: the agent
// finishes the component it is on, reports the root as failed
// ("interrupted"), and releases its lock.
func TestInterruptFinishesCurrentComponent(t *testing.T) {
	const n, size = 24, 2 << 20
	target := t.TempDir()
	newC := map[string][]byte{}
	for i := 0; i < n; i++ {
		newC[fmt.Sprintf("f%02d", i)] = bytes.Repeat([]byte{'n'}, size)
	}
	cmd, sc, enc := startAgent(t, contentPlan(target, newC))
	waitFor(t, sc, `"type":"component"`)
	_ = enc.Encode(plan.Request{Type: "interrupt"})
	var finish plan.Event
	for sc.Scan() {
		var e plan.Event
		_ = json.Unmarshal(sc.Bytes(), &e)
		if e.Type == plan.EventError && !strings.Contains(e.Message, "interrupted") {
			t.Errorf("unexpected error: %s", e.Message)
		}
		if e.Type == plan.EventRootFinish {
			finish = e
			break
		}
	}
	if finish.Status != "failed" || finish.Changed == nil || !*finish.Changed {
		t.Errorf("root-finish = %+v, want failed and changed", finish)
	}
	_ = enc.Encode(plan.Request{Type: "stop"})
	waitFor(t, sc, `"type":"bye"`)
	_ = cmd.Wait()
	written := 0
	for name, want := range newC {
		got, err := os.ReadFile(filepath.Join(target, name))
		if err == nil && bytes.Equal(got, want) {
			written++
		} else if err == nil {
			t.Errorf("%s is partial", name)
		}
	}
	if written == 0 || written == n {
		t.Errorf("%d of %d files written; want the deploy stopped part way", written, n)
	}
	if lock, _ := os.ReadFile(filepath.Join(target, LockFile)); len(lock) != 0 {
		t.Errorf("lock not released: %s", lock)
	}
}

// TestStaleLockRemovesLeftovers: the lock file lists the directories a
// deploy created temporary files in; taking over the lock of a killed
// deploy removes the temporary files left there (only those), keeps the
// list until released, and a broken lock's files are left alone.
func TestStaleLockRemovesLeftovers(t *testing.T) {
	target, other := t.TempDir(), t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(other, ".a.batou-tmp"), "partial")
	write(filepath.Join(other, ".hidden"), "mine")
	write(filepath.Join(other, "a"), "old")
	if err := os.Mkdir(filepath.Join(other, ".d.batou-tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(target, LockFile)
	journal := `{"user":"u","host":"h","pid":1,"started":"2020-01-01T00:00:00Z","agent_pid":1}` + "\n" +
		strconv.Quote(other) + "\n" + strconv.Quote(filepath.Join(other, "gone")) + "\n" + `"/cut-off`
	write(lockPath, journal)

	l, warnings, err := acquireLock(target, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(warnings, "\n")
	if !strings.Contains(w, "taking over a stale lock") || !strings.Contains(w, "removed 1 temporary file(s) that deploy left behind: "+filepath.Join(other, ".a.batou-tmp")) {
		t.Errorf("warnings:\n%s", w)
	}
	if _, err := os.Lstat(filepath.Join(other, ".a.batou-tmp")); err == nil {
		t.Error("leftover not removed")
	}
	for _, keep := range []string{".hidden", "a", ".d.batou-tmp"} {
		if _, err := os.Lstat(filepath.Join(other, keep)); err != nil {
			t.Errorf("%s: %v", keep, err)
		}
	}
	// The list is kept (if this deploy is killed too) and grows once per
	// directory.
	if err := l.record(other); err != nil {
		t.Fatal(err)
	}
	if err := l.record(target); err != nil {
		t.Fatal(err)
	}
	_, dirs := readLock(l.f)
	if want := []string{other, filepath.Join(other, "gone"), target}; strings.Join(dirs, "|") != strings.Join(want, "|") {
		t.Errorf("listed directories %q, want %q", dirs, want)
	}
	if h, ok := readHolder(l.f); !ok || h.AgentPID != os.Getpid() {
		t.Errorf("holder %+v %v, want this process", h, ok)
	}
	l.release()
	if data, _ := os.ReadFile(lockPath); len(data) != 0 {
		t.Errorf("released lock holds %q", data)
	}

	// --break-lock: the holder may still be writing; its temporary files
	// stay, its directories are kept.
	held, _, err := acquireLock(target, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := held.record(other); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(other, ".a.batou-tmp"), "being written")
	l, warnings, err = acquireLock(target, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.release()
	defer l.release()
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, "breaking the lock") || strings.Contains(w, "removed") {
		t.Errorf("warnings:\n%s", w)
	}
	if _, err := os.Lstat(filepath.Join(other, ".a.batou-tmp")); err != nil {
		t.Errorf("the temporary file of a running deploy was removed: %v", err)
	}
	if _, dirs := readLock(l.f); len(dirs) != 1 || dirs[0] != other {
		t.Errorf("listed directories %q, want %q", dirs, other)
	}
}
