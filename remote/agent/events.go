package agent

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// batchDelay is how long a component event may wait to be written
// together with the ones after it.
const batchDelay = 10 * time.Millisecond

// batchMax is how many bytes of waiting events are written at once at the
// latest.
const batchMax = 64 << 10

// eventOut writes events to the controller, one JSON line each. The events
// of components that changed are written in batches: a first deploy of a
// thousand files reports two thousand of them, and a write (and a wake-up
// of the controller) for each cost more than the files. They wait at most
// batchDelay; any other event (a log line, a busy report, the end of a
// root, an error, bye) writes everything before it at once, so the order
// never changes.
type eventOut struct {
	mu    sync.Mutex
	w     io.Writer
	buf   bytes.Buffer
	timer *time.Timer // pending flush, while events wait
}

func newEventOut(w io.Writer) *eventOut {
	return &eventOut{w: w}
}

// write sends e, now or with the next batch.
func (o *eventOut) write(e plan.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	line := plan.AppendEvent(o.buf.AvailableBuffer(), &e)
	o.buf.Write(append(line, '\n'))
	switch {
	case e.Type != plan.EventComponent || o.buf.Len() >= batchMax:
		o.flushLocked()
	case o.timer == nil:
		o.timer = time.AfterFunc(batchDelay, o.flush)
	}
}

// flush writes the waiting events.
func (o *eventOut) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
}

func (o *eventOut) flushLocked() {
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
	if o.buf.Len() > 0 {
		_, _ = o.w.Write(o.buf.Bytes())
		o.buf.Reset()
	}
}

// readLine returns the next line of in, with its newline. A line that fits
// in in's buffer is returned without a copy (a plan is most of a
// megabyte): it is valid until the next read, and DecodeRequest keeps no
// reference into it.
func readLine(in *bufio.Reader) ([]byte, error) {
	line, err := in.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = in.ReadSlice('\n')
		long = append(long, line...)
	}
	return long, err
}
