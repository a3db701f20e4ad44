package agent

import (
	"bufio"
	"errors"
	"io"

	"github.com/batou-go/batou/runtime/plan"
)

// eventOut writes events to the controller, one JSON line each. The events
// of components that changed are held to be written together
// (plan.Held); any other event (a log line, a busy report, the end of a
// root, an error, bye) writes everything before it at once.
type eventOut struct{ *plan.Held }

func newEventOut(w io.Writer) *eventOut {
	return &eventOut{plan.NewHeld(w, nil)}
}

// write sends e, now or with the next batch.
func (o *eventOut) write(e plan.Event) {
	o.Lock()
	defer o.Unlock()
	o.Buf.Write(append(plan.AppendEvent(o.Buf.AvailableBuffer(), &e), '\n'))
	if e.Type == plan.EventComponent {
		o.Hold()
	} else {
		o.Send()
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
