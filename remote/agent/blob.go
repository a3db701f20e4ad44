package agent

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
)

// blobs receives the content the agent asks the controller for
// (components.BlobFetcher). A transfer is a pipe: the reader goroutine
// of the agent's input writes each chunk into it as it arrives, and the
// component that asked reads it into its temporary file, so neither end
// holds more than a chunk. Chunks of a transfer nobody reads any more
// are read and dropped, which keeps the input in step.
type blobs struct {
	emit   func(plan.Event)
	mu     sync.Mutex
	next   int
	active map[int]*transfer
	// ended is why no transfer can start any more (the input ended).
	ended error
}

// transfer is one blob on its way in.
type transfer struct {
	id int
	pr *io.PipeReader
	pw *io.PipeWriter
}

func newBlobs(emit func(plan.Event)) *blobs {
	return &blobs{emit: emit, active: map[int]*transfer{}}
}

// errControllerGone ends transfers when the agent's input ends.
var errControllerGone = errors.New("the controller went away while sending it")

// Fetch implements components.BlobFetcher: it asks the controller for b.
func (bs *blobs) Fetch(b components.Blob) (io.ReadCloser, error) {
	if bs == nil {
		return nil, errors.New("no controller to ask")
	}
	bs.mu.Lock()
	if bs.ended != nil {
		bs.mu.Unlock()
		return nil, bs.ended
	}
	bs.next++
	t := &transfer{id: bs.next}
	t.pr, t.pw = io.Pipe()
	bs.active[t.id] = t
	bs.mu.Unlock()
	bs.emit(plan.Event{Type: plan.EventBlob, Digest: b.SHA256, Bytes: b.Size, Transfer: t.id})
	return &fetched{bs: bs, t: t}, nil
}

// fetched is the reading end of a transfer.
type fetched struct {
	bs *blobs
	t  *transfer
}

func (f *fetched) Read(p []byte) (int, error) { return f.t.pr.Read(p) }

// Close ends the transfer; when it is still running, the controller is
// told to stop sending.
func (f *fetched) Close() error {
	if f.bs.drop(f.t.id) != nil {
		f.bs.emit(plan.Event{Type: plan.EventBlobCancel, Transfer: f.t.id})
	}
	return f.t.pr.CloseWithError(errors.New("transfer closed"))
}

// drop forgets transfer id and returns it, or nil when it was over.
func (bs *blobs) drop(id int) *transfer {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	t := bs.active[id]
	delete(bs.active, id)
	return t
}

func (bs *blobs) lookup(id int) *transfer {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return bs.active[id]
}

// receive handles one blob request: its chunk of bytes follows in in. An
// error means the input cannot be read on (it ended or is malformed).
func (bs *blobs) receive(c *plan.BlobChunk, in *bufio.Reader) error {
	if c == nil || c.Size < 0 || c.Size > plan.MaxBlobChunk {
		return fmt.Errorf("malformed blob request")
	}
	t := bs.lookup(c.Transfer)
	if err := bs.pass(t, c.Size, in); err != nil {
		return err
	}
	switch {
	case t == nil:
	case c.Error != "":
		bs.drop(t.id)
		t.pw.CloseWithError(fmt.Errorf("the controller could not send it: %s", c.Error))
	case c.End:
		bs.drop(t.id)
		t.pw.Close()
	}
	return nil
}

// pass hands n bytes of in to t (or drops them when t is nil or nobody
// reads it any more), without copying them through another buffer.
func (bs *blobs) pass(t *transfer, n int, in *bufio.Reader) error {
	for n > 0 {
		p, err := in.Peek(min(n, in.Size()))
		if len(p) == 0 && err != nil {
			return fmt.Errorf("reading content from the controller: %w", err)
		}
		if t != nil {
			if _, werr := t.pw.Write(p); werr != nil {
				t = nil // the reader gave up: drop the rest
			}
		}
		k, _ := in.Discard(len(p))
		n -= k
	}
	return nil
}

// end fails every running transfer, and every later Fetch, with err: the
// input has ended.
func (bs *blobs) end(err error) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.ended == nil {
		bs.ended = err
	}
	for id, t := range bs.active {
		t.pw.CloseWithError(err)
		delete(bs.active, id)
	}
}
