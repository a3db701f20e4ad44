package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdWaitfile waits (up to 20 s) until PATH exists:
//
//	waitfile PATH
func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile PATH")
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("%s did not appear", args[0])
}

// cmdKillholder kills (SIGKILL) the agent that holds the lock file LOCK,
// as a crash of the host side would:
//
//	killholder LOCK
func cmdKillholder(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: killholder LOCK")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var h struct {
		AgentPID int `json:"agent_pid"`
	}
	first, _, _ := strings.Cut(string(data), "\n") // the holder; directories follow
	ts.Check(json.Unmarshal([]byte(first), &h))
	if h.AgentPID <= 0 {
		ts.Fatalf("no agent pid in %s: %s", args[0], data)
	}
	ts.Check(syscall.Kill(h.AgentPID, syscall.SIGKILL))
}

// cmdGone waits (up to 30 s) until the process whose pid is in FILE has
// ended; FILE is a lock file (its holder's agent pid) or holds a pid:
//
//	gone FILE
func cmdGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gone FILE")
	}
	pid := pidIn(ts, args[0])
	deadline := time.Now().Add(30 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL) // leave nothing running
		ts.Fatalf("process %d (from %s) is still running after 30s", pid, args[0])
	}
}

// pidIn reads a pid from a file: the agent pid of a lock file's holder
// record, or the first number in the file.
func pidIn(ts *testscript.TestScript, file string) int {
	data, err := os.ReadFile(ts.MkAbs(file))
	ts.Check(err)
	first, _, _ := strings.Cut(string(data), "\n")
	var h struct {
		AgentPID int `json:"agent_pid"`
	}
	if json.Unmarshal([]byte(first), &h) == nil && h.AgentPID > 0 {
		return h.AgentPID
	}
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		ts.Fatalf("no pid in %s: %q", file, data)
	}
	return pid
}

// cmdLockfree checks that nobody holds the flock of the lock file LOCK
// (with !, that somebody does):
//
//	lockfree LOCK
func cmdLockfree(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: lockfree LOCK")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	switch {
	case err != nil && !neg:
		ts.Fatalf("%s is still locked: %v", args[0], err)
	case err == nil && neg:
		ts.Fatalf("%s is not locked", args[0])
	}
}

// cmdCtrlc runs a command (found on $PATH) and presses Ctrl-C (SIGINT to
// it) once a line of its output matches REGEX; with -twice, again once a
// line matches AGAIN. The command must then end by itself (within 30 s,
// else it is killed and the script fails); its output becomes stdout. With
// !, the command must fail.
//
//	ctrlc [-twice AGAIN] REGEX -- COMMAND ARGS...
func cmdCtrlc(ts *testscript.TestScript, neg bool, args []string) {
	var again *regexp.Regexp
	if len(args) > 2 && args[0] == "-twice" {
		again, args = regexp.MustCompile(args[1]), args[2:]
	}
	if len(args) < 3 || args[1] != "--" {
		ts.Fatalf("usage: ctrlc [-twice AGAIN] REGEX -- COMMAND ARGS...")
	}
	first := regexp.MustCompile(args[0])
	cmd := exec.Command(lookPath(ts, args[2]), args[3:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "WORK", "TMPDIR", "MODE", "BATOU_MAX_STEPS"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	out, err := cmd.StdoutPipe()
	ts.Check(err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ts.Check(cmd.Start())
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		switch {
		case first != nil && first.MatchString(sc.Text()):
			first = nil
			ts.Check(cmd.Process.Signal(os.Interrupt))
		case first == nil && again != nil && again.MatchString(sc.Text()):
			again = nil
			ts.Check(cmd.Process.Signal(os.Interrupt))
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		ts.Fatalf("%s did not end within 30s of Ctrl-C", args[2])
	}
	fmt.Fprintln(ts.Stdout(), strings.Join(lines, "\n"))
	fmt.Fprint(ts.Stderr(), stderr.String())
	if first != nil || again != nil {
		ts.Fatalf("%s ended before Ctrl-C could be pressed (%v)", args[2], err)
	}
	if neg != (err != nil) {
		ts.Fatalf("%s: unexpected exit status: %v", args[2], err)
	}
}

// lookPath finds name in the script's $PATH.
func lookPath(ts *testscript.TestScript, name string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p
		}
	}
	ts.Fatalf("%s not found in $PATH", name)
	return ""
}
