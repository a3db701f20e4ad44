package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// projectSSHConfig returns ssh_config when the project has one (it is
// passed to ssh with -F), else "".
func projectSSHConfig() string {
	abs, err := filepath.Abs("ssh_config")
	if err != nil {
		return ""
	}
	if _, err := os.Stat(abs); err != nil {
		return ""
	}
	return abs
}

// holder describes this deploy for the locks on the hosts.
func holder() *plan.Holder {
	h := &plan.Holder{PID: os.Getpid(), Started: time.Now().UTC()}
	if u, err := user.Current(); err == nil {
		h.User = u.Username
	}
	h.Host, _ = os.Hostname()
	return h
}

// agentBinary finds the agent for a host of another platform: a file
// batou-agent-GOOS-GOARCH in $BATOU_AGENT_DIR or next to this binary.
func agentBinary(goos, goarch string) (string, error) {
	name := fmt.Sprintf("batou-agent-%s-%s", goos, goarch)
	var dirs []string
	if d := os.Getenv("BATOU_AGENT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p, nil
		}
	}
	where := "next to the batou binary"
	if len(dirs) > 0 {
		where = dirs[len(dirs)-1]
	}
	return "", fmt.Errorf("it runs %s/%s: provide the agent %s in %s or $BATOU_AGENT_DIR; build it with: CGO_ENABLED=0 GOOS=%s GOARCH=%s go build -o %s .",
		goos, goarch, name, where, goos, goarch, name)
}
