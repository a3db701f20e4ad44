package remote

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// openSSH connects t over ssh (dest with the -F file config, "" for the
// user's own), makes sure the host has the agent, starts it and sends it
// req: a master connection (shared with the hosts whose ssh configuration
// is the same) and, when the host has the agent already, one session;
// otherwise that session answers as a probe, the agent is uploaded, and it
// gets a session of its own.
func (d *Deployment) openSSH(ctx context.Context, w *stepWatch, t *Target, config, dest string, req plan.Request) (*conn, error) {
	if exe, err := os.Executable(); err == nil {
		d.agents.prefetch(exe)
	}
	w.over(dest)
	h := &sshHost{t: t, config: config, dest: dest, timeout: hostTimeout(t), w: w}
	likely := d.likelyAgent()
	m, relayed, err := d.masters.acquire(ctx, h, likely != nil)
	if err != nil {
		return nil, err
	}
	h.m = m
	if relayed {
		c, err := d.startRelayed(h, t, likely, req)
		var no noRelay
		if !errors.As(err, &no) {
			return c, err
		}
		// The relay did not start (or has ended): this host goes the
		// usual way, with a session of its own, which reports what is
		// wrong if anything is.
		d.masters.release(m, true)
		if m, err = d.masters.acquireKey(ctx, h, m.key, false); err != nil {
			return nil, err
		}
		// A host of its own: the relay session may still refer to h.
		h = &sshHost{t: t, config: config, dest: dest, timeout: h.timeout, m: m, w: w}
	}
	c, err := d.startAgent(h, t, likely, req)
	if err != nil {
		d.masters.release(m, false)
		return nil, err
	}
	c.cleanup = func() { d.masters.release(m, false) }
	return c, nil
}

// hostTimeout bounds connecting to t: its timeout, or 30 seconds.
func hostTimeout(t *Target) time.Duration {
	if t.Timeout <= 0 {
		return 30 * time.Second
	}
	return t.Timeout
}

// sudo wraps a shell command to run as the service user when needed.
type sudo struct{ user string }

func (s sudo) wrap(cmd string) string {
	if s.user == "" {
		return cmd
	}
	return "sudo -n -u " + shellQuote(s.user) + " -- sh -c " + shellQuote(cmd)
}

// startAgent starts the agent of t in a session of its own: likely is the
// agent the host most probably has (nil: probe first).
func (d *Deployment) startAgent(h *sshHost, t *Target, likely *agentFile, req plan.Request) (*conn, error) {
	su, want := sudoOf(t)
	var p *probe
	if likely != nil {
		// The usual case: the host already has the agent this controller
		// would send. One session checks for it and runs it; only when it
		// is missing does the same session answer the probe instead.
		c, probed, err := h.startCached(t.Host, su, likely, want, req)
		if err != nil || c != nil {
			return c, err
		}
		p = probed
	} else {
		var err error
		if p, err = h.probe(su); err != nil {
			return nil, err
		}
	}
	su, path, err := d.provision(h, t, su, want, p)
	if err != nil {
		return nil, err
	}
	c, err := startCmd(t.Host, h.command(su.wrap("exec "+shellQuote(path)+" agent")))
	if err != nil {
		return nil, err
	}
	c.master = h.masterState
	h.w.watchAgent(c, readyStep(t))
	return withPlan(c, nil, req)
}

// provision makes sure the host has its agent, given the probe answer p of
// a session run as su. A login user that is not want (the service user)
// goes through sudo from here on. It returns how to run the agent and its
// path on the host.
func (d *Deployment) provision(h *sshHost, t *Target, su sudo, want string, p *probe) (sudo, string, error) {
	if want != "" && p.user != want {
		su.user = want // logged in as someone else: go through sudo
		var err error
		if p, err = h.probe(su); err != nil {
			return su, "", err
		}
	}
	f, err := d.agentFor(p)
	if err != nil {
		return su, "", err
	}
	if !p.cached[agentName(f)] {
		if err := d.upload(h, t, su, p, f); err != nil {
			return su, "", err
		}
	}
	return su, p.dir + "/" + agentName(f), nil
}

// sudoOf says how the agent of t runs: through sudo as su.user (when
// the service user is required to be reached by sudo), or as the login
// user, who must then be want (the service user, when one is set).
func sudoOf(t *Target) (su sudo, want string) {
	if t.ServiceUser != "" && t.RequireSudo {
		su.user = t.ServiceUser
	}
	if t.ServiceUser != "" && su.user == "" {
		want = t.ServiceUser
	}
	return su, want
}

// likelyAgent is the agent most hosts get: this binary when it runs on
// Linux, else the Linux agent for this architecture when one is provided.
// nil when there is no good guess (then the host is probed first).
func (d *Deployment) likelyAgent() *agentFile {
	if runtime.GOOS != "linux" && d.opts.AgentBinary == nil {
		return nil
	}
	path, err := d.agentPath("linux", runtime.GOARCH)
	if err != nil {
		return nil
	}
	f, err := d.agents.get(path)
	if err != nil {
		return nil
	}
	return f
}

// Markers are the first line the start script prints: the agent follows,
// or the probe answer does.
const (
	markAgent = "batou-agent"
	markProbe = "batou-probe"
	markEnd   = "batou-end" // after the probe answer
)

// cachedScript runs the cached agent f with the arguments run when the
// host has it (and the login user is want, when set); otherwise it prints
// the probe answer.
func cachedScript(f *agentFile, want, run string) string {
	cond := `[ -x "$a" ]`
	if want != "" {
		cond += ` && [ "${LOGNAME:-}" = ` + shellQuote(want) + ` ]`
	}
	return `d="${XDG_CACHE_HOME:-$HOME/.cache}/batou"; a="$d/` + agentName(f) + `"; if ` + cond +
		`; then echo ` + markAgent + `; exec "$a" ` + run + `; fi; echo ` + markProbe + `; ` + probeScript +
		`; echo ` + markEnd + `; exec cat > /dev/null`
}

// startCached starts the agent session with the plan request sent right
// away. It returns the running agent, or, when the host lacks the agent,
// the probe answer the session gave instead.
func (h *sshHost) startCached(host string, su sudo, f *agentFile, want string, req plan.Request) (*conn, *probe, error) {
	cmd := h.command(su.wrap(cachedScript(f, want, "agent")))
	c, stdout, err := newConn(host, cmd)
	if err != nil {
		return nil, nil, err
	}
	c.master = h.masterState
	h.w.watchSession(c, checkStep(su))
	// Sent before the answer is known, so the agent has its plan one round
	// trip earlier. When the probe answers instead, the script reads the
	// plan away, and it is sent again to the agent started later. A failed
	// send to a running agent shows as the agent ending before it is ready.
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		_ = c.send(req)
	}()
	br := bufio.NewReaderSize(stdout, 64<<10)
	first, err := br.ReadString('\n')
	if strings.TrimSpace(first) == markAgent {
		h.w.watchAgent(c, readyStep(h.t))
		go c.read(br)
		return c, nil, nil
	}
	h.w.step(probeStep(su), c.abort)
	p, err := h.probeAnswer(cmd, br, first, err, c.stderr, su, func() {
		_ = c.stdin.Close()
		<-sent
	})
	h.w.stop()
	return nil, p, err
}

// checkStep, probeStep and uploadStep name the steps of connecting that
// run in a shell on the host, as su (stepWatch).
func checkStep(su sudo) string {
	return "checking whether the host has the agent (in ~/.cache/batou)" + su.as()
}

func probeStep(su sudo) string {
	return "asking the host for its user, system and agent cache" + su.as()
}

func uploadStep(su sudo, dir string, size int) string {
	return fmt.Sprintf("uploading the agent (%.1f MB) to %s", float64(size)/1e6, dir) + su.as()
}

// as says, for a step, whom it runs as when that is through sudo.
func (s sudo) as() string {
	if s.user == "" {
		return ""
	}
	return " as " + s.user + " through sudo -n"
}

// probeAnswer reads the probe answer of a session that did not start the
// agent: br is its output after the first line (first, read with err);
// endInput closes the session's input once the answer is read.
func (h *sshHost) probeAnswer(cmd *exec.Cmd, br *bufio.Reader, first string, err error, stderr fmt.Stringer, su sudo, endInput func()) (*probe, error) {
	// The probe answer ends with markEnd; then the script reads its input
	// to the end, so the plan sent ahead is taken instead of arriving at a
	// closed channel (some ssh servers drop the connection for that).
	var rest strings.Builder
	for {
		line, err := br.ReadString('\n')
		if strings.TrimSpace(line) == markEnd || (err != nil && line == "") {
			break
		}
		rest.WriteString(line)
		if err != nil {
			break
		}
	}
	endInput()
	_, _ = io.Copy(io.Discard, br)
	werr := cmd.Wait()
	if strings.TrimSpace(first) != markProbe {
		serr := h.sessionError(werr, stderr.String())
		if serr == nil {
			serr = err
		}
		if serr == nil {
			serr = fmt.Errorf("unexpected answer from the host: %q", first)
		}
		if su.user != "" {
			return nil, sudoError(su.user, serr.Error())
		}
		return nil, fmt.Errorf("starting the agent: %w", serr)
	}
	return parseProbe(rest.String())
}

func (h *sshHost) probe(su sudo) (*probe, error) {
	out, err := h.run(probeStep(su), su.wrap(probeScript), nil)
	if err != nil {
		if su.user != "" {
			return nil, sudoError(su.user, err.Error())
		}
		return nil, err
	}
	return parseProbe(out)
}

// sudoError says that sudo did not let the login user run as user.
func sudoError(user, msg string) error {
	return &hintedError{msg: fmt.Sprintf("running as %s with sudo -n: %s", user, msg),
		hint: fmt.Sprintf("allow the login user to run commands as %s without a password (sudoers: NOPASSWD)", user)}
}

// agentFor picks the agent binary for the host's platform.
func (d *Deployment) agentFor(p *probe) (*agentFile, error) {
	path, err := d.agentPath(p.goos, p.goarch)
	if err != nil {
		return nil, err
	}
	return d.agents.get(path)
}

// agentPath is the agent for a platform: this binary on its own platform
// (unless it is dynamically linked and a static agent is provided), else
// the provided batou-agent-GOOS-GOARCH.
func (d *Deployment) agentPath(goos, goarch string) (string, error) {
	if goos == runtime.GOOS && goarch == runtime.GOARCH {
		exe, err := os.Executable()
		if err != nil {
			return "", err
		}
		if f, err := d.agents.get(exe); err == nil && f.dynamic && d.opts.AgentBinary != nil {
			if static, err := d.opts.AgentBinary(goos, goarch); err == nil {
				return static, nil
			}
		}
		return exe, nil
	}
	if d.opts.AgentBinary == nil {
		return "", fmt.Errorf("it runs %s/%s, and this batou has no agent for it", goos, goarch)
	}
	return d.opts.AgentBinary(goos, goarch)
}

func (d *Deployment) upload(h *sshHost, t *Target, su sudo, p *probe, f *agentFile) error {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("reading the agent: %w", err)
	}
	if f.dynamic {
		d.opts.Emit(plan.Event{Type: plan.EventWarning, Host: t.Host,
			Message: "the agent is this batou binary, which is dynamically linked (built with cgo): it runs only where a compatible C library is installed",
			Hint:    fmt.Sprintf("build batou with CGO_ENABLED=0, or provide a static batou-agent-%s-%s next to it or in $BATOU_AGENT_DIR", p.goos, p.goarch)})
	}
	d.opts.Emit(plan.Event{Type: plan.EventUpload, Host: t.Host, Bytes: int64(len(data)),
		Message: fmt.Sprintf("uploading the agent (%.1f MB) to %s", float64(len(data))/1e6, p.dir)})
	if nameOf(data) != f.id {
		// Rebuilt since it was named: the host would keep new content
		// under the old name.
		return fmt.Errorf("the agent binary %s changed while batou ran: deploy again", f.path)
	}
	sum := sha256.Sum256(data)
	if _, err := h.run(uploadStep(su, p.dir, len(data)), su.wrap(uploadScript(p.dir, f, hex.EncodeToString(sum[:]))), data); err != nil {
		return fmt.Errorf("uploading the agent: %w", err)
	}
	return nil
}

// vagrantConfig asks vagrant how to reach the machine host and returns
// that ssh configuration, written to a file in dir, and the name to give
// ssh.
func vagrantConfig(dir, host string) (config, dest string, err error) {
	out, err := exec.Command("vagrant", "ssh-config", host).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return "", "", &hintedError{msg: fmt.Sprintf("vagrant ssh-config %s: %s", host, msg), hint: "is the machine up? try vagrant up " + host}
	}
	f, err := os.CreateTemp(dir, "vagrant-*.config")
	if err != nil {
		return "", "", err
	}
	_, err = f.Write(out)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", err
	}
	dest = host
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && strings.EqualFold(f[0], "Host") {
			dest = f[1]
			break
		}
	}
	return f.Name(), dest, nil
}
