package main

// Running batou as a process for TestKilledAnywhere: its output as it
// comes, how it ended, and the processes it left.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// chaosGrace is how long the test waits for what must end by itself (an
// agent whose batou is gone, batou's output) before it fails: longer than
// the agent's graces (orphanUpdateGrace, orphanExitGrace) together.
const chaosGrace = 15 * time.Second

// chaosLine is one line of batou's output and when the test read it.
type chaosLine struct {
	at   time.Duration // since the start
	text string
}

// chaosRun is a batou process.
type chaosRun struct {
	cmd    *exec.Cmd
	start  time.Time
	stderr string // the file of what it says on stderr
	mu     sync.Mutex
	lines  []chaosLine
	eof    chan struct{} // closed when the output has ended
	out    *os.File      // the output's end that the test reads
	closed bool          // the test stopped reading it (closeOutput)
	// agents lists the agents that hold locks, procs every process of
	// the deploy (batou's included), for killAll.
	agents, procs func() []int
	err           error // how it ended (after wait)
}

// startBatou starts batou with args in dir, with environment env; what
// it says on stderr goes to the file stderr.
func startBatou(t *testing.T, batou, dir string, env []string, stderr string, args ...string) *chaosRun {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errs, err := os.Create(stderr)
	if err != nil {
		t.Fatal(err)
	}
	run := &chaosRun{cmd: exec.Command(batou, args...), stderr: stderr, eof: make(chan struct{})}
	run.cmd.Dir, run.cmd.Env, run.cmd.Stdout, run.cmd.Stderr = dir, env, w, errs
	run.start = time.Now()
	err = run.cmd.Start()
	w.Close()
	errs.Close()
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	run.out = r
	go run.read(r)
	return run
}

// read collects the output until it ends, or until the test no longer
// reads it (closeOutput).
func (run *chaosRun) read(r *os.File) {
	defer close(run.eof)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		run.mu.Lock()
		run.lines = append(run.lines, chaosLine{time.Since(run.start), sc.Text()})
		run.mu.Unlock()
	}
}

// closeOutput stops reading batou's output, as a pager that was quit
// does: its next write fails.
func (run *chaosRun) closeOutput() {
	run.closed = true
	_ = run.out.Close()
	<-run.eof
}

// killAll kills batou and every process of its deploy (SIGKILL), until
// none is left: first the agents that hold locks, so that they die
// where they are rather than after noticing that batou is gone.
func (run *chaosRun) killAll() {
	for _, pid := range run.agents() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	_ = run.cmd.Process.Kill()
	for i := 0; i < 10; i++ {
		pids := run.procs()
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// wait waits for batou to end and for its output to be closed; it fails
// the test when the output stays open (a process batou started holds it).
func (run *chaosRun) wait(t *testing.T) {
	t.Helper()
	run.err = run.cmd.Wait()
	select {
	case <-run.eof:
		_ = run.out.Close()
	case <-time.After(chaosGrace):
		t.Errorf("batou ended (%v), but its output is still open after %s", run.err, chaosGrace)
	}
}

// output is everything batou printed (stdout and stderr).
func (run *chaosRun) output() string {
	run.mu.Lock()
	defer run.mu.Unlock()
	var b strings.Builder
	for _, l := range run.lines {
		b.WriteString(l.text + "\n")
	}
	stderr, _ := os.ReadFile(run.stderr)
	if len(stderr) > 0 {
		b.WriteString("stderr:\n" + string(stderr))
	}
	return b.String()
}

// seen returns the lines read up to now.
func (run *chaosRun) seen() []chaosLine {
	run.mu.Lock()
	defer run.mu.Unlock()
	return append([]chaosLine(nil), run.lines...)
}

// exited describes how batou ended: "exit N" or "signal NAME".
func (run *chaosRun) exited() string {
	st, ok := run.cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return run.cmd.ProcessState.String()
	case st.Signaled():
		return "signal " + signalName(st.Signal())
	}
	return "exit " + strconv.Itoa(st.ExitStatus())
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "KILL"
	case syscall.SIGINT:
		return "INT"
	case syscall.SIGTERM:
		return "TERM"
	case syscall.SIGHUP:
		return "HUP"
	case syscall.SIGPIPE:
		return "PIPE"
	}
	return s.String()
}

// chaosEvent is the part of a --json event the test looks at.
type chaosEvent struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Host    string `json:"host"`
	Root    string `json:"root"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Counts  *struct {
		Changed int `json:"changed"`
	} `json:"counts"`
}

// sig identifies an event of a deploy: its type, and host, root or title
// where it has them ("root-start alpha tree").
func (e chaosEvent) sig() string {
	parts := []string{e.Type}
	for _, s := range []string{e.Host, e.Root, e.Title} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// waitEvent waits until batou has printed an event with the sig, or has
// ended, or chaosGrace has passed.
func (run *chaosRun) waitEvent(sig string) {
	deadline := time.Now().Add(chaosGrace)
	for n := 0; time.Now().Before(deadline); {
		lines := run.seen()
		for _, l := range lines[n:] {
			var e chaosEvent
			if json.Unmarshal([]byte(l.text), &e) == nil && e.sig() == sig {
				return
			}
		}
		n = len(lines)
		select {
		case <-run.eof:
			return
		case <-time.After(200 * time.Microsecond):
		}
	}
}

// events parses lines of --json output; a line that is not JSON is an
// error.
func events(lines []chaosLine) ([]chaosEvent, error) {
	var out []chaosEvent
	for _, l := range lines {
		var e chaosEvent
		if err := json.Unmarshal([]byte(l.text), &e); err != nil {
			return out, fmt.Errorf("not a JSON event: %q", l.text)
		}
		out = append(out, e)
	}
	return out, nil
}

// chaosWhere is where a deploy was, by its --json events: the stage of
// the whole (load, configure, connect, deploy, close, summary, finished)
// and, from the deploy on, the phase of each host: "verify ROOT" or
// "update ROOT" (once a component of the root updates), "between roots"
// after a root.
type chaosWhere struct {
	stage string
	hosts map[string]string
}

// chaosSections are the stages that sections of the output begin.
var chaosSections = map[string]string{"Connecting hosts": "connect", "Deploying": "deploy", "Summary": "summary"}

// whereIn tells where the deploy whose events are evs was.
func whereIn(evs []chaosEvent) chaosWhere {
	w := chaosWhere{stage: "load", hosts: map[string]string{}}
	for _, e := range evs {
		switch {
		case e.Type == "log" && strings.HasPrefix(e.Message, "Loading environment"):
			w.stage = "configure"
		case e.Type == "section" && chaosSections[e.Title] != "":
			w.stage = chaosSections[e.Title]
		case e.Type == "root-start":
			w.hosts[e.Host] = "verify " + e.Root
		case e.Type == "component" && w.hosts[e.Host] == "verify "+e.Root:
			w.hosts[e.Host] = "update " + e.Root
		case e.Type == "root-finish":
			w.hosts[e.Host] = "between roots"
		case e.Type == "host-closed":
			w.stage = "close"
		case e.Type == "finish":
			w.stage = "finished"
		}
	}
	return w
}

func (w chaosWhere) String() string {
	if w.stage != "deploy" {
		return w.stage
	}
	var parts []string
	for h, p := range w.hosts {
		parts = append(parts, h+": "+p)
	}
	slices.Sort(parts)
	return "deploy (" + strings.Join(parts, ", ") + ")"
}

// markedProcs lists the processes (not zombies) whose environment holds
// marker: what batou started with it, and what those started.
func markedProcs(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && pid != os.Getpid() && marked(pid, marker) && alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// marked reports whether the environment of the process pid holds one of
// markers.
func marked(pid int, markers ...string) bool {
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return false
	}
	for _, m := range markers {
		if strings.Contains("\x00"+string(env), "\x00"+m+"\x00") {
			return true
		}
	}
	return false
}

// describeProcs says what the processes pids run.
func describeProcs(pids []int) string {
	var parts []string
	for _, pid := range pids {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		parts = append(parts, fmt.Sprintf("%d: %s", pid, strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")))
	}
	return strings.Join(parts, "; ")
}

// lockHeld reports whether somebody holds the flock of the lock file at
// path (a missing file is free). It takes the lock for a moment when it
// is free: only call it when no deploy may start.
func lockHeld(path string) (bool, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == syscall.EWOULDBLOCK {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
