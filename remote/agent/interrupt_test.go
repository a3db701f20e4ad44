package agent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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

// TestKilledDeployLeavesOldOrNew kills the agent while it rewrites large
// files (at several moments after the first write began) and checks that every file holds either its old or its new
// content, never a mix or a truncated one.
func TestKilledDeployLeavesOldOrNew(t *testing.T) {
	const n, size = 24, 2 << 20
	for _, delay := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			target := t.TempDir()
			oldC, newC := map[string][]byte{}, map[string][]byte{}
			for i := 0; i < n; i++ {
				name := fmt.Sprintf("f%02d", i)
				oldC[name] = bytes.Repeat([]byte{'o'}, size)
				newC[name] = bytes.Repeat([]byte{'n'}, size)
				if err := os.WriteFile(filepath.Join(target, name), oldC[name], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd, sc, _ := startAgent(t, contentPlan(target, newC))
			// The component event comes just before its update writes.
			waitFor(t, sc, `"type":"component"`)
			time.Sleep(delay)
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			checkOldOrNew(t, target, oldC, newC)
		})
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

func checkOldOrNew(t *testing.T, target string, oldC, newC map[string][]byte) {
	t.Helper()
	var old, updated int
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
