package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sshHost drives the user's OpenSSH client for one host: its sessions
// are multiplexed over a master connection that it may share with other
// hosts (masterPool).
type sshHost struct {
	t       *Target
	config  string // the -F file, "" for the user's own configuration
	dest    string // what ssh connects to
	timeout time.Duration
	m       *master
	// w bounds the steps of connecting after the login.
	w *stepWatch
}

// baseArgs are the options every ssh call of this host gets, but the
// socket.
func (h *sshHost) baseArgs() []string {
	return sshBaseArgs(h.config, h.timeout)
}

func sshBaseArgs(config string, timeout time.Duration) []string {
	var args []string
	if config != "" {
		args = append(args, "-F", config)
	}
	return append(args, "-o", "BatchMode=yes", "-o", fmt.Sprintf("ConnectTimeout=%d", int(timeout.Seconds())))
}

// aliveCount is how many times in a row the master asks a silent host
// whether it is still there (every timeout) before it gives up.
const aliveCount = 3

// aliveArgs make the master ask the host every timeout whether it is still
// there when it has heard nothing from it, and give up after aliveCount
// answers that do not come: a host that vanishes without closing the
// connection (its network gone, the machine frozen) ends in "lost the
// connection" instead of a deploy that waits for it in silence for ever
// (TCP notices such a loss after hours, if at all).
func aliveArgs(timeout time.Duration) []string {
	secs := max(int(timeout.Seconds()), 1)
	return []string{"-o", fmt.Sprintf("ServerAliveInterval=%d", secs), "-o", fmt.Sprintf("ServerAliveCountMax=%d", aliveCount)}
}

// sshArgs are the options of a session of this host, over its master.
func (h *sshHost) sshArgs(extra ...string) []string {
	args := append(h.baseArgs(), "-o", "ControlPath="+h.m.socket)
	return append(args, extra...)
}

// finalError is a connection error that a retry cannot fix (a refused
// host key or login).
type finalError struct{ err error }

func (e finalError) Error() string { return e.err.Error() }
func (e finalError) Unwrap() error { return e.err }

// Hint passes on the hint of the wrapped error.
func (e finalError) Hint() string {
	var h interface{ Hint() string }
	if errors.As(e.err, &h) {
		return h.Hint()
	}
	return ""
}

func isFinal(err error) bool {
	var f finalError
	return errors.As(err, &f)
}

// connect starts the master connection, retrying with backoff when the
// connection itself failed (not on a refused host key or login).
func (m *master) connect(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return interrupted(m.dest)
			case <-time.After(time.Duration(200<<attempt) * time.Millisecond):
			}
		}
		if err = m.start(ctx); err == nil || isFinal(err) {
			break
		}
	}
	return err
}

// start starts ssh as the master and waits until its socket is there (or
// ctx ends: a Ctrl-C while a host does not answer).
func (m *master) start(ctx context.Context) error {
	args := append(sshBaseArgs(m.config, m.timeout), "-o", "ControlPath="+m.socket,
		"-o", "ControlMaster=yes", "-o", "ControlPersist=no", "-o", "Compression=yes")
	args = append(args, aliveArgs(m.timeout)...)
	args = append(args, "-N", m.dest)
	cmd := exec.Command("ssh", args...)
	cmd.Stderr = m.newStderr()
	cmd.SysProcAttr = masterAttr()
	if err := cmd.Start(); err != nil {
		return finalError{fmt.Errorf("starting ssh: %w", err)}
	}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		m.dead.Store(true)
		exited <- err
	}()
	m.cmd, m.exited = cmd, exited
	if !m.pool.started(m) {
		m.kill()
		return finalError{&sshError{dest: m.dest, detail: "batou is ending"}}
	}
	wait := m.timeout + 5*time.Second
	deadline := time.After(wait)
	for {
		if _, err := os.Stat(m.socket); err == nil {
			return nil
		}
		select {
		case err := <-exited:
			m.pool.ended(m)
			return m.failure(err)
		case <-deadline:
			m.kill()
			return finalError{&sshError{dest: m.dest, detail: fmt.Sprintf("did not connect within %s", wait)}}
		case <-ctx.Done():
			m.kill()
			return interrupted(m.dest)
		case <-time.After(3 * time.Millisecond):
		}
	}
}

// kill ends a master that has not come up.
func (m *master) kill() {
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	<-m.exited
	m.pool.ended(m)
}

// sshFailures are ssh messages a retry cannot fix, with what to do.
var sshFailures = []struct{ text, hint string }{
	{"IDENTIFICATION HAS CHANGED", "the host key changed: find out why; if it is expected, remove the old key (ssh-keygen -R) and check the new one"},
	{"Host key verification failed", "the host key is unknown: connect once with ssh and check its fingerprint"},
	{"Permission denied", "ssh could not log in: load your key into ssh-agent (ssh-add) and check User in ssh_config"},
	{"Could not resolve hostname", "check the host name, host_domain and ssh_config"},
	{"Bad configuration", "check ssh_config"},
	{"no such identity", "check IdentityFile in ssh_config"},
}

// failure turns ssh's exit into an error that quotes ssh's last words
// (the lines that say what happened) and, for failures a retry cannot
// fix, a hint.
func (m *master) failure(err error) error {
	all := strings.TrimSpace(m.stderr.String())
	msg := lastLines(all, 2)
	if msg == "" {
		msg = err.Error()
	}
	e := &sshError{dest: m.dest, detail: msg}
	for _, f := range sshFailures {
		if strings.Contains(all, f.text) {
			e.hint = f.hint
			return finalError{e}
		}
	}
	if strings.Contains(all, "Connection refused") || strings.Contains(all, "timed out") || strings.Contains(all, "No route") {
		e.hint = "is the host up and its sshd running? check HostName and Port in ssh_config"
	}
	if strings.Contains(all, "Connection reset") || strings.Contains(all, "Connection closed by") {
		e.hint = "the host's sshd closed the connection before login: is it restarting, or do MaxStartups or a firewall limit connections?"
	}
	if strings.Contains(all, "timed out") {
		// The host had its whole timeout already: trying again would
		// only multiply the wait.
		e.hint += " (timeout in [environment] sets how long to wait)"
		return finalError{e}
	}
	return e
}

// interrupted is the error of a connection that Ctrl-C stopped.
func interrupted(dest string) error {
	return finalError{&sshError{dest: dest, detail: "interrupted while connecting"}}
}

// sshError is ssh's message about a host, with a hint.
type sshError struct{ dest, detail, hint string }

func (e *sshError) Error() string { return "ssh " + e.dest + ": " + e.detail }

// renamed is err, which came from a master started for the host from,
// said of the host to that shares it.
func renamed(err error, from, to string) error {
	var e *sshError
	if from == to || !errors.As(err, &e) || e.dest != from {
		return err
	}
	c := *e
	c.dest = to
	if isFinal(err) {
		return finalError{&c}
	}
	return &c
}

// Hint says what to do.
func (e *sshError) Hint() string { return e.hint }

// lastLines returns the last n non-empty lines of s, joined with "; ".
func lastLines(s string, n int) string {
	var keep []string
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0 && len(keep) < n; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			keep = append([]string{l}, keep...)
		}
	}
	return strings.Join(keep, "; ")
}

// command returns an ssh command running remote (a shell command line) on
// the host through the master connection. It has the master's keepalive
// options too: a session over the master ignores them, but one whose
// master has gone away (between taking it and the session's start) makes
// a connection of its own, which must not wait for a vanished host for
// ever either.
func (h *sshHost) command(remote string) *exec.Cmd {
	args := h.sshArgs("-o", "ControlMaster=no")
	args = append(args, aliveArgs(h.timeout)...)
	args = append(args, h.dest, "--", remote)
	cmd := exec.Command("ssh", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A session's ssh hands its input and output to the master, which
	// closes its stderr only when the command on the host ends: a session
	// ended here (stepWatch) would otherwise wait for that command.
	cmd.WaitDelay = sessionWaitDelay
	return cmd
}

// sessionWaitDelay is how long, once a session's ssh has exited, Wait
// waits for the master to close the session's output.
const sessionWaitDelay = 2 * time.Second

// run runs remote with stdin as the step what of connecting (with
// stdin, an upload) and returns its stdout.
func (h *sshHost) run(what, remote string, stdin []byte) (string, error) {
	cmd := h.command(remote)
	if stdin != nil {
		cmd.Stdin = &progressReader{r: bytes.NewReader(stdin), w: h.w}
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		return "", h.sessionError(err, "")
	}
	if stdin != nil {
		h.w.upload(what, killGroup(cmd.Process))
	} else {
		h.w.step(what, killGroup(cmd.Process))
	}
	err := cmd.Wait()
	h.w.stop()
	if err != nil {
		return out.String(), h.sessionError(err, errOut.String())
	}
	return out.String(), nil
}

// masterSaid is the last two lines the host's ssh master printed, or "".
func (h *sshHost) masterSaid() string {
	if h.m == nil || h.m.stderr == nil {
		return ""
	}
	return lastLines(h.m.stderr.String(), 2)
}

// masterState is what the host's ssh master said last, and whether it
// still runs after waiting up to wait for it to end (what it said is all
// read once it has ended).
func (h *sshHost) masterState(wait time.Duration) (said string, up bool) {
	if h.m == nil {
		return "", false
	}
	for deadline := time.Now().Add(wait); !h.m.dead.Load() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	return h.masterSaid(), !h.m.dead.Load()
}

// sessionError describes a session that failed with err (nil when it
// succeeded), given what it printed on stderr: that text when there is
// some. ssh exits 255 and prints nothing when the session ended without
// an exit status: the command was killed (sshd reports that with an exit
// signal, which ssh ignores) or the connection went away. What the master
// said then may tell which.
func (h *sshHost) sessionError(err error, stderr string) error {
	if msg := strings.TrimSpace(stderr); msg != "" {
		return errors.New(msg)
	}
	if err == nil {
		return nil
	}
	said := h.masterSaid()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 255 {
		if said != "" {
			return fmt.Errorf("%w (ssh: %s)", err, said)
		}
		return err
	}
	master := ", and its master connection said nothing"
	if said != "" {
		master = "; its master connection said: " + said
	}
	return &hintedError{
		msg:  "the ssh session ended without an exit status (ssh exited 255" + master + ")",
		hint: "the command on the host was killed (by the OOM killer or a resource limit, say) or the connection broke: look at the host's kernel log and sshd log, then try again",
	}
}

// close ends the master connection. Its sessions have ended by now, so a
// SIGTERM ends it cleanly (it removes its socket) without the extra
// process that "ssh -O exit" would be. OpenSSH can miss a SIGTERM that
// arrives just before it waits in poll(2), so it is repeated until ssh
// exits, and SIGKILL ends a master that ignores it for a second.
func (m *master) close() {
	if m.cmd == nil || m.exited == nil {
		return
	}
	// The whole process group: ssh may be a wrapper script.
	pgid := m.cmd.Process.Pid
	deadline := time.Now().Add(time.Second)
	for {
		sig := syscall.SIGTERM
		if time.Now().After(deadline) {
			sig = syscall.SIGKILL
		}
		_ = syscall.Kill(-pgid, sig)
		select {
		case <-m.exited:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if sig == syscall.SIGKILL {
			return // reaped in the background if ever
		}
	}
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// controlDir is a private directory for the master sockets of one deploy.
// Its name carries this process's pid, so that a later deploy can remove
// what a killed one left behind.
func controlDir() (string, error) {
	removeStaleControlDirs(os.TempDir())
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", controlPrefix, os.Getpid()))
	if err != nil {
		return "", err
	}
	return dir, os.Chmod(dir, 0o700)
}

const controlPrefix = "batou-ssh-"

// endOrphanMasters asks the ssh masters still listening on sockets in dir
// (left running by a killed deploy) to exit.
func endOrphanMasters(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type()&os.ModeSocket == 0 {
			continue
		}
		// ssh -O exit does not look at the destination; any name serves.
		cmd := exec.Command("ssh", "-o", "ControlPath="+filepath.Join(dir, e.Name()), "-O", "exit", "batou-orphan")
		_ = cmd.Run()
	}
}

// removeStaleControlDirs removes socket directories of this user whose
// deploy process no longer exists.
func removeStaleControlDirs(tmp string) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), controlPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		info, err := e.Info()
		st, isUnix := info.Sys().(*syscall.Stat_t)
		if err != nil || !isUnix || int(st.Uid) != os.Getuid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			dir := filepath.Join(tmp, e.Name())
			endOrphanMasters(dir)
			_ = os.RemoveAll(dir)
		}
	}
}

func socketPath(dir string, n int) string { return filepath.Join(dir, strconv.Itoa(n)) }
