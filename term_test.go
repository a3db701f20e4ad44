package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdTerm drives an interactive program in a private tmux server, as a
// person at a terminal would:
//
//	term start CMDLINE    start CMDLINE in a 100x40 terminal, in the current directory
//	term send KEYS...     type: literal text and tmux key names (Tab, Enter, Up, C-c, C-d)
//	term wait REGEXP      wait (up to 30 s) until the screen matches REGEXP
//	term exited           wait (up to 30 s) until the program has ended, and fail unless it exited 0
//
// The server is stopped when the script ends.
func cmdTerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: term start|send|wait|exited ...")
	}
	tmux := func(a ...string) (string, error) {
		cmd := exec.Command("tmux", append([]string{"-S", ts.MkAbs(".tmux.sock"), "-f", "/dev/null"}, a...)...)
		cmd.Env = append(os.Environ(), "TERM=xterm")
		for _, name := range termEnv {
			if v := ts.Getenv(name); v != "" {
				cmd.Env = append(cmd.Env, name+"="+v)
			}
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// The program's exit status, written by the shell that runs it: tmux
	// (3.3a) can miss the SIGCHLD of a pane's program and then never
	// reports its status (the program stays a zombie until another
	// child's signal comes).
	exitFile := filepath.Join(ts.Getenv("WORK"), ".term-exit")
	switch args[0] {
	case "start":
		os.Remove(exitFile)
		f := shellQuote(exitFile)
		line := strings.Join(args[1:], " ") + "; echo $? > " + f + ".new && mv " + f + ".new " + f
		_, err := tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "40", "-c", ts.MkAbs("."),
			line, ";", "set-option", "-g", "remain-on-exit", "on")
		ts.Check(err)
		ts.Defer(func() { _, _ = tmux("kill-server") })
	case "send":
		out, err := tmux(append([]string{"send-keys", "-t", "t"}, args[1:]...)...)
		if err != nil {
			ts.Fatalf("send-keys: %v: %s", err, out)
		}
	case "wait":
		re, err := regexp.Compile("(?m)" + strings.Join(args[1:], " "))
		ts.Check(err)
		screen := waitScreen(tmux, func(s string) bool { return re.MatchString(s) })
		if !re.MatchString(screen) {
			ts.Fatalf("the screen does not show %s:\n%s", re, screen)
		}
	case "exited":
		status := waitScreen(func(...string) (string, error) {
			data, err := os.ReadFile(exitFile)
			return string(data), err
		}, func(s string) bool { return s != "" })
		if strings.TrimSpace(status) != "0" {
			screen, _ := tmux("capture-pane", "-p", "-t", "t")
			ts.Fatalf("the program has not exited with status 0 (status: %q):\n%s", strings.TrimSpace(status), screen)
		}
	default:
		ts.Fatalf("term: unknown action %s", args[0])
	}
}

// termEnv are the variables of the script that the program in the
// terminal sees.
var termEnv = []string{"PATH", "HOME", "BATOU_AGE_IDENTITIES", "BATOU_GPG_KEYRING", "GNUPGHOME", "BATOU_MAX_STEPS"}

// waitScreen captures the screen until ok accepts it, for up to 30 s
// (a generous bound for a busy machine, not a timing assertion).
func waitScreen(tmux func(...string) (string, error), ok func(string) bool) string {
	var screen string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		screen, _ = tmux("capture-pane", "-p", "-t", "t")
		if ok(screen) {
			break
		}
	}
	return screen
}
