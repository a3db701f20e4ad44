package plan

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// HoldDelay is how long held output may wait to be written together with
// what comes after it; HoldMax is how many bytes may wait.
const (
	HoldDelay = 10 * time.Millisecond
	HoldMax   = 64 << 10
)

// Held is a stream of events (the agent's to the controller, batou's own
// output) written in few writes: a first deploy reports thousands of
// component events, and a write (and a wake-up of the reader) for each
// costs more than the files. What is held waits at most HoldDelay (or
// until HoldMax bytes wait); Send writes all that waits at once, so the
// order never changes. The embedded mutex guards Buf, Hold and Send;
// Flush takes it itself.
type Held struct {
	sync.Mutex
	// Buf is what waits to be written; write to it under the lock.
	Buf    bytes.Buffer
	w      io.Writer
	failed func(error)
	timer  *time.Timer // pending Flush, while output waits
}

// holdCap is the room Buf is given at once: what waits is written once it
// reaches HoldMax, so with room for an event after that Buf never grows.
// Grown by doubling from nothing it would allocate twice its final size,
// all of it fresh memory a process pays to touch.
const holdCap = HoldMax + HoldMax/4

// NewHeld returns a Held writing to w; failed (when not nil) is told of
// every failed write, under the lock.
func NewHeld(w io.Writer, failed func(error)) *Held {
	h := &Held{w: w, failed: failed}
	h.Buf.Grow(holdCap)
	return h
}

// Hold lets what Buf holds wait, unless HoldMax bytes do.
func (h *Held) Hold() {
	switch {
	case h.Buf.Len() >= HoldMax:
		h.Send()
	case h.timer == nil:
		h.timer = time.AfterFunc(HoldDelay, h.Flush)
	}
}

// Send writes what waits now.
func (h *Held) Send() {
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	if h.Buf.Len() > 0 {
		_, err := h.w.Write(h.Buf.Bytes())
		h.Buf.Reset()
		if err != nil && h.failed != nil {
			h.failed(err)
		}
	}
}

// Flush is Send with the lock taken.
func (h *Held) Flush() {
	h.Lock()
	defer h.Unlock()
	h.Send()
}
