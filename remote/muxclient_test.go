package remote

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// realMaster starts an OpenSSH sshd on a loopback port and an ssh master
// connection to it, as batou does, and returns the master's socket and
// process. Both stop with the test.
func realMaster(t *testing.T) (string, *exec.Cmd) {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		t.Skip("no OpenSSH server (/usr/sbin/sshd): apt-get install openssh-server")
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no OpenSSH client")
	}
	dir := t.TempDir()
	for _, k := range []string{"host", "user"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("ListenAddress 127.0.0.1\nPort %d\nHostKey %s/host\nPidFile %s/sshd.pid\nAuthorizedKeysFile %s/user.pub\n"+
		"PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nUseDNS no\nStrictModes no\nPermitRootLogin yes\n"+
		"SetEnv HOME=%s\nAcceptEnv BATOU_MUX_*\nLogLevel ERROR\n", port, dir, dir, dir, home)
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	if err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sshd.Process.Kill(); _ = sshd.Wait() })
	socket := filepath.Join(dir, "ctl")
	args := []string{"-o", "BatchMode=yes", "-o", "IdentityFile=" + filepath.Join(dir, "user"), "-o", "IdentitiesOnly=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=" + filepath.Join(dir, "known"), "-o", "ControlPath=" + socket,
		"-p", fmt.Sprint(port), "-l", currentUser(t)}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) { // sshd may not listen yet: ssh then ends, and is started again
		master := exec.Command("ssh", append(args, "-o", "ControlMaster=yes", "-o", "SendEnv=BATOU_MUX_*",
			"-o", "SetEnv=BATOU_MUX_SET=from-config", "-N", "127.0.0.1")...)
		if err := master.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = master.Wait(); close(exited) }()
		for alive := true; alive && time.Now().Before(deadline); {
			if _, err := os.Stat(socket); err == nil {
				t.Cleanup(func() { _ = master.Process.Kill(); <-exited })
				return socket, master
			}
			select {
			case <-exited:
				alive = false
			case <-time.After(20 * time.Millisecond):
			}
		}
		_ = master.Process.Kill()
		<-exited
	}
	t.Fatal("the ssh master did not start")
	return "", nil
}

func currentUser(t *testing.T) string {
	out, err := exec.Command("id", "-un").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// run runs command in a session of the master and returns what it printed
// and how it ended.
func runMux(t *testing.T, socket, command, stdin string, opts muxOptions) (string, string, error) {
	t.Helper()
	s, err := openMuxSession(socket, command, opts)
	if err != nil {
		t.Fatalf("opening a session: %v", err)
	}
	c, stdout := newMuxConn("h", s)
	go func() {
		_, _ = io.WriteString(s.stdin, stdin)
		s.stdin.Close()
	}()
	out, _ := io.ReadAll(stdout)
	err = c.wait()
	return string(out), c.stderr.String(), err
}

// Sessions batou asks a real OpenSSH master for carry input, output, error
// output and the exit status, the environment the configuration sends, and
// report a session that ends without a status as such.
func TestMuxSession(t *testing.T) {
	socket, master := realMaster(t)

	out, errOut, err := runMux(t, socket, "cat; echo to-stderr >&2", "the plan\n", muxOptions{})
	if out != "the plan\n" || errOut != "to-stderr\n" || err != nil {
		t.Errorf("got %q, %q, %v", out, errOut, err)
	}
	if _, _, err := runMux(t, socket, "exit 7", "", muxOptions{}); err == nil || err.Error() != "exit status 7" {
		t.Errorf("exit 7 gave %v", err)
	}
	opts := muxOptions{env: []string{"BATOU_MUX_A=one two"}}
	if out, _, _ := runMux(t, socket, `echo "$BATOU_MUX_A|$BATOU_MUX_SET"`, "", opts); out != "one two|from-config\n" {
		t.Errorf("environment: %q", out)
	}
	// Killed: no exit status; the error says so as for an ssh process.
	_, _, err = runMux(t, socket, "kill -9 $$", "", muxOptions{})
	if !errors.Is(err, errNoExitStatus) {
		t.Errorf("a killed command gave %v", err)
	}
	h := &sshHost{}
	if msg := h.sessionError(err, "").Error(); !strings.Contains(msg, "the ssh session ended without an exit status") {
		t.Errorf("described as %q", msg)
	}
	// Several at once over one master.
	done := make(chan string, 5)
	for i := range 5 {
		go func() {
			out, _, _ := runMux(t, socket, fmt.Sprintf("sleep 0.2; echo %d", i), "", muxOptions{})
			done <- out
		}()
	}
	for range 5 {
		if out := <-done; len(out) != 2 {
			t.Errorf("concurrent session printed %q", out)
		}
	}
	// The master goes away during a session: the output ends, and so
	// does the session, without a status.
	s, err := openMuxSession(socket, "sleep 30", muxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, stdout := newMuxConn("h", s)
	_ = master.Process.Signal(syscall.SIGKILL)
	_ = os.Remove(socket) // a killed master leaves its socket
	ended := make(chan error, 1)
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		ended <- c.wait()
	}()
	select {
	case err := <-ended:
		if !errors.Is(err, errNoExitStatus) {
			t.Errorf("master killed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not end with its master")
	}
	// No master: an error before any session, so that batou can use an
	// ssh process instead.
	if _, err := openMuxSession(socket, "true", muxOptions{}); err == nil {
		t.Error("a session without a master")
	}
}

// What the configuration sends: the variables SendEnv names, the last
// matching pattern deciding (the master adds SetEnv itself); agent
// forwarding when asked for.
func TestMuxOptions(t *testing.T) {
	t.Setenv("LANG", "C.UTF-8")
	t.Setenv("LC_TIME", "de_DE")
	t.Setenv("LC_SECRET", "x")
	opts, ok := muxOptionsOf("user me\nsendenv LANG\nsendenv LC_*\nsendenv -LC_SECRET\nsetenv FOO=bar\nforwardagent yes\n")
	if !ok || !opts.agent {
		t.Fatalf("options %+v, %v", opts, ok)
	}
	env := strings.Join(opts.env, " ")
	for _, want := range []string{"LANG=C.UTF-8", "LC_TIME=de_DE"} {
		if !strings.Contains(env, want) {
			t.Errorf("%s not sent: %s", want, env)
		}
	}
	if strings.Contains(env, "LC_SECRET") || strings.Contains(env, "FOO") {
		t.Errorf("LC_SECRET sent: %s", env)
	}
	if _, ok := muxOptionsOf(""); ok {
		t.Error("options without ssh -G output")
	}
	if opts, _ := muxOptionsOf("forwardagent no\n"); opts.agent {
		t.Error("agent forwarding that was not asked for")
	}
}
