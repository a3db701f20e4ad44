package plan

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Frames carry the stdio of several agents over one connection: the
// controller runs "batou agent --relay" once per machine that several
// hosts of an environment name (aliases of one machine), and the relay
// starts one agent per host. Each frame is a header of kind (1 byte),
// stream (4 bytes, big endian) and length (4 bytes), then the data. The
// agent protocol inside a stream is unchanged.
const (
	// From the controller to the relay.
	FrameOpen  byte = 'o' // start an agent for a new stream
	FrameInput byte = 'i' // the agent's stdin
	FrameClose byte = 'c' // the end of the agent's stdin
	// From the relay to the controller.
	FrameHello  byte = 'H' // first: the relay runs (stream 0, data RelayHello)
	FrameOutput byte = 'O' // the agent's stdout
	FrameStderr byte = 'E' // the agent's stderr
	FrameExit   byte = 'X' // the agent has ended; data: its exit status
)

// RelayHello is the data of the relay's first frame: a relay that does
// not say it (an agent too old to relay, say) is not used.
const RelayHello = "batou relay 1"

// FrameHeader is the size of a frame header.
const FrameHeader = 9

// MaxFrame is the largest frame data a reader accepts; writers split
// larger writes.
const MaxFrame = 256 << 10

// Frame is one frame read.
type Frame struct {
	Kind   byte
	Stream uint32
	Data   []byte // valid until the next read
}

// AppendFrame appends a frame with data (at most MaxFrame bytes) to b.
func AppendFrame(b []byte, kind byte, stream uint32, data []byte) []byte {
	b = append(b, kind)
	b = binary.BigEndian.AppendUint32(b, stream)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// AppendFrames appends data to b as frames of kind: one frame, split in
// pieces that fit MaxFrame.
func AppendFrames(b []byte, kind byte, stream uint32, data []byte) []byte {
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), MaxFrame)
		b = AppendFrame(b, kind, stream, data[:n])
		data = data[n:]
	}
	return b
}

// FrameReader reads frames from a stream.
type FrameReader struct {
	r   io.Reader
	hdr [FrameHeader]byte
	buf []byte
}

// NewFrameReader reads frames from r (buffer it: frames are read with
// two reads each).
func NewFrameReader(r io.Reader) *FrameReader { return &FrameReader{r: r} }

// Read returns the next frame. At the end of the input it returns io.EOF;
// input that ends inside a frame is io.ErrUnexpectedEOF.
func (fr *FrameReader) Read() (Frame, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(fr.hdr[5:])
	if n > MaxFrame {
		return Frame{}, fmt.Errorf("malformed relay frame: %d bytes of data (at most %d)", n, MaxFrame)
	}
	if cap(fr.buf) < int(n) {
		fr.buf = make([]byte, n, max(int(n), 64<<10))
	}
	data := fr.buf[:n]
	if _, err := io.ReadFull(fr.r, data); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return Frame{Kind: fr.hdr[0], Stream: binary.BigEndian.Uint32(fr.hdr[1:5]), Data: data}, nil
}

// Discard reads the rest of the input away.
func (fr *FrameReader) Discard() { _, _ = io.Copy(io.Discard, fr.r) }
