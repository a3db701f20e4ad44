package main

// SSH test harness for the testscripts: real loopback hosts that the OpenSSH
// client (and so the tool) can deploy to. Every host gets a directory
// $WORK/.harness/NAME/, a line in $WORK/.harness/known_hosts, a Host block
// appended to $WORK/ssh_config and the script variables NAME_PORT and
// NAME_HOME. The in-process fake hosts live in sshtest_fake_test.go.

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// sshdPath is the OpenSSH server the sshd command starts.
const sshdPath = "/usr/sbin/sshd"

// hostNameRE is what the harness accepts as a host name: a plain ssh_config
// Host token that is also usable as a directory name.
var hostNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// harness is what the helpers need of a testscript: *testscript.TestScript,
// or benchHarness for the benchmarks.
type harness interface {
	Check(err error)
	Fatalf(format string, args ...any)
	Getenv(key string) string
	Setenv(key, value string)
	Defer(fn func())
}

// harnessHost is one host as the ssh client sees it.
type harnessHost struct {
	name string
	port int
	home string          // remote home; empty for dead hosts
	key  gossh.PublicKey // host key; nil for dead hosts
}

// harnessDir returns $WORK/.harness, creating it.
func harnessDir(ts harness) string {
	dir := filepath.Join(ts.Getenv("WORK"), ".harness")
	ts.Check(os.MkdirAll(dir, 0o755))
	return dir
}

// newHostDir creates $WORK/.harness/NAME/ and fails if NAME is invalid or
// already taken in this script.
func newHostDir(ts harness, name string) string {
	if !hostNameRE.MatchString(name) {
		ts.Fatalf("invalid host name %q (want letters, digits, '.', '_', '-')", name)
	}
	dir := filepath.Join(harnessDir(ts), name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			ts.Fatalf("host %s is already defined in this script", name)
		}
		ts.Fatalf("%v", err)
	}
	return dir
}

// currentUser returns the name of the user running the tests.
func currentUser(ts harness) string {
	u, err := user.Current()
	ts.Check(err)
	return u.Username
}

// userKey returns the path and public key of the test user's key
// $HOME/.ssh/id_ed25519, generating it on first use in a script.
func userKey(ts harness) (string, gossh.PublicKey) {
	home := ts.Getenv("HOME")
	if home == "" {
		ts.Fatalf("HOME is not set")
	}
	path := filepath.Join(home, ".ssh", "id_ed25519")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		ts.Check(os.MkdirAll(filepath.Dir(path), 0o700))
		_, pub := writeKeyPair(ts, path, "batou-test-user")
		return path, pub
	}
	ts.Check(err)
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		ts.Fatalf("reading test user key %s: %v", path, err)
	}
	return path, signer.PublicKey()
}

// newEd25519 generates an ed25519 key and returns its signer and the
// private key in OpenSSH PEM format.
func newEd25519(ts harness, comment string) (gossh.Signer, []byte) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	ts.Check(err)
	block, err := gossh.MarshalPrivateKey(priv, comment)
	ts.Check(err)
	signer, err := gossh.NewSignerFromKey(priv)
	ts.Check(err)
	return signer, pem.EncodeToMemory(block)
}

// writeKeyPair generates an ed25519 key and writes it to path (mode 0600)
// and path.pub.
func writeKeyPair(ts harness, path, comment string) (gossh.Signer, gossh.PublicKey) {
	signer, privPEM := newEd25519(ts, comment)
	ts.Check(os.WriteFile(path, privPEM, 0o600))
	pub := signer.PublicKey()
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pub))) + " " + comment + "\n"
	ts.Check(os.WriteFile(path+".pub", []byte(line), 0o644))
	return signer, pub
}

// knownHostsLine is the known_hosts entry of a host key on a loopback port.
func knownHostsLine(port int, key gossh.PublicKey) string {
	return fmt.Sprintf("[127.0.0.1]:%d %s\n", port, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key))))
}

// appendFile appends text to path, creating it, and makes sure the old
// content ended with a newline first.
func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if info, err := f.Stat(); err == nil && info.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, info.Size()-1); err == nil && last[0] != '\n' {
			text = "\n" + text
		}
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// quoteConf quotes a value for ssh_config or sshd_config if it has blanks.
func quoteConf(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + s + `"`
	}
	return s
}

// scriptVar turns a host name into the prefix of its script variables:
// upper case, anything but letters and digits becomes '_'.
func scriptVar(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
}

// registerHost makes a host known to the ssh client: known_hosts line,
// ssh_config block, port file and script variables.
func registerHost(ts harness, h harnessHost) {
	work := ts.Getenv("WORK")
	keyPath, _ := userKey(ts)
	knownHosts := filepath.Join(harnessDir(ts), "known_hosts")
	if h.key != nil {
		ts.Check(appendFile(knownHosts, knownHostsLine(h.port, h.key)))
	}
	block := fmt.Sprintf("Host %s\n  HostName 127.0.0.1\n  Port %d\n  User %s\n"+
		"  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n"+
		"  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n\n",
		h.name, h.port, currentUser(ts), quoteConf(keyPath), quoteConf(knownHosts))
	ts.Check(appendFile(filepath.Join(work, "ssh_config"), block))
	portFile := filepath.Join(harnessDir(ts), h.name, "port")
	ts.Check(os.WriteFile(portFile, []byte(strconv.Itoa(h.port)+"\n"), 0o644))
	ts.Setenv(scriptVar(h.name)+"_PORT", strconv.Itoa(h.port))
	if h.home != "" {
		ts.Setenv(scriptVar(h.name)+"_HOME", h.home)
	}
}

// freePort returns a loopback TCP port that nothing listened on a moment ago.
func freePort(ts harness) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	ts.Check(l.Close())
	return port
}

// cmdDeadhost defines a host whose port refuses connections. The port stays
// bound (but not listening) until the end of the script, so nothing else
// can take it:
//
//	deadhost NAME
func cmdDeadhost(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: deadhost NAME")
	}
	newHostDir(ts, args[0])
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	ts.Check(err)
	ts.Defer(func() { unix.Close(fd) })
	ts.Check(unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	sa, err := unix.Getsockname(fd)
	ts.Check(err)
	registerHost(ts, harnessHost{name: args[0], port: sa.(*unix.SockaddrInet4).Port})
}

// cmdSilenthost defines a host that accepts connections and never says a
// word (a hung machine or a black-holing firewall), so that ssh runs into
// its ConnectTimeout. It counts them in $WORK/.harness/NAME/accepted, one
// line each:
//
//	silenthost NAME
func cmdSilenthost(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: silenthost NAME")
	}
	dir := newHostDir(ts, args[0])
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	count := filepath.Join(dir, "accepted")
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			_ = appendFile(count, "accepted\n")
		}
	}()
	ts.Defer(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	registerHost(ts, harnessHost{name: args[0], port: l.Addr().(*net.TCPAddr).Port})
}

// cmdClosinghost defines a host that accepts connections and closes them
// at once (an sshd that is just restarting, say), counting them in
// $WORK/.harness/NAME/accepted, one line each:
//
//	closinghost NAME
func cmdClosinghost(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: closinghost NAME")
	}
	dir := newHostDir(ts, args[0])
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	count := filepath.Join(dir, "accepted")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = appendFile(count, "accepted\n")
			c.Close()
		}
	}()
	ts.Defer(func() { l.Close() })
	registerHost(ts, harnessHost{name: args[0], port: l.Addr().(*net.TCPAddr).Port})
}

// cmdWrongkey replaces the known_hosts entry of a host defined before with
// a fresh key, so that ssh refuses the host with a host key mismatch:
//
//	wrongkey NAME
func cmdWrongkey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: wrongkey NAME")
	}
	data, err := os.ReadFile(filepath.Join(harnessDir(ts), args[0], "port"))
	if err != nil {
		ts.Fatalf("wrongkey: unknown host %s: %v", args[0], err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(data)))
	ts.Check(err)
	knownHosts := filepath.Join(harnessDir(ts), "known_hosts")
	old, err := os.ReadFile(knownHosts)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		ts.Fatalf("%v", err)
	}
	prefix := fmt.Sprintf("[127.0.0.1]:%d ", port)
	var out strings.Builder
	for _, line := range strings.SplitAfter(string(old), "\n") {
		if line != "" && !strings.HasPrefix(line, prefix) {
			out.WriteString(line)
		}
	}
	signer, _ := newEd25519(ts, "wrong")
	out.WriteString(knownHostsLine(port, signer.PublicKey()))
	ts.Check(os.WriteFile(knownHosts, []byte(out.String()), 0o644))
}

// cmdSshd starts a real OpenSSH server on a free loopback port, with the
// remote home $WORK/remote/NAME, and stops it at the end of the script:
//
//	sshd NAME
//
// Its config and log are $WORK/.harness/NAME/sshd_config and sshd.log.
func cmdSshd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sshd NAME")
	}
	startSshdHost(ts, args[0])
}

// startSshdHost starts and registers the sshd host name.
func startSshdHost(ts harness, name string) {
	if _, err := os.Stat(sshdPath); err != nil {
		ts.Fatalf("sshd: %v (install openssh-server)", err)
	}
	dir := newHostDir(ts, name)
	home := filepath.Join(ts.Getenv("WORK"), "remote", name)
	ts.Check(os.MkdirAll(home, 0o755))
	if os.Geteuid() == 0 {
		// Debian's sshd wants its privilege separation directory.
		ts.Check(os.MkdirAll("/run/sshd", 0o755))
	}
	_, userPub := userKey(ts)
	authKeys := filepath.Join(harnessDir(ts), "authorized_keys")
	ts.Check(os.WriteFile(authKeys, gossh.MarshalAuthorizedKey(userPub), 0o644))
	hostKey := filepath.Join(dir, "ssh_host_ed25519_key")
	_, hostPub := writeKeyPair(ts, hostKey, "batou-test-host-"+name)

	var port int
	for attempt := 1; ; attempt++ {
		port = freePort(ts)
		err := startSshd(ts, dir, sshdConfig(ts, port, dir, hostKey, authKeys, home), port)
		if err == nil {
			break
		}
		if attempt == 3 || !errors.Is(err, errPortTaken) {
			ts.Fatalf("sshd %s: %v", name, err)
		}
	}
	registerHost(ts, harnessHost{name: name, port: port, home: home, key: hostPub})
}

// cmdSshaliases defines N more names, PREFIX01 to PREFIXNN, for a host
// defined before: each has its own Host block in ssh_config with the
// host's settings, and NAME_PORT and NAME_HOME variables with the host's
// values (they share its home):
//
//	sshaliases N PREFIX HOST
func cmdSshaliases(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: sshaliases N PREFIX HOST")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		ts.Fatalf("sshaliases: N must be a positive number, not %q", args[0])
	}
	addAliases(ts, n, args[1], args[2])
}

// addAliases registers n aliases prefix01... of host.
func addAliases(ts harness, n int, prefix, host string) {
	data, err := os.ReadFile(filepath.Join(harnessDir(ts), host, "port"))
	if err != nil {
		ts.Fatalf("sshaliases: unknown host %s: %v", host, err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(data)))
	ts.Check(err)
	home := ts.Getenv(scriptVar(host) + "_HOME")
	width := max(2, len(strconv.Itoa(n)))
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("%s%0*d", prefix, width, i)
		newHostDir(ts, name)
		// No key: the host's known_hosts line serves its aliases.
		registerHost(ts, harnessHost{name: name, port: port, home: home})
	}
}

// sshdConfig returns the server configuration of one sshd host.
func sshdConfig(ts harness, port int, dir, hostKey, authKeys, home string) string {
	lines := []string{
		"ListenAddress 127.0.0.1",
		"Port " + strconv.Itoa(port),
		"HostKey " + quoteConf(hostKey),
		"PidFile " + quoteConf(filepath.Join(dir, "sshd.pid")),
		"AuthorizedKeysFile " + quoteConf(authKeys),
		"AuthorizedPrincipalsFile none",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"HostbasedAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"PermitUserRC no",
		"UseDNS no",
		"PrintMotd no",
		"PrintLastLog no",
		"X11Forwarding no",
		"MaxSessions 100",
		"MaxStartups 100",
		"Subsystem sftp internal-sftp",
		"LogLevel ERROR",
		"SetEnv " + quoteConf("HOME="+home),
	}
	// SSHD_MAXSTARTUPS (set with env in a script) replaces MaxStartups.
	if m := ts.Getenv("SSHD_MAXSTARTUPS"); m != "" {
		for i, l := range lines {
			if strings.HasPrefix(l, "MaxStartups ") {
				lines[i] = "MaxStartups " + m
			}
		}
	}
	// SSHD_PATH (set with env in a script) puts stand-in commands, a
	// sudo say, first on the host's PATH.
	if p := ts.Getenv("SSHD_PATH"); p != "" {
		lines[len(lines)-1] += " " + quoteConf("PATH="+p+":/usr/local/bin:/usr/bin:/bin")
	}
	return strings.Join(lines, "\n") + "\n"
}

// errPortTaken reports that sshd could not bind its port.
var errPortTaken = errors.New("port taken")

// startSshd writes the config, starts sshd, waits for its banner and arranges
// for it and every process below it to be stopped at the end of the script.
func startSshd(ts harness, dir, config string, port int) error {
	configPath := filepath.Join(dir, "sshd_config")
	ts.Check(os.WriteFile(configPath, []byte(config), 0o644))
	logPath := filepath.Join(dir, "sshd.log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	ts.Check(err)
	defer logFile.Close()
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", configPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	ts.Check(cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	err = waitBanner(port, done)
	if err != nil {
		stopTree(cmd.Process.Pid, done)
		logText, _ := os.ReadFile(logPath)
		if strings.Contains(string(logText), "Address already in use") {
			return fmt.Errorf("%w: %s", errPortTaken, logText)
		}
		return fmt.Errorf("%w; %s says:\n%s", err, logPath, logText)
	}
	ts.Defer(func() { stopTree(cmd.Process.Pid, done) })
	return nil
}

// waitBanner waits until a server on the loopback port greets with an SSH
// banner, or done is closed.
func waitBanner(port int, done <-chan struct{}) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return errors.New("sshd exited")
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			line, rerr := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if rerr == nil && strings.HasPrefix(line, "SSH-2.0-") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("sshd did not answer within 15s")
}

// stopTree stops the process pid and all its descendants: SIGTERM first
// (with SIGCONT, for one a script stopped with SIGSTOP: a stopped process
// keeps a SIGTERM pending), SIGKILL for what is still there after a few
// seconds. done is closed when pid has been reaped.
func stopTree(pid int, done <-chan struct{}) {
	kids := descendants(pid)
	for _, p := range kids {
		syscall.Kill(p, syscall.SIGTERM)
		syscall.Kill(p, syscall.SIGCONT)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		<-done
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, p := range kids {
		for alive(p) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(p) {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
}

// descendants lists the processes below pid, from /proc.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _, ok := procStat(p); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		kids := children[queue[0]]
		queue = append(queue[1:], kids...)
		out = append(out, kids...)
	}
	return out
}

// procStat returns the parent and state of a process.
func procStat(pid int) (ppid int, state string, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", false
	}
	// The command name is in parentheses and may contain anything.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, "", false
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 2 {
		return 0, "", false
	}
	ppid, err = strconv.Atoi(fields[1])
	return ppid, fields[0], err == nil
}

// alive reports whether a process exists and is not a zombie.
func alive(pid int) bool {
	_, state, ok := procStat(pid)
	return ok && state != "Z"
}
