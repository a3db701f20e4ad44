package agent

import (
	"bufio"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/batou-go/batou/runtime/plan"
)

// Serve runs one agent on stdin and stdout, as Run does; exit is what
// its Options.Exit must be.
type Serve func(stdin io.Reader, stdout io.Writer, exit func(code int)) error

// Relay serves the agents of several hosts that are one machine over one
// connection (see plan.FrameOpen): every stream the controller opens gets
// an agent of its own, run by serve in this process, and the input and
// output of all of them is carried in frames on in and out. Each agent
// has its own plan, lock, workdir and events, exactly as if the controller
// had started it over a session of its own (agents do not change the
// process's directory or other process-wide state), and a lost
// connection ends every agent's input, so each stops as an orphaned agent
// does. One process instead of one per host saves each host the start of
// a process and its runtime (about 6 ms of CPU). Relay returns when in has
// ended and every agent has finished or given up (Options.Exit: an agent
// that cannot stop is abandoned; the process ends with the relay, which
// releases its lock).
func Relay(in io.Reader, out io.Writer, serve Serve) error {
	r := &relay{out: out, kids: map[uint32]*relayed{}}
	r.send(plan.FrameHello, 0, []byte(plan.RelayHello))
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
			r.open(f.Stream, serve)
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
	in   *queue
	once sync.Once // its end is reported once
}

// send writes data as frames of kind; once out has failed, output is
// dropped.
func (r *relay) send(kind byte, stream uint32, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken {
		return
	}
	r.buf = plan.AppendFrames(r.buf[:0], kind, stream, data)
	if _, err := r.out.Write(r.buf); err != nil {
		r.broken = true
	}
}

// open runs an agent for stream. Its input is queued, so one agent that
// reads slowly does not hold up the others; its output is sent as it
// comes, and its exit status ("0", "1", or what went wrong) after all of
// its output.
func (r *relay) open(stream uint32, serve Serve) {
	k := &relayed{in: newQueue()}
	r.kids[stream] = k
	r.wg.Add(1)
	end := func(status string) {
		k.once.Do(func() {
			r.send(plan.FrameExit, stream, []byte(status))
			r.wg.Done()
		})
	}
	go func() {
		status := "1"
		defer func() {
			if p := recover(); p != nil {
				r.send(plan.FrameStderr, stream, fmt.Appendf(nil, "panic: %v\n\n%s", p, debug.Stack()))
				status = "the agent panicked"
			}
			k.in.discard()
			end(status)
		}()
		err := serve(k.in, streamOut{r, stream}, func(code int) {
			// The agent gives up (its controller is gone and it cannot
			// stop): it is reported ended; what still runs ends with
			// the process.
			end(strconv.Itoa(code))
		})
		if err == nil {
			status = "0"
		}
	}()
}

// streamOut is an agent's stdout in a relay.
type streamOut struct {
	r      *relay
	stream uint32
}

func (w streamOut) Write(p []byte) (int, error) {
	w.r.send(plan.FrameOutput, w.stream, p)
	return len(p), nil
}

// queue is an agent's input: written by the frame reader, read by the
// agent. Up to queueMax bytes wait in it, so that an agent busy with a
// component holds up no other; beyond that the frame reader waits (a blob
// of gigabytes that the agent writes to a slow disk must not pile up in
// memory), which holds up the agents behind it only until this one has
// read its input.
type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	chunks [][]byte
	size   int
	closed bool
	drop   bool
}

// queueMax is how much of an agent's input may wait unread.
const queueMax = 8 << 20

func newQueue() *queue {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *queue) write(p []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.size >= queueMax && !q.closed && !q.drop {
		q.cond.Wait()
	}
	if q.closed || q.drop {
		return
	}
	q.chunks = append(q.chunks, append([]byte(nil), p...))
	q.size += len(p)
	q.cond.Broadcast()
}

func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

// discard drops what is queued and whatever comes (the agent is done).
func (q *queue) discard() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.drop, q.chunks, q.size = true, nil, 0
	q.cond.Broadcast()
}

// Read returns what is queued, waiting for it; io.EOF once the input is
// closed and read.
func (q *queue) Read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.chunks) == 0 && !q.closed && !q.drop {
		q.cond.Wait()
	}
	if len(q.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, q.chunks[0])
	if n == len(q.chunks[0]) {
		q.chunks[0] = nil
		q.chunks = q.chunks[1:]
	} else {
		q.chunks[0] = q.chunks[0][n:]
	}
	q.size -= n
	q.cond.Broadcast()
	return n, nil
}
