package remote

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// A local agent that starts and never gets ready (one creating its target
// directory on a hung mount; here a stand-in that sleeps) fails its host
// after the timeout, saying what it waited for; Ctrl-C ends the wait at
// once. Either way the agent is ended. Before, Connect waited for ever.
func TestLocalAgentThatHangsFailsItsHost(t *testing.T) {
	for _, tc := range []struct {
		name      string
		interrupt bool
		want      string // %s: the target directory
	}{
		{"timeout", false, "did not start the agent: stuck for 1s while waiting for the agent to create and lock its target directory %s"},
		{"ctrl-c", true, "interrupted while connecting (waiting for the agent to create and lock its target directory %s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pidFile := filepath.Join(dir, "pid")
			var mu sync.Mutex
			var failed []plan.Event
			d := NewDeployment(Options{
				Agent: []string{"sh", "-c", `echo $$ > "$0"; exec sleep 120`, pidFile},
				Emit: func(e plan.Event) {
					mu.Lock()
					defer mu.Unlock()
					if e.Type == plan.EventHost && e.Status == "failed" {
						failed = append(failed, e)
					}
				},
			})
			target := &Target{Host: "stuck", Transport: Local{}, Plan: &plan.Plan{TargetDirectory: dir}, Timeout: time.Second}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.interrupt {
				target.Timeout = time.Hour
				go func() {
					waitForFile(pidFile)
					cancel()
				}()
			}
			done := make(chan error, 1)
			go func() { done <- d.Connect(ctx, []*Target{target}) }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("the host connected")
				}
			case <-time.After(60 * time.Second):
				t.Fatal("Connect still waits for the agent after 60 s")
			}
			if want := fmt.Sprintf(tc.want, dir); len(failed) != 1 || failed[0].Message != want {
				t.Fatalf("failed host events %+v, want the message %q", failed, want)
			}
			if !tc.interrupt && !strings.Contains(failed[0].Hint, "raise timeout in [environment]") {
				t.Errorf("hint %q", failed[0].Hint)
			}
			data, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatal(err)
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
			if pid > 0 && syscall.Kill(pid, 0) == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Errorf("the agent (pid %d) still runs", pid)
			}
		})
	}
}

// waitForFile waits (up to 30 s) until path exists.
func waitForFile(path string) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
}

// An agent in a relay session that does not start is given up on its
// own: its host's connection ends at once, and the relay session, which
// that agent would keep running, is ended once its last host has closed.
func TestRelayGivesUpAnAgentThatDoesNotStart(t *testing.T) {
	hello := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(hello, plan.AppendFrame(nil, plan.FrameHello, 0, []byte(plan.RelayHello)), 0o644); err != nil {
		t.Fatal(err)
	}
	// The relay says hello, and then nothing: its agent never starts.
	cmd := exec.Command("sh", "-c", `cat "$0"; exec sleep 120`, hello)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, stdout, stderr, err := pipes(cmd)
	if err != nil {
		t.Fatal(err)
	}
	r := &relaySession{h: &sshHost{}, ready: make(chan struct{}), streams: map[uint32]*relayStream{}}
	if err := r.begin(cmd, stdin, stdout, stderr); err != nil {
		t.Fatal(err)
	}
	c, err := r.open("stuck")
	if err != nil {
		t.Fatal(err)
	}
	w := newStepWatch(context.Background(), 100*time.Millisecond)
	w.watchSession(c, "waiting for the agent")
	ended := make(chan error, 1)
	go func() {
		for _, ok := c.next(); ok; _, ok = c.next() {
		}
		err := w.done(nil)
		c.close()
		r.close()
		ended <- err
	}()
	select {
	case err := <-ended:
		if err == nil || !strings.Contains(err.Error(), "did not start the agent: stuck for 100ms while waiting for the agent") {
			t.Errorf("error %v", err)
		}
	case <-time.After(60 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatal("the host's connection, or the relay session, still waits for the agent after 60 s")
	}
}
