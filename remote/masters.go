package remote

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// sessionsPerMaster is how many sessions one master connection carries at
// once: a host's agent is one long session (unless relayed), and sshd
// refuses sessions beyond its MaxSessions (10 unless configured
// otherwise). Hosts whose agents share a relay session (relay.go) need
// none of their own, so any number of them share one master.
const sessionsPerMaster = 10

// loginsPerServer bounds the logins that one deploy has under way at once
// to one sshd (and to one ProxyJump host): sshd starts dropping new
// connections at random once 10 are not yet logged in (MaxStartups).
const loginsPerServer = 8

// masterPool holds the ssh master connections of one deploy. Hosts whose
// ssh configuration (ssh -G) is the same, such as several aliases of one
// machine, share a master: one key exchange and login instead of one per
// host, and one connection that sshd's MaxStartups sees instead of many.
type masterPool struct {
	mu      sync.Mutex
	dir     string // private socket directory, made on first use
	dirErr  error
	made    bool
	sockets int                  // sockets named so far
	byKey   map[string][]*master // by connection key
	live    map[*master]bool     // started and not yet ended
	aborted bool
	// gates bound the logins under way per server (loginsPerServer),
	// all those in all (connectLimit).
	gates map[string]chan struct{}
	all   chan struct{}
	// share is set when more than one host connects over ssh: only then
	// is a host's configuration resolved to find the hosts that share.
	share bool
	// early holds the keys resolved while the model was configured.
	early *Prestarted
}

// directory returns the socket directory, creating it on first use.
func (p *masterPool) directory() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.directoryLocked()
}

func (p *masterPool) directoryLocked() (string, error) {
	if !p.made {
		p.made = true
		p.dir, p.dirErr = controlDir()
		if p.dirErr != nil {
			p.dirErr = fmt.Errorf("creating a directory for ssh sockets: %w", p.dirErr)
		}
	}
	return p.dir, p.dirErr
}

// connectionKey is what identifies the connection ssh would make to dest
// with the options args: ssh -G's resolved options without the host name
// it was given. "" when ssh cannot tell (then the host gets a master of
// its own, whose start reports the problem).
func connectionKey(args []string, dest string) string {
	key, _ := resolveKey(args, dest)
	return key
}

// resolveKey is connectionKey, with the configuration files ssh says
// (ssh -v) it read; read is nil when ssh said nothing of them.
func resolveKey(args []string, dest string) (key string, read []string) {
	cmd := exec.Command("ssh", append(append(args[:len(args):len(args)], "-v", "-G"), dest)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", nil
	}
	const reading = "debug1: Reading configuration data "
	for line := range strings.SplitSeq(stderr.String(), "\n") {
		if path, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), reading); ok {
			read = append(read, path)
		}
	}
	var b strings.Builder
	for line := range strings.SplitSeq(string(out), "\n") {
		if !strings.HasPrefix(line, "host ") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String(), read
}

// aloneKey is the key of the master of h when it is the only host that
// connects over ssh: its ssh arguments and destination (no ssh -G is
// asked), so that a master started early is found again.
func aloneKey(h *sshHost) string {
	return "alone\x00" + keyOf(h.baseArgs(), h.dest)
}

// warm starts the master of key for h ahead of the host's connect, held
// by the caller until unwarm: a login that overlaps with configuring the
// model. ctx ends a login still under way.
func (p *masterPool) warm(ctx context.Context, key string, h *sshHost) *master {
	m, fresh, err := p.take(key, h, true)
	if err != nil {
		return nil
	}
	if fresh {
		go func() {
			m.err = p.login(ctx, m)
			close(m.ready)
		}()
	}
	return m
}

// unwarm ends the hold of warm once the login is over.
func (p *masterPool) unwarm(m *master) {
	<-m.ready
	p.release(m, true)
}

// acquire returns a started master for h (sharing one when it can) and
// counts h as its user; release ends that use. When mayRelay is set and
// other hosts of this deploy connect the same way (aliases of one
// machine), relayed is set: the caller runs its agent through the
// master's relay session rather than a session of its own.
func (p *masterPool) acquire(ctx context.Context, h *sshHost, mayRelay bool) (m *master, relayed bool, err error) {
	key := aloneKey(h)
	if p.sharing() {
		key = p.early.connectionKey(h.baseArgs(), h.dest)
	}
	// Whether others share the key is known once every host's key is
	// resolved, which may take longer than this host's own: the master
	// starts first, as a relayed host's (which needs no session of its
	// own), and the host turns out to be alone only after its login.
	relayed = mayRelay && p.sharing() && key != "" && p.early.resolved(h.baseArgs(), h.dest)
	if m, err = p.acquireKey(ctx, h, key, relayed); err != nil || !relayed {
		return m, relayed, err
	}
	if p.early.sharedBy(key) < 2 {
		p.mu.Lock()
		m.sessions++
		p.mu.Unlock()
		relayed = false
	}
	return m, relayed, nil
}

func (p *masterPool) acquireKey(ctx context.Context, h *sshHost, key string, relayed bool) (*master, error) {
	m, fresh, err := p.take(key, h, relayed)
	if err != nil {
		return nil, err
	}
	if fresh {
		m.err = p.login(ctx, m)
		close(m.ready)
	}
	select {
	case <-m.ready:
	case <-ctx.Done():
		p.release(m, relayed)
		return nil, interrupted(h.dest)
	}
	if m.err != nil {
		p.release(m, relayed)
		return nil, renamed(m.err, m.dest, h.dest)
	}
	return m, nil
}

// login starts m, waiting first while loginsPerServer other logins to
// the same server or jump host are under way.
func (p *masterPool) login(ctx context.Context, m *master) error {
	var held []chan struct{}
	defer func() {
		for _, g := range held {
			<-g
		}
	}()
	gates := []chan struct{}{}
	for _, name := range servers(m.key) {
		gates = append(gates, p.gate(name))
	}
	// Last, and in this order for every login, so that no two logins wait
	// for each other's gates.
	gates = append(gates, p.allGate())
	for _, g := range gates {
		select {
		case g <- struct{}{}:
			held = append(held, g)
		case <-ctx.Done():
			return interrupted(m.dest)
		}
	}
	return m.connect(ctx)
}

// allGate bounds the logins under way at once in all (connectLimit):
// masters log in while the model is configured, for every host at once
// but for this.
func (p *masterPool) allGate() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.all == nil {
		p.all = make(chan struct{}, connectLimit)
	}
	return p.all
}

// servers names the sshd and the jump host (if any) that a connection
// with key logs in to, in a fixed order.
func servers(key string) []string {
	var host, port, jump string
	for line := range strings.SplitSeq(key, "\n") {
		name, value, _ := strings.Cut(line, " ")
		switch name {
		case "hostname":
			host = value
		case "port":
			port = value
		case "proxyjump":
			jump = value
		}
	}
	var out []string
	if host != "" {
		out = append(out, "server "+host+":"+port)
	}
	if jump != "" && jump != "none" {
		out = append(out, "jump "+jump)
	}
	return out
}

// gate returns the semaphore of a server.
func (p *masterPool) gate(name string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gates == nil {
		p.gates = map[string]chan struct{}{}
	}
	g := p.gates[name]
	if g == nil {
		g = make(chan struct{}, loginsPerServer)
		p.gates[name] = g
	}
	return g
}

func (p *masterPool) sharing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.share
}

// take finds a master with room for key, or makes a new one (fresh) that
// the caller starts. A relayed host needs no session of its own.
func (p *masterPool) take(key string, h *sshHost, relayed bool) (m *master, fresh bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.aborted {
		return nil, false, fmt.Errorf("ssh to %s: batou is ending", h.dest)
	}
	if key != "" {
		for _, m := range p.byKey[key] {
			if !m.ended && !m.lost() && (relayed || m.sessions < sessionsPerMaster) {
				m.users++
				if !relayed {
					m.sessions++
				}
				return m, false, nil
			}
		}
	}
	dir, err := p.directoryLocked()
	if err != nil {
		return nil, false, err
	}
	p.sockets++
	m = &master{pool: p, key: key, socket: socketPath(dir, p.sockets), config: h.config, dest: h.dest,
		timeout: h.timeout, ready: make(chan struct{}), users: 1}
	if !relayed {
		m.sessions = 1
	}
	if key != "" {
		if p.byKey == nil {
			p.byKey = map[string][]*master{}
		}
		p.byKey[key] = append(p.byKey[key], m)
	}
	return m, true, nil
}

// started records a running master, or kills it when batou is ending.
func (p *masterPool) started(m *master) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.aborted {
		return false
	}
	if p.live == nil {
		p.live = map[*master]bool{}
	}
	p.live[m] = true
	return true
}

// release ends one use of m (relayed as acquired); the last user's
// release ends the master.
func (p *masterPool) release(m *master, relayed bool) {
	p.mu.Lock()
	m.users--
	if !relayed {
		m.sessions--
	}
	last := m.users == 0 && !m.ended
	if last {
		m.ended = true
		p.forget(m)
	}
	p.mu.Unlock()
	if last {
		m.close()
		p.mu.Lock()
		delete(p.live, m)
		p.mu.Unlock()
	}
}

// forget removes m from the masters new hosts may share.
func (p *masterPool) forget(m *master) {
	list := p.byKey[m.key]
	for i, x := range list {
		if x == m {
			p.byKey[m.key] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(p.byKey[m.key]) == 0 {
		delete(p.byKey, m.key)
	}
}

// ended forgets a master whose ssh has exited (a failed start).
func (p *masterPool) ended(m *master) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.live, m)
	m.cmd, m.exited = nil, nil
}

// abort kills every master at once, for when batou must end without
// closing its deploy (a second Ctrl-C). Masters that start later are
// killed as they come up.
func (p *masterPool) abort() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.aborted = true
	for m := range p.live {
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// remove deletes the socket directory (its masters have ended).
func (p *masterPool) remove() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dir != "" {
		_ = os.RemoveAll(p.dir)
	}
}

// master is one OpenSSH master connection (ControlMaster) that the
// sessions of one or more hosts are multiplexed over.
type master struct {
	pool    *masterPool
	key     string
	socket  string
	config  string // the -F file of the host it was started for
	dest    string // that host
	timeout time.Duration
	cmd     *exec.Cmd
	exited  chan error    // the master's exit
	stderr  *lockedWriter // what the master says
	ready   chan struct{} // closed when started or failed (then err)
	err     error
	dead    atomic.Bool // its ssh has exited
	users   int         // under pool.mu: hosts using it
	ended   bool        // under pool.mu: closing or closed
	// sessions counts the long sessions over it (pool.mu): hosts with a
	// session of their own, and relay sessions.
	sessions int
	// relays are its relay sessions by relayKey (pool.mu).
	relays map[string]*relaySession
}

// lost reports whether m logged in and has ended since (the connection
// dropped while the model was configured, say): hosts that come later
// get a master of their own. A failed login is not lost: its error is
// every sharing host's.
func (m *master) lost() bool {
	select {
	case <-m.ready:
		return m.err == nil && m.dead.Load()
	default:
		return false
	}
}

// newStderr gives the master a fresh buffer for what ssh says.
func (m *master) newStderr() *lockedWriter {
	m.stderr = &lockedWriter{buf: &bytes.Buffer{}}
	return m.stderr
}
