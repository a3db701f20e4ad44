package remote

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// conn is the controller's side of one agent.
type conn struct {
	host string
	// wait waits for the agent to exit (its process, or its stream of a
	// relay) and returns how it ended.
	wait   func() error
	stdin  io.WriteCloser
	events chan plan.Event
	stderr *bytes.Buffer
	done   chan struct{}
	mu     sync.Mutex
	// sent counts the bytes sent to the agent (plan and requests).
	sent int64
	// cleanup runs after the agent has ended (closes an ssh master).
	cleanup func()
	// lost is set when the agent went away unasked (already reported).
	lost bool
	// master tells, for an agent over ssh (nil otherwise), what the ssh
	// master under its session said last and whether it still runs,
	// waiting up to the given time for a running one to end.
	master func(wait time.Duration) (said string, up bool)
	// plan is the host's plan; blobs answers the agent's requests for
	// the content of its blobs.
	plan  *plan.Plan
	blobs blobServer
	// agentRSS is the agent's peak memory, from its bye event.
	agentRSS int64
	// abort ends the agent at once, for one that does not start: its
	// process group (over ssh: its session's), or its stream of a relay.
	abort func()
}

// startLocal runs the agent as a child process.
func startLocal(host string, agent []string, env []string) (*conn, error) {
	cmd := exec.Command(agent[0], agent[1:]...)
	cmd.Env = env
	// Own session, without a controlling terminal: Ctrl-C reaches the
	// controller, which then stops the agents in order instead of killing
	// them mid-component; and a command that asks at the terminal (sudo
	// for a password, read < /dev/tty) fails at once, as over ssh, instead
	// of being stopped (SIGTTIN) for ever in a background process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return startCmd(host, cmd)
}

func startCmd(host string, cmd *exec.Cmd) (*conn, error) {
	c, stdout, err := newConn(host, cmd)
	if err != nil {
		return nil, err
	}
	go c.read(stdout)
	return c, nil
}

// newConn starts cmd; the caller starts reading its output with c.read.
func newConn(host string, cmd *exec.Cmd) (*conn, io.Reader, error) {
	stdin, stdout, stderr, err := pipes(cmd)
	if err != nil {
		return nil, nil, fmt.Errorf("starting agent: %w", err)
	}
	// Waited for once: a lost agent's exit status is looked at as soon as
	// it is lost (lostText), and again when the connection is closed.
	c := &conn{host: host, wait: sync.OnceValue(cmd.Wait), stdin: stdin,
		events: make(chan plan.Event, 64), stderr: stderr.buf, done: make(chan struct{}),
		abort: killGroup(cmd.Process)}
	return c, stdout, nil
}

// pipes starts cmd with pipes for its input and output and a buffer for
// what it says on stderr.
func pipes(cmd *exec.Cmd) (io.WriteCloser, io.Reader, *lockedWriter, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	stderr := &lockedWriter{buf: &bytes.Buffer{}}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, err
	}
	return stdin, stdout, stderr, nil
}

// read decodes events until the agent's output ends.
func (c *conn) read(r io.Reader) {
	defer close(c.events)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var ep plan.EventParser
	for sc.Scan() {
		e, err := ep.Parse(sc.Bytes())
		if err != nil {
			e = otherEvent(sc.Bytes())
		}
		e.Host = c.host
		c.events <- e
	}
}

// otherEvent is a line the direct parser does not read: an event that
// only encoding/json reads, or else text, shown as a log line. (A
// function of its own: the address of an event given to encoding/json
// would move every event of read to the heap.)
func otherEvent(line []byte) plan.Event {
	var e plan.Event
	if err := json.Unmarshal(line, &e); err != nil {
		return plan.Event{Type: plan.EventLog, Message: strings.TrimSpace(string(line))}
	}
	return e
}

// send writes one request to the agent.
func (c *conn) send(req plan.Request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := plan.WriteRequest(c.stdin, req)
	c.sent += n
	var werr *plan.WriteError
	switch {
	case errors.As(err, &werr):
		return fmt.Errorf("sending to the agent: %w", werr.Err)
	case err != nil:
		return fmt.Errorf("encoding a request: %w", err)
	}
	return nil
}

// next returns the next event, or false when the agent has gone away.
func (c *conn) next() (plan.Event, bool) {
	e, ok := <-c.events
	return e, ok
}

// close asks the agent to stop and waits for it.
func (c *conn) close() error {
	_ = c.send(plan.Request{Type: "stop"})
	_ = c.stdin.Close()
	for e := range c.events {
		if e.Type == plan.EventBye {
			c.agentRSS = e.MaxRSS
		}
	}
	err := c.wait()
	if c.cleanup != nil {
		c.cleanup()
	}
	if err != nil && !c.lost {
		return fmt.Errorf("agent: %w%s", err, c.stderrText())
	}
	return nil
}

// lostText says, for a lost agent, what its stderr and its ssh master
// said last (each on a line of its own), or "", and a hint when that
// tells why.
func (c *conn) lostText() (text, hint string) {
	// Once its process has ended, all it wrote to stderr has been read.
	ee := c.exitOf(time.Second)
	text = c.stderrText()
	if c.master != nil {
		// A master that ended the connection (the host stopped answering)
		// ends itself right after; one still up after that grace is.
		said, up := c.master(2 * time.Second)
		if said != "" {
			text += "\nits ssh master connection said: " + said
			hint = "check that the host is up and reachable (ssh to it), then deploy again; its agent lets go of the lock once it sees the connection gone"
		} else if up && text == "" && ee != nil && ee.ExitCode() == 255 {
			// The connection is there, and the session ended without an
			// exit status: sshd saw its command die of a signal.
			text = "\nits ssh session ended without an exit status (ssh exited 255): the agent was killed on the host"
			hint = "something killed it: the OOM killer (see the host's kernel log: journalctl -k or dmesg), a resource limit, or a kill; the next deploy takes over the lock it left"
		}
		return text, hint
	}
	if ee != nil {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			text += fmt.Sprintf("\nthe agent was killed by signal %d (%s)", int(ws.Signal()), ws.Signal())
			hint = "something killed it: the OOM killer (see the kernel log: journalctl -k or dmesg), a resource limit, or a kill; the next deploy takes over the lock it left"
		}
	}
	return text, hint
}

// exitOf waits up to d for the agent's process (over ssh: its session's
// ssh) to end, and returns how it failed; nil when it ended well or not
// within d.
func (c *conn) exitOf(d time.Duration) *exec.ExitError {
	done := make(chan error, 1)
	go func() { done <- c.wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee
		}
	case <-time.After(d):
	}
	return nil
}

// stderrText is what the agent wrote to stderr, for error messages.
func (c *conn) stderrText() string {
	s := strings.TrimSpace(c.stderr.String())
	if s == "" {
		return ""
	}
	return "\n" + s
}

type lockedWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

// String returns what was written so far.
func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}
