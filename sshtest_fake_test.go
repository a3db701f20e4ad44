package main

// In-process fake SSH hosts (gliderlabs/ssh) for the testscripts; the rest
// of the harness is in sshtest_test.go.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gssh "github.com/gliderlabs/ssh"
	"github.com/rogpeppe/go-internal/testscript"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// fakePath is the PATH of commands on fake hosts: OpenSSH's default, so
// that a fake host finds no more programs than a real one.
const fakePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// fakeHost is one in-process SSH server. Every exec request runs as
// /bin/sh -c COMMAND in the host's home, with the session's streams.
type fakeHost struct {
	home    string
	user    string
	userKey gossh.PublicKey
	srv     *gssh.Server
	record  string // when set, every session's input is appended here

	mu      sync.Mutex
	stopped bool
	running sync.WaitGroup
}

// cmdFakehosts starts N in-process SSH servers named PREFIX01 to PREFIXNN,
// with homes $WORK/fake/NAME, and stops them at the end of the script.
// With "record", each host appends what its sessions read (the plans sent
// to it, say) to $WORK/fake/NAME.input:
//
//	fakehosts N PREFIX [record]
//
// A file $WORK/fake/NAME.cut holding a number N makes the next session
// of NAME pass only the first N bytes of its input to its command and then
// close the command's input, as a connection lost half way would (the
// file is removed; the rest of the input is read and dropped).
func cmdFakehosts(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 || (len(args) == 3 && args[2] != "record") {
		ts.Fatalf("usage: fakehosts N PREFIX [record]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		ts.Fatalf("fakehosts: N must be a positive number, not %q", args[0])
	}
	width := max(2, len(args[0]))
	for i := 1; i <= n; i++ {
		startFakeHost(ts, fmt.Sprintf("%s%0*d", args[1], width, i), len(args) == 3)
	}
}

// startFakeHost starts and registers one fake host.
func startFakeHost(ts *testscript.TestScript, name string, record bool) {
	dir := newHostDir(ts, name)
	_, userPub := userKey(ts)
	signer, _ := writeKeyPair(ts, filepath.Join(dir, "ssh_host_ed25519_key"), "batou-fake-host-"+name)
	h := &fakeHost{
		home:    filepath.Join(ts.Getenv("WORK"), "fake", name),
		user:    currentUser(ts),
		userKey: userPub,
	}
	ts.Check(os.MkdirAll(h.home, 0o755))
	if record {
		h.record = h.home + ".input"
	}
	h.srv = &gssh.Server{
		Handler:          h.handle,
		PublicKeyHandler: h.allow,
		HostSigners:      []gssh.Signer{signer},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	go h.srv.Serve(l)
	ts.Defer(h.stop)
	port := l.Addr().(*net.TCPAddr).Port
	registerHost(ts, harnessHost{name: name, port: port, home: h.home, key: signer.PublicKey()})
}

// allow accepts only the test user with the test user's key.
func (h *fakeHost) allow(ctx gssh.Context, key gssh.PublicKey) bool {
	return ctx.User() == h.user && gssh.KeysEqual(key, h.userKey)
}

// stop closes the server and its connections and waits (a while) for the
// commands still running, which the closed connections kill.
func (h *fakeHost) stop() {
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
	h.srv.Close()
	done := make(chan struct{})
	go func() { h.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
	}
}

// handle runs one exec (or shell) request.
func (h *fakeHost) handle(s gssh.Session) {
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		return
	}
	h.running.Add(1)
	h.mu.Unlock()
	defer h.running.Done()

	cmd := h.command(s)
	// exec copies Stdin in a goroutine that Wait would wait for; a command
	// that never reads its input must not wait for the client's EOF.
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintf(s.Stderr(), "fake host: %v\n", err)
		s.Exit(255)
		return
	}
	go func() {
		h.copyInput(stdin, h.cutInput(s))
		stdin.Close()
		io.Copy(io.Discard, s) // after a cut, take the rest
	}()
	cmd.Wait()
	// The exit status goes first: an OpenSSH client that has sent its EOF
	// closes the channel as soon as it gets ours, and x/crypto/ssh
	// answers that close at once, so a status sent after an EOF may find
	// the channel closed (and ssh, without it, exits 255 in silence).
	// Exit and exitSignal send the status and then close the channel.
	if cmd.ProcessState == nil {
		s.Exit(255)
		return
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		exitSignal(s, ws.Signal())
		return
	}
	s.Exit(ws.ExitStatus())
}

// cutInput returns the session's input, cut after the number of bytes
// in the host's cut file when there is one (which it removes).
func (h *fakeHost) cutInput(s gssh.Session) io.Reader {
	cut := h.home + ".cut"
	data, err := os.ReadFile(cut)
	if err != nil {
		return s
	}
	os.Remove(cut)
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		fmt.Fprintf(s.Stderr(), "fake host: %s: %v\n", cut, err)
		return s
	}
	return io.LimitReader(s, n)
}

// copyInput copies the session's input to the command, and to the
// record file when there is one.
func (h *fakeHost) copyInput(stdin io.Writer, s io.Reader) {
	if h.record == "" {
		io.Copy(stdin, s)
		return
	}
	f, err := os.OpenFile(h.record, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		io.Copy(stdin, s)
		return
	}
	defer f.Close()
	io.Copy(io.MultiWriter(stdin, f), s)
}

// command builds the process for a session: /bin/sh -c RawCommand (or a
// plain /bin/sh for a shell request) in its own process group, killed with
// its group when the connection goes away.
func (h *fakeHost) command(s gssh.Session) *exec.Cmd {
	args := []string{"/bin/sh"}
	if s.RawCommand() != "" {
		args = append(args, "-c", s.RawCommand())
	}
	cmd := exec.CommandContext(s.Context(), args[0], args[1:]...)
	cmd.Dir = h.home
	cmd.Env = []string{
		"HOME=" + h.home,
		"USER=" + h.user,
		"LOGNAME=" + h.user,
		"SHELL=/bin/sh",
		"PATH=" + fakePath,
		"SSH_CONNECTION=" + sshConnection(s),
	}
	cmd.Stdout = s
	cmd.Stderr = s.Stderr()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Like sshd, wait for whoever still holds stdout, but not forever.
	cmd.WaitDelay = 30 * time.Second
	return cmd
}

// sshConnection is the value of SSH_CONNECTION: client address and port,
// server address and port.
func sshConnection(s gssh.Session) string {
	var parts []string
	for _, a := range []net.Addr{s.RemoteAddr(), s.LocalAddr()} {
		host, port, err := net.SplitHostPort(a.String())
		if err != nil {
			host, port = a.String(), "0"
		}
		parts = append(parts, host, port)
	}
	return strings.Join(parts, " ")
}

// exitSignal reports a command killed by a signal the way sshd does, with
// an exit-signal request, and closes the session.
func exitSignal(s gssh.Session, sig syscall.Signal) {
	msg := struct {
		Signal     string
		CoreDumped bool
		Error      string
		Lang       string
	}{Signal: strings.TrimPrefix(unix.SignalName(sig), "SIG")}
	if msg.Signal == "" {
		msg.Signal = "KILL"
	}
	if _, err := s.SendRequest("exit-signal", false, gossh.Marshal(&msg)); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(os.Stderr, "fake host: exit-signal: %v\n", err)
	}
	s.Close()
}
