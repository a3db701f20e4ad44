package main

import (
	"encoding/json"
	"os"
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
