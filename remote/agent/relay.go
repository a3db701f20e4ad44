package agent

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"

	"github.com/batou-go/batou/runtime/plan"
)

// Relay serves the agents of several hosts that are one machine over one
// connection (see plan.FrameOpen): every stream the controller opens gets
// an agent of its own, a child process that start returns unstarted, and
// the stdio of all of them is carried in frames on in and out. Each agent
// works exactly as if the controller had started it over a session of
// its own, so a lost connection ends every agent's input and each stops
// as an orphaned agent does. Relay returns when in has ended and every
// agent has exited.
func Relay(in io.Reader, out io.Writer, start func() *exec.Cmd) error {
	r := &relay{out: out, kids: map[uint32]*relayed{}}
	fr := plan.NewFrameReader(bufio.NewReaderSize(in, 256<<10))
	var err error
	for {
		var f plan.Frame
		f, err = fr.Read()
		if err != nil {
			break
		}
		switch f.Kind {
		case plan.FrameOpen:
			if r.kids[f.Stream] != nil {
				err = fmt.Errorf("relay: stream %d opened twice", f.Stream)
				break
			}
			r.open(f.Stream, start())
		case plan.FrameInput, plan.FrameClose:
			k := r.kids[f.Stream]
			if k == nil {
				err = fmt.Errorf("relay: frame for stream %d, which is not open", f.Stream)
				break
			}
			if f.Kind == plan.FrameClose {
				k.in.close()
			} else {
				k.in.write(f.Data)
			}
		default:
			err = fmt.Errorf("relay: unknown frame kind %q", f.Kind)
		}
		if err != nil {
			break
		}
	}
	// The controller is gone (or said something this relay does not
	// understand): every agent's input ends, and each stops as it does
	// when its own session is lost.
	for _, k := range r.kids {
		k.in.close()
	}
	r.wg.Wait()
	if err == io.EOF {
		return nil
	}
	return err
}

type relay struct {
	mu     sync.Mutex // writes to out
	out    io.Writer
	broken bool // out failed: output is dropped from then on
	buf    []byte
	kids   map[uint32]*relayed
	wg     sync.WaitGroup
}

// relayed is one agent of a relay.
type relayed struct {
	in *queue
}

// send writes a frame, split into pieces that fit MaxFrame.
func (r *relay) send(kind byte, stream uint32, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), plan.MaxFrame)
		r.buf = plan.AppendFrame(r.buf[:0], kind, stream, data[:n])
		data = data[n:]
		if r.broken {
			continue
		}
		if _, err := r.out.Write(r.buf); err != nil {
			r.broken = true
		}
	}
}

// open starts cmd as the agent of stream. Its input is queued, so one
// agent that reads slowly does not hold up the others; its output is
// sent as it comes, and its exit status after all of its output.
func (r *relay) open(stream uint32, cmd *exec.Cmd) {
	k := &relayed{in: newQueue()}
	r.kids[stream] = k
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		status := r.run(stream, cmd, k)
		r.send(plan.FrameExit, stream, []byte(status))
	}()
}

// run runs the agent of stream and returns its exit status: "0", another
// number, or a message when it did not start or was killed by a signal.
func (r *relay) run(stream uint32, cmd *exec.Cmd, k *relayed) string {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		k.in.discard()
		return "relay: " + err.Error()
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		k.in.discard()
		return "relay: " + err.Error()
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		k.in.discard()
		return "relay: " + err.Error()
	}
	if err := cmd.Start(); err != nil {
		k.in.discard()
		return "relay: starting the agent: " + err.Error()
	}
	go k.in.feed(stdin)
	var copies sync.WaitGroup
	copies.Add(2)
	pump := func(kind byte, src io.Reader) {
		defer copies.Done()
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				r.send(kind, stream, buf[:n])
			}
			if err != nil {
				return
			}
		}
	}
	go pump(plan.FrameOutput, stdout)
	go pump(plan.FrameStderr, stderr)
	copies.Wait() // before Wait, which closes the pipes
	err = cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "0"
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return strconv.Itoa(ee.ExitCode())
	default:
		return err.Error()
	}
}

// queue is an agent's input: written by the frame reader without ever
// blocking, fed to the agent's stdin as it reads.
type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	chunks [][]byte
	closed bool
	drop   bool
}

func newQueue() *queue {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *queue) write(p []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.drop {
		return
	}
	q.chunks = append(q.chunks, append([]byte(nil), p...))
	q.cond.Signal()
}

func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Signal()
}

// discard drops what is queued and whatever comes (the agent is gone).
func (q *queue) discard() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.drop, q.chunks = true, nil
}

// feed writes the queue to w until it is closed, then closes w. When the
// agent stops reading (it has ended), the rest is dropped.
func (q *queue) feed(w io.WriteCloser) {
	defer w.Close()
	for {
		q.mu.Lock()
		for len(q.chunks) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.chunks) == 0 {
			q.mu.Unlock()
			return
		}
		chunks := q.chunks
		q.chunks = nil
		q.mu.Unlock()
		for _, c := range chunks {
			if _, err := w.Write(c); err != nil {
				q.discard()
				return
			}
		}
	}
}
