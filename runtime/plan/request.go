package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// The wire form of a request is one line. A plan request carries the
// plan's roots (nearly all of its bytes) after a tab, encoded and parsed by
// the node codec, so encoding/json never scans the node trees:
//
//	{"type":"plan","plan":{...,"roots":null,...},...}<TAB>[{"name":...,"node":{...}},...]
//
// JSON text outside strings holds no tab (encoding/json writes none, and
// both codecs escape the ones inside strings), so the first tab ends the
// head.

// rootsPlaceholder is how the head shows the roots it leaves out.
const rootsPlaceholder = `"roots":null`

// AppendRequest appends the wire form of req and a newline to buf.
func AppendRequest(buf []byte, req Request) ([]byte, error) {
	return appendRequest(buf, req, nil)
}

// WriteRequest writes the wire form of req and a newline to w, in pieces
// of about flushSize bytes as it is encoded: a large plan needs no buffer
// of its size, and the agent reads its start while the rest is encoded.
// It returns the bytes written.
func WriteRequest(w io.Writer, req Request) (int64, error) {
	fl := &flusher{w: w}
	buf, err := appendRequest(make([]byte, 0, flushSize+flushSize/4), req, fl)
	if err != nil {
		return fl.n, err
	}
	fl.flush(buf, true)
	if fl.err != nil {
		return fl.n, &WriteError{Err: fl.err}
	}
	return fl.n, nil
}

// WriteError is an error of the writer WriteRequest wrote to, as opposed
// to one encoding the request.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }

// flushSize is how much of an encoded request WriteRequest collects
// before it writes.
const flushSize = 64 << 10

// flusher writes what has been encoded so far, once there is enough of it.
type flusher struct {
	w   io.Writer
	n   int64
	err error
}

// flush writes buf (when it holds flushSize bytes, or force) and returns
// the buffer to go on with. A nil flusher keeps everything in buf.
func (f *flusher) flush(buf []byte, force bool) []byte {
	if f == nil || (!force && len(buf) < flushSize) || len(buf) == 0 {
		return buf
	}
	if f.err == nil {
		n, err := f.w.Write(buf)
		f.n += int64(n)
		f.err = err
	}
	return buf[:0]
}

func appendRequest(buf []byte, req Request, fl *flusher) ([]byte, error) {
	if req.Plan == nil || len(req.Plan.Roots) == 0 {
		head, err := json.Marshal(req)
		if err != nil {
			return nil, err
		}
		return append(append(buf, head...), '\n'), nil
	}
	p := *req.Plan
	roots := p.Roots
	p.Roots = nil
	req.Plan = &p
	head, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(head, []byte(rootsPlaceholder)) {
		return nil, fmt.Errorf("encoding a plan request: no place for the roots")
	}
	buf = append(append(buf, head...), '\t', '[')
	for i, r := range roots {
		if i > 0 {
			buf = append(buf, ',')
		}
		if buf, err = r.appendJSON(buf, fl); err != nil {
			return nil, fmt.Errorf("encoding root %s: %w", r.Name, err)
		}
	}
	return append(buf, ']', '\n'), nil
}

func (r *Root) appendJSON(buf []byte, fl *flusher) ([]byte, error) {
	buf = append(buf, `{"name":`...)
	buf = appendString(buf, r.Name)
	if r.Ignore {
		buf = append(buf, `,"ignore":true`...)
	}
	buf = appendField(buf, "workdir", r.Workdir)
	if r.Defdir != "" {
		buf = appendField(buf, "defdir", r.Defdir)
	}
	if r.Node == nil {
		return append(buf, '}'), nil
	}
	buf = append(buf, `,"node":`...)
	buf, err := r.Node.appendJSON(buf, nil, &nodeEncoding{compact: true, fl: fl})
	if err != nil {
		return nil, err
	}
	return append(buf, '}'), nil
}

// DecodeRequest parses one line written by AppendRequest (a trailing
// newline is allowed). It keeps no reference into line.
func DecodeRequest(line []byte) (Request, error) {
	var req Request
	line = bytes.TrimRight(line, "\r\n")
	head, tail, split := bytes.Cut(line, []byte{'\t'})
	if err := json.Unmarshal(head, &req); err != nil {
		return req, err
	}
	if !split {
		return req, nil
	}
	if req.Plan == nil {
		return req, fmt.Errorf("roots without a plan")
	}
	p := &parser{data: tail, parallel: true}
	roots, err := p.roots()
	if err != nil {
		return req, fmt.Errorf("decoding the plan's roots: %w", err)
	}
	if p.peek() != 0 {
		return req, fmt.Errorf("decoding the plan's roots: %w", p.fail())
	}
	req.Plan.Roots = roots
	return req, nil
}

func (p *parser) roots() ([]*Root, error) {
	var roots []*Root
	err := p.array(func() error {
		r := &Root{}
		roots = append(roots, r)
		return p.root(r)
	})
	if err != nil {
		return nil, err
	}
	return roots, nil
}

func (p *parser) root(r *Root) error {
	return p.object(func(key string) error {
		switch key {
		case "node":
			r.Node = &Node{}
			return p.node(r.Node, nil)
		case "ignore":
			v, err := p.word()
			b, ok := v.(bool)
			if err != nil || !ok {
				return p.fail()
			}
			r.Ignore = b
			return nil
		case "name", "workdir", "defdir":
			if p.peek() != '"' {
				return p.fail()
			}
			s, err := p.str()
			switch key {
			case "name":
				r.Name = s
			case "workdir":
				r.Workdir = s
			default:
				r.Defdir = s
			}
			return err
		}
		return fmt.Errorf("unknown root field %q", key)
	})
}
