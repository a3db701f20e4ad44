package plan

import (
	"bytes"
	"io"
	"testing"
)

// Data larger than a frame goes as several frames, which read back to
// the same bytes; empty data is one empty frame (FrameOpen, FrameClose).
func TestAppendFramesSplitsAndReadsBack(t *testing.T) {
	data := bytes.Repeat([]byte("abc"), MaxFrame) // 3 frames' worth
	b := AppendFrames(nil, FrameInput, 7, data)
	b = AppendFrames(b, FrameClose, 7, nil)
	fr := NewFrameReader(bytes.NewReader(b))
	var got []byte
	var kinds []byte
	for {
		f, err := fr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Stream != 7 || len(f.Data) > MaxFrame {
			t.Fatalf("frame of stream %d with %d bytes", f.Stream, len(f.Data))
		}
		kinds = append(kinds, f.Kind)
		got = append(got, f.Data...)
	}
	if string(kinds) != "iiic" || !bytes.Equal(got, data) {
		t.Errorf("kinds %q, %d bytes back of %d", kinds, len(got), len(data))
	}
	if _, err := NewFrameReader(bytes.NewReader(b[:len(b)-FrameHeader-1])).Read(); err != nil {
		t.Fatalf("first frame of a cut input: %v", err)
	}
	fr = NewFrameReader(bytes.NewReader(b[:FrameHeader+10]))
	if _, err := fr.Read(); err != io.ErrUnexpectedEOF {
		t.Errorf("input cut inside a frame: %v, want io.ErrUnexpectedEOF", err)
	}
}
