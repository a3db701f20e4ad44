package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// cmdLockfree checks that nobody holds the flock of the lock file LOCK,
// waiting up to 10 s for it to be released (a process whose main thread
// has exited may still be closing its files in another thread); with !,
// that somebody holds it now:
//
//	lockfree LOCK
func cmdLockfree(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: lockfree LOCK")
	}
	free := func() (bool, error) {
		f, err := os.Open(ts.MkAbs(args[0]))
		ts.Check(err)
		defer f.Close()
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		}
		return err == nil, err
	}
	ok, err := free()
	if neg {
		if ok {
			ts.Fatalf("%s is not locked", args[0])
		}
		return
	}
	for deadline := time.Now().Add(10 * time.Second); !ok && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		ok, err = free()
	}
	if !ok {
		ts.Fatalf("%s is still locked: %v", args[0], err)
	}
}

// cmdDrive runs a command (found on $PATH) and acts on it as a user at a
// terminal would, one action after the other, while its output is read:
//
//	drive ACTION... -- COMMAND ARGS...
//
// ACTION is expect:REGEX (wait for a line of output that matches), int
// (Ctrl-C: SIGINT to the command), term (SIGTERM), hup (SIGHUP: its terminal
// is gone), closeout (stop reading its output: its writes fail from then
// on, as to a terminal that is gone), touch:PATH (create a file),
// waitfile:PATH (wait until it exists) or code:N (it must exit with status
// N). The command must then end by
// itself (within 30 s of the last action, else it is killed and the script
// fails); its output becomes stdout. With !, the command must fail.
func cmdDrive(ts *testscript.TestScript, neg bool, args []string) {
	sep := slices.Index(args, "--")
	if sep < 0 || sep == len(args)-1 {
		ts.Fatalf("usage: drive ACTION... -- COMMAND ARGS...")
	}
	actions, command := args[:sep], args[sep+1:]
	cmd := exec.Command(lookPath(ts, command[0]), command[1:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range driveEnv {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	out, err := cmd.StdoutPipe()
	ts.Check(err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ts.Check(cmd.Start())
	lines := make(chan string, 1024)
	var seen []string
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	wantCode := -1
	failed := runActions(ts, cmd, actions, lines, &seen, out, &wantCode)
	if failed != "" {
		// The command may never end by itself (it waits for what did
		// not happen): it has failed the script already.
		_ = cmd.Process.Kill()
	}
	for l := range lines { // the rest, until the command closes its output
		seen = append(seen, l)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		failed = fmt.Sprintf("%s did not end within 30s", command[0])
	}
	fmt.Fprintln(ts.Stdout(), strings.Join(seen, "\n"))
	fmt.Fprint(ts.Stderr(), stderr.String())
	if failed != "" {
		ts.Fatalf("%s", failed)
	}
	if neg != (err != nil) {
		ts.Fatalf("%s: unexpected exit status: %v", command[0], err)
	}
	if wantCode >= 0 && cmd.ProcessState.ExitCode() != wantCode {
		ts.Fatalf("%s: exit status %d, want %d", command[0], cmd.ProcessState.ExitCode(), wantCode)
	}
}

// driveEnv are the variables of the script that drive passes on
// (testscript has no list of them all).
var driveEnv = []string{"PATH", "HOME", "WORK", "TMPDIR", "REPO", "MODE", "EDITOR", "GNUPGHOME",
	"BATOU_MAX_STEPS", "BATOU_AGE_IDENTITIES", "BATOU_AGENT_DIR", "SSH_AUTH_SOCK", outputLogVar}

// runActions carries out the actions of drive; it returns what went wrong
// (the output read so far is in seen), or "".
func runActions(ts *testscript.TestScript, cmd *exec.Cmd, actions []string, lines <-chan string, seen *[]string, out io.Closer, wantCode *int) string {
	for _, a := range actions {
		verb, arg, _ := strings.Cut(a, ":")
		switch verb {
		case "expect":
			re := regexp.MustCompile(arg)
			for matched := false; !matched; {
				l, ok := <-lines
				if !ok {
					return fmt.Sprintf("output ended before a line matched %q", arg)
				}
				*seen = append(*seen, l)
				matched = re.MatchString(l)
			}
		case "int":
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				return fmt.Sprintf("Ctrl-C: %v", err)
			}
		case "term":
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				return fmt.Sprintf("SIGTERM: %v", err)
			}
		case "hup":
			if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
				return fmt.Sprintf("SIGHUP: %v", err)
			}
		case "closeout":
			if err := out.Close(); err != nil {
				return fmt.Sprintf("closing the output: %v", err)
			}
		case "code":
			n, err := strconv.Atoi(arg)
			if err != nil {
				ts.Fatalf("drive: code:%s: %v", arg, err)
			}
			*wantCode = n
		case "touch":
			if err := os.WriteFile(ts.MkAbs(arg), nil, 0o644); err != nil {
				return err.Error()
			}
		case "waitfile":
			deadline := time.Now().Add(20 * time.Second)
			for !exists(ts.MkAbs(arg)) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if !exists(ts.MkAbs(arg)) {
				return arg + " did not appear"
			}
		default:
			ts.Fatalf("drive: unknown action %q", a)
		}
	}
	return ""
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
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
