package remote

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/batou-go/batou/runtime/plan"
)

// Several hosts of an environment may be one machine (aliases, or
// services given host names of their own). They share a master
// connection, and their agents share one relay session on it: "batou
// agent --relay" runs an agent per host in its process and carries the
// input and output of all of them in frames (plan.FrameOpen). That is one
// ssh client process, one sshd session, one shell and one agent process
// for the machine instead of one each per host, and no second login when
// there are more hosts than sshd's MaxSessions. Each host's agent still
// has its own plan, lock, workdir and events; a lost connection ends the
// input of every agent, and each stops as an orphaned agent does. They
// share the process's fate, though: a crash of the relay (a panic outside
// an agent's main goroutine) ends every agent of the machine, and the
// peak memory each reports is the relay's.

// relaySession is the controller's side of one relay session.
type relaySession struct {
	h     *sshHost // the host that started it (for its errors)
	ready chan struct{}
	err   error // set before ready closes: the relay did not start
	// stuck is set with err when a step of starting it was ended (it
	// took too long, or Ctrl-C): the other hosts fail with that error
	// rather than try a session of their own on the same machine.
	stuck bool
	users int // under masterPool.mu

	cmd    *exec.Cmd
	stderr *lockedWriter
	done   chan struct{} // the session has ended

	wmu  sync.Mutex // writes to in
	in   io.WriteCloser
	wbuf []byte

	mu      sync.Mutex
	streams map[uint32]*relayStream
	next    uint32
	ended   error // set when the session has ended
	// abandoned is set when an agent that did not start was given up
	// (abandon): the relay runs until that agent ends, which may be
	// never, so close ends the session.
	abandoned bool
}

// relayStream is one agent of a relay session.
type relayStream struct {
	out    *bufPipe
	stderr *lockedWriter
	exited chan struct{}
	err    error // how the agent ended, set before exited closes
}

// relayKey tells apart the relays of one master: agents that run as
// another user, or are another binary, are started by another relay.
func relayKey(su sudo, want string, f *agentFile) string {
	return su.user + "\x00" + want + "\x00" + agentName(f)
}

// relay returns m's relay session for key and counts the caller as one of
// its users; fresh means the caller starts it and then closes its ready.
func (p *masterPool) relay(m *master, key string, h *sshHost) (r *relaySession, fresh bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r = m.relays[key]; r != nil {
		r.users++
		return r, false
	}
	if m.relays == nil {
		m.relays = map[string]*relaySession{}
	}
	r = &relaySession{h: h, ready: make(chan struct{}), users: 1, streams: map[uint32]*relayStream{}}
	m.relays[key] = r
	m.sessions++
	return r, true
}

// unrelay ends one use of r; it reports whether it was the last.
func (p *masterPool) unrelay(m *master, key string, r *relaySession) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	r.users--
	if r.users > 0 {
		return false
	}
	if m.relays[key] == r {
		delete(m.relays, key)
	}
	m.sessions--
	return true
}

// noRelay is why a relay could not serve a host, which then goes the
// usual way.
type noRelay struct{ err error }

func (e noRelay) Error() string { return "no relay: " + e.err.Error() }

// startRelayed starts the agent of t in the relay session of its master,
// starting that session when it is the first host there; f is the agent
// the host most probably has. A noRelay error
// means the relay could not serve the host; the caller still holds its
// master then. Once the agent is started, closing it releases the master.
func (d *Deployment) startRelayed(h *sshHost, t *Target, f *agentFile, req plan.Request) (*conn, error) {
	su, want := sudoOf(t)
	key := relayKey(su, want, f)
	m := h.m
	r, fresh := d.masters.relay(m, key, h)
	if fresh {
		r.err = d.startRelay(r, h, t, su, f, want)
		if err := h.w.done(nil); err != nil {
			r.err, r.stuck = err, true
		}
		close(r.ready)
	}
	<-r.ready
	c, err := r.open(t.Host)
	if err != nil {
		if d.masters.unrelay(m, key, r) {
			r.close()
		}
		if r.stuck {
			d.masters.release(m, true)
			return nil, renamed(err, r.h.dest, h.dest)
		}
		return nil, noRelay{err}
	}
	c.cleanup = func() {
		if d.masters.unrelay(m, key, r) {
			r.close()
		}
		d.masters.release(m, true)
	}
	h.w.watchSession(c, readyStep(t))
	return withPlan(c, nil, req)
}

// startRelay starts the relay session: the cached agent as a relay when
// the host has it; otherwise the agent is uploaded first, as for a host
// on its own.
func (d *Deployment) startRelay(r *relaySession, h *sshHost, t *Target, su sudo, f *agentFile, want string) error {
	cmd := h.command(su.wrap(cachedScript(f, want, "agent --relay")))
	stdin, stdout, stderr, err := pipes(cmd)
	if err != nil {
		return fmt.Errorf("starting ssh: %w", err)
	}
	h.w.step(checkStep(su), killGroup(cmd.Process))
	br := bufio.NewReaderSize(stdout, 256<<10)
	first, err := br.ReadString('\n')
	if strings.TrimSpace(first) == markAgent {
		h.w.step(relayStep, killGroup(cmd.Process))
		return r.begin(cmd, stdin, br, stderr)
	}
	h.w.step(probeStep(su), killGroup(cmd.Process))
	p, err := h.probeAnswer(cmd, br, first, err, stderr, su, func() { _ = stdin.Close() })
	h.w.stop()
	if err != nil {
		return err
	}
	// The relay (and so every agent of the machine) runs as the service
	// user through sudo when the login user is someone else, as an agent
	// of its own would.
	su, path, err := d.provision(h, t, su, want, p)
	if err != nil {
		return err
	}
	cmd = h.command(su.wrap("exec " + shellQuote(path) + " agent --relay"))
	if stdin, stdout, stderr, err = pipes(cmd); err != nil {
		return fmt.Errorf("starting ssh: %w", err)
	}
	h.w.step(relayStep, killGroup(cmd.Process))
	return r.begin(cmd, stdin, bufio.NewReaderSize(stdout, 256<<10), stderr)
}

// relayStep is the step of a relay session that has started the relay:
// it says hello when it runs.
const relayStep = "starting the agent as the relay of the machine's hosts"

// begin waits for the relay's hello and then serves the session. A relay
// that does not say hello (an agent that cannot relay, or one that
// failed) is ended, and its error makes the hosts go the usual way.
func (r *relaySession) begin(cmd *exec.Cmd, in io.WriteCloser, out io.Reader, stderr *lockedWriter) error {
	fr := plan.NewFrameReader(out)
	f, err := fr.Read()
	if err == nil && f.Kind == plan.FrameHello && string(f.Data) == plan.RelayHello {
		r.serve(cmd, in, fr, stderr)
		return nil
	}
	_ = in.Close()
	_, _ = io.Copy(io.Discard, out)
	werr := r.h.sessionError(cmd.Wait(), stderr.String())
	if werr == nil {
		werr = fmt.Errorf("the relay did not start (it said %q first)", f.Data)
	}
	return fmt.Errorf("starting the relay: %w", werr)
}

// serve takes over the started relay session: frames from out are handed
// to their streams until the session ends.
func (r *relaySession) serve(cmd *exec.Cmd, in io.WriteCloser, fr *plan.FrameReader, stderr *lockedWriter) {
	r.cmd, r.in, r.stderr = cmd, in, stderr
	r.done = make(chan struct{})
	go r.read(fr)
}

func (r *relaySession) read(fr *plan.FrameReader) {
	defer close(r.done)
	var ferr error
	for {
		f, err := fr.Read()
		if err != nil {
			if err != io.EOF {
				ferr = err
				fr.Discard() // so that ssh can end
			}
			break
		}
		r.mu.Lock()
		s := r.streams[f.Stream]
		if f.Kind == plan.FrameExit {
			delete(r.streams, f.Stream)
		}
		r.mu.Unlock()
		if s == nil {
			continue
		}
		switch f.Kind {
		case plan.FrameOutput:
			s.out.write(f.Data)
		case plan.FrameStderr:
			_, _ = s.stderr.Write(f.Data)
		case plan.FrameExit:
			s.end(exitStatus(string(f.Data)))
		}
	}
	err := r.h.sessionError(r.cmd.Wait(), r.stderr.String())
	if err == nil {
		err = ferr
	}
	if err == nil {
		err = errors.New("the relay session on the host ended before the agent")
	}
	r.mu.Lock()
	r.ended = err
	left := r.streams
	r.streams = nil
	r.mu.Unlock()
	for _, s := range left {
		s.end(err)
	}
}

// exitStatus is the error of an agent that ended with status (as the
// relay reports it); nil for 0.
func exitStatus(status string) error {
	if status == "0" {
		return nil
	}
	if n, err := strconv.Atoi(status); err == nil {
		return fmt.Errorf("exit status %d", n)
	}
	return errors.New(status)
}

func (s *relayStream) end(err error) {
	s.err = err
	s.out.close()
	close(s.exited)
}

// open starts an agent for host in the relay.
func (r *relaySession) open(host string) (*conn, error) {
	if r.err != nil {
		return nil, r.err
	}
	s := &relayStream{out: newBufPipe(), stderr: &lockedWriter{buf: &bytes.Buffer{}}, exited: make(chan struct{})}
	r.mu.Lock()
	if r.ended != nil {
		r.mu.Unlock()
		return nil, r.ended
	}
	r.next++
	id := r.next
	r.streams[id] = s
	r.mu.Unlock()
	if err := r.write(plan.FrameOpen, id, nil); err != nil {
		return nil, err
	}
	c := &conn{host: host, stdin: &streamInput{r: r, id: id}, events: make(chan plan.Event, 64),
		stderr: s.stderr.buf, done: make(chan struct{}), abort: func() { r.abandon(id) }}
	c.wait = func() error {
		<-s.exited
		return s.err
	}
	go c.read(s.out)
	return c, nil
}

// write sends data to the relay as frames of kind.
func (r *relaySession) write(kind byte, id uint32, data []byte) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	r.wbuf = plan.AppendFrames(r.wbuf[:0], kind, id, data)
	_, err := r.in.Write(r.wbuf)
	return err
}

// abandon gives up the agent of stream id, which did not start: its
// stream ends here at once, with an error; what the relay still sends
// for it is dropped.
func (r *relaySession) abandon(id uint32) {
	r.mu.Lock()
	s := r.streams[id]
	if s != nil {
		delete(r.streams, id)
		r.abandoned = true
	}
	r.mu.Unlock()
	if s != nil {
		s.end(errors.New("its agent in the relay session did not start and was given up"))
	}
}

// close ends the relay session after its last agent: the relay sees its
// input end and exits once its agents have. An agent given up (abandon)
// may never end: then the session is ended.
func (r *relaySession) close() {
	if r.in == nil {
		return
	}
	_ = r.in.Close()
	r.mu.Lock()
	abandoned := r.abandoned
	r.mu.Unlock()
	if abandoned {
		killGroup(r.cmd.Process)()
	}
	<-r.done
}

// streamInput is an agent's stdin in a relay session.
type streamInput struct {
	r  *relaySession
	id uint32
}

func (w *streamInput) Write(p []byte) (int, error) {
	if err := w.r.write(plan.FrameInput, w.id, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *streamInput) Close() error { return w.r.write(plan.FrameClose, w.id, nil) }

// bufPipe is an agent's output in a relay session: the session's reader
// writes it without ever waiting (so one host whose events are not read
// yet holds up no other), the host's conn reads it.
type bufPipe struct {
	mu     sync.Mutex
	cond   *sync.Cond
	data   []byte
	closed bool
}

func newBufPipe() *bufPipe {
	b := &bufPipe{}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *bufPipe) write(p []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data = append(b.data, p...)
	b.cond.Signal()
}

func (b *bufPipe) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.cond.Signal()
}

func (b *bufPipe) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.data) == 0 && !b.closed {
		b.cond.Wait()
	}
	if len(b.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	if len(b.data) == 0 {
		b.data = nil
	}
	return n, nil
}
