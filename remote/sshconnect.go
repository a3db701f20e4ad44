package remote

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// openSSH connects t over ssh, makes sure the host has the agent, and
// starts it: one master connection, one probe, an upload only when the
// host lacks this agent, and the agent's own session.
func (d *Deployment) openSSH(ctx context.Context, i int, t *Target) (*conn, error) {
	h := &sshHost{t: t, config: d.opts.SSHConfig, dest: t.Address, socket: socketPath(d.sockets, i), timeout: t.Timeout}
	if h.timeout <= 0 {
		h.timeout = 30 * time.Second
	}
	if t.Method == "vagrant" {
		if err := h.useVagrant(d.sockets, i, t.Host); err != nil {
			return nil, err
		}
	}
	if err := h.connect(ctx); err != nil {
		return nil, err
	}
	c, err := d.startAgent(h, t)
	if err != nil {
		h.close()
		return nil, err
	}
	c.cleanup = h.close
	return c, nil
}

// sudo wraps a shell command to run as the service user when needed.
type sudo struct{ user string }

func (s sudo) wrap(cmd string) string {
	if s.user == "" {
		return cmd
	}
	return "sudo -n -u " + shellQuote(s.user) + " -- sh -c " + shellQuote(cmd)
}

func (d *Deployment) startAgent(h *sshHost, t *Target) (*conn, error) {
	var su sudo
	if t.ServiceUser != "" && t.RequireSudo {
		su.user = t.ServiceUser
	}
	p, err := h.probe(su)
	if err != nil {
		return nil, err
	}
	if t.ServiceUser != "" && su.user == "" && p.user != t.ServiceUser {
		su.user = t.ServiceUser // logged in as someone else: go through sudo
		if p, err = h.probe(su); err != nil {
			return nil, err
		}
	}
	f, err := d.agentFor(t, p)
	if err != nil {
		return nil, err
	}
	if !p.cached[agentName(f)] {
		if err := d.upload(h, t, su, p, f); err != nil {
			return nil, err
		}
	}
	path := p.dir + "/" + agentName(f)
	return startCmd(t.Host, h.command(su.wrap("exec "+shellQuote(path)+" agent")))
}

func (h *sshHost) probe(su sudo) (*probe, error) {
	out, err := h.run(su.wrap(probeScript), nil)
	if err != nil {
		if su.user != "" {
			return nil, fmt.Errorf("running as %s with sudo -n: %w (hint: allow the login user to run commands as %s without a password)", su.user, err, su.user)
		}
		return nil, err
	}
	return parseProbe(out)
}

// agentFor picks the agent binary for the host's platform.
func (d *Deployment) agentFor(t *Target, p *probe) (*agentFile, error) {
	var path string
	switch {
	case p.goos == runtime.GOOS && p.goarch == runtime.GOARCH:
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		path = exe
	case d.opts.AgentBinary != nil:
		var err error
		if path, err = d.opts.AgentBinary(p.goos, p.goarch); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("host %s runs %s/%s, and this batou has no agent for it", t.Host, p.goos, p.goarch)
	}
	return d.agents.get(path)
}

func (d *Deployment) upload(h *sshHost, t *Target, su sudo, p *probe, f *agentFile) error {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("reading the agent: %w", err)
	}
	d.opts.Emit(plan.Event{Type: plan.EventUpload, Host: t.Host, Bytes: int64(len(data)),
		Message: fmt.Sprintf("uploading the agent (%.1f MB) to %s", float64(len(data))/1e6, p.dir)})
	if _, err := h.run(su.wrap(uploadScript(p.dir, f)), data); err != nil {
		return fmt.Errorf("uploading the agent: %w", err)
	}
	return nil
}

// useVagrant asks vagrant how to reach the machine and uses that ssh
// configuration.
func (h *sshHost) useVagrant(dir string, i int, host string) error {
	out, err := exec.Command("vagrant", "ssh-config", host).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return fmt.Errorf("vagrant ssh-config %s: %s (hint: is the machine up? try vagrant up %s)", host, msg, host)
	}
	cfg := filepath.Join(dir, fmt.Sprintf("vagrant-%d.config", i))
	if err := os.WriteFile(cfg, out, 0o600); err != nil {
		return err
	}
	h.config, h.dest = cfg, host
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && strings.EqualFold(f[0], "Host") {
			h.dest = f[1]
			break
		}
	}
	return nil
}
