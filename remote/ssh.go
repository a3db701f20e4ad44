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
	"sync"
	"syscall"
	"time"
)

// sshHost drives the user's OpenSSH client for one host: one master
// connection (ControlMaster in a private socket directory) that every
// command of the deploy is multiplexed over.
type sshHost struct {
	t       *Target
	config  string // the -F file, "" for the user's own configuration
	dest    string // what ssh connects to
	socket  string
	master  *exec.Cmd
	exited  chan error    // the master's exit
	stderr  *lockedWriter // what the master says
	timeout time.Duration
}

// sshArgs are the options every ssh call of this host gets.
func (h *sshHost) sshArgs(extra ...string) []string {
	var args []string
	if h.config != "" {
		args = append(args, "-F", h.config)
	}
	args = append(args, "-o", "BatchMode=yes", "-o", "ControlPath="+h.socket,
		"-o", fmt.Sprintf("ConnectTimeout=%d", int(h.timeout.Seconds())))
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
func (h *sshHost) connect(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(200<<attempt) * time.Millisecond):
			}
		}
		if err = h.startMaster(); err == nil || isFinal(err) {
			break
		}
	}
	return err
}

func (h *sshHost) startMaster() error {
	args := h.sshArgs("-o", "ControlMaster=yes", "-o", "ControlPersist=no", "-o", "Compression=yes", "-N", h.dest)
	cmd := exec.Command("ssh", args...)
	h.stderr = &lockedWriter{buf: &bytes.Buffer{}}
	cmd.Stderr = h.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return finalError{fmt.Errorf("starting ssh: %w", err)}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(h.timeout + 5*time.Second)
	for {
		if _, err := os.Stat(h.socket); err == nil {
			h.master, h.exited = cmd, exited
			liveMasters.Store(cmd.Process.Pid, true)
			return nil
		}
		select {
		case err := <-exited:
			return h.masterError(err)
		case <-deadline:
			_ = cmd.Process.Kill()
			<-exited
			return finalError{fmt.Errorf("ssh to %s did not connect within %s", h.dest, h.timeout+5*time.Second)}
		case <-time.After(3 * time.Millisecond):
		}
	}
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

// masterError turns ssh's exit into an error that quotes ssh's last
// words (the lines that say what happened) and, for failures a retry
// cannot fix, a hint.
func (h *sshHost) masterError(err error) error {
	all := strings.TrimSpace(h.stderr.String())
	msg := lastLines(all, 2)
	if msg == "" {
		msg = err.Error()
	}
	e := &sshError{msg: fmt.Sprintf("ssh %s: %s", h.dest, msg)}
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

// sshError is ssh's message with a hint.
type sshError struct{ msg, hint string }

func (e *sshError) Error() string { return e.msg }

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
// the host through the master connection.
func (h *sshHost) command(remote string) *exec.Cmd {
	args := h.sshArgs("-o", "ControlMaster=no", h.dest, "--", remote)
	cmd := exec.Command("ssh", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// run runs remote with stdin and returns its stdout.
func (h *sshHost) run(remote string, stdin []byte) (string, error) {
	cmd := h.command(remote)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errOut.String())
		if msg == "" {
			msg = err.Error()
			// The session said nothing: the master may know what
			// happened to the connection.
			if h.stderr != nil {
				if last := lastLines(h.stderr.String(), 2); last != "" {
					msg += " (ssh: " + last + ")"
				}
			}
		}
		return out.String(), fmt.Errorf("%s", msg)
	}
	return out.String(), nil
}

// close ends the master connection. Its sessions have ended by now, so a
// SIGTERM ends it cleanly (it removes its socket) without the extra
// process that "ssh -O exit" would be. OpenSSH can miss a SIGTERM that
// arrives just before it waits in poll(2), so it is repeated until ssh
// exits, and SIGKILL ends a master that ignores it for a second.
func (h *sshHost) close() {
	if h.master == nil {
		return
	}
	// The whole process group: ssh may be a wrapper script.
	pgid := h.master.Process.Pid
	defer liveMasters.Delete(pgid)
	deadline := time.Now().Add(time.Second)
	for {
		sig := syscall.SIGTERM
		if time.Now().After(deadline) {
			sig = syscall.SIGKILL
		}
		_ = syscall.Kill(-pgid, sig)
		select {
		case <-h.exited:
			h.master = nil
			return
		case <-time.After(50 * time.Millisecond):
		}
		if sig == syscall.SIGKILL {
			h.master = nil // reaped in the background if ever
			return
		}
	}
}

// liveMasters holds the process groups of the running ssh masters.
var liveMasters sync.Map

// EndMasters kills every ssh master of this process at once, for when
// batou must end without closing its deploy (a second Ctrl-C).
func EndMasters() {
	liveMasters.Range(func(pgid, _ any) bool {
		_ = syscall.Kill(-pgid.(int), syscall.SIGKILL)
		return true
	})
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

func socketPath(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("%d", i)) }
