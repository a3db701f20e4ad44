package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// The wire form of a request is one line (WriteRequest sends the largest
// children arrays of a plan in lines after it, below). A plan request carries the
// plan's roots (nearly all of its bytes) after a tab, encoded and parsed by
// the node codec, so encoding/json never scans the node trees:
//
//	{"type":"plan","plan":{...,"roots":null,...},...}<TAB>[{"name":...,"node":{...}},...]
//
// JSON text outside strings holds no tab (encoding/json writes none, and
// both codecs escape the ones inside strings), so the first tab ends the
// head.

// WriteRequest leaves the children of a node that has many (a component
// with a thousand Files) out of the plan's line: the node says how many
// follow ("children_follow":N), and they come in the lines after it, at
// most followPerLine a line, node by node in the order the nodes came:
//
//	{"type":"children","node":K}<TAB>[{child},...]
//
// (K counts those nodes from 0). The agent parses each line as it
// arrives, while the rest is still being encoded, instead of parsing one
// large line after it was all written: encoding and parsing then take
// about the time of one of them, not of both.

// followMin is the least number of children WriteRequest sends apart.
const followMin = 64

// followPerLine is the most children one following line holds.
const followPerLine = 128

// maxFollow is the most children a node may say follow (a plan that
// says more is damaged).
const maxFollow = 1 << 24

// followHead starts a line of children that follow a plan.
const followHead = `{"type":"children","node":`

// following is a node whose children follow the plan's line.
type following struct {
	node  *Node
	count int
}

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
	fl := &flusher{w: w, apart: &[]*Node{}}
	if req.Keep != nil && req.Plan != nil && (len(req.Plan.Roots) > 0 || req.Plan.Wire != nil) {
		fl.keep = &[][]byte{}
	}
	buf, err := appendRequest(make([]byte, 0, flushSize+flushSize/4), req, fl)
	if err != nil {
		return fl.n, err
	}
	enc := &nodeEncoding{compact: true, fl: fl}
	for k, n := range *fl.apart {
		for i := 0; i < len(n.Children); i += followPerLine {
			buf = append(buf, followHead...)
			buf = strconv.AppendInt(buf, int64(k), 10)
			buf = append(buf, '}', '\t', '[')
			for j, c := range n.Children[i:min(i+followPerLine, len(n.Children))] {
				if j > 0 {
					buf = append(buf, ',')
				}
				if buf, err = c.appendJSON(buf, n, enc); err != nil {
					return fl.n, err
				}
				buf = fl.flush(buf, false)
			}
			buf = append(buf, ']', '\n')
		}
	}
	fl.flush(buf, true)
	if fl.err != nil {
		return fl.n, &WriteError{Err: fl.err}
	}
	if fl.keep != nil {
		req.Keep.Parts = *fl.keep
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
	// apart collects the nodes whose children are sent after the plan.
	apart *[]*Node
	// keep, when set, collects the pieces written, without the first
	// skip bytes (the request's head and its tab).
	keep *[][]byte
	skip int
}

// flush writes buf (when it holds flushSize bytes, or force: the last
// piece) and returns the buffer to go on with. A nil flusher keeps
// everything in buf.
func (f *flusher) flush(buf []byte, force bool) []byte {
	if f == nil || (!force && len(buf) < flushSize) || len(buf) == 0 {
		return buf
	}
	if f.err == nil {
		n, err := f.w.Write(buf)
		f.n += int64(n)
		f.err = err
	}
	if f.keep != nil {
		// The piece is kept as it is; the encoding goes on in a new
		// buffer (no copy, and no buffer that grows to the plan's size).
		*f.keep = append(*f.keep, buf[f.skip:len(buf):len(buf)])
		f.skip = 0
		if force {
			return nil
		}
		return make([]byte, 0, cap(buf))
	}
	return buf[:0]
}

func appendRequest(buf []byte, req Request, fl *flusher) ([]byte, error) {
	if req.Plan == nil || (len(req.Plan.Roots) == 0 && req.Plan.Wire == nil) {
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
	buf = append(append(buf, head...), '\t')
	if fl != nil {
		fl.skip = len(buf)
	}
	if w := req.Plan.Wire; w != nil {
		for _, p := range w.Parts {
			buf = append(buf, p...)
		}
		return buf, nil
	}
	buf = append(buf, '[')
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
	enc := &nodeEncoding{compact: true, fl: fl}
	if fl != nil {
		enc.apart = fl.apart
	}
	buf, err := r.Node.appendJSON(buf, nil, enc)
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
	p := newPlanParser(tail)
	p.parallel, p.follow = true, &req.follow
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

// Following is the number of lines after a plan request's that carry
// children of its nodes (0: the request is complete).
func (r *Request) Following() int {
	n := 0
	for _, f := range r.follow {
		n += (f.count + followPerLine - 1) / followPerLine
	}
	return n
}

// Children are the nodes one line after a plan request carries, for the
// node they belong to.
type Children struct {
	k     int
	nodes []*Node
}

// ParseChildren parses one of the lines after the plan request r, and
// may run for several lines at once. It takes line over: the strings of
// the nodes it returns are parts of it (no copy of a plan's largest
// lines), so line must not be changed afterwards.
func (r *Request) ParseChildren(line []byte) (*Children, error) {
	line = bytes.TrimRight(line, "\r\n")
	rest, ok := bytes.CutPrefix(line, []byte(followHead))
	end := bytes.Index(rest, []byte("}\t"))
	if !ok || end < 1 {
		return nil, fmt.Errorf("expected the children of the plan's nodes, got %.40q", line)
	}
	k, err := strconv.Atoi(string(rest[:end]))
	if err != nil || k < 0 || k >= len(r.follow) {
		return nil, fmt.Errorf("children of an unknown node (%.20q)", rest[:end])
	}
	parent := r.follow[k].node
	c := &Children{k: k}
	p := ownPlanParser(rest[end+2:])
	err = p.array(func() error {
		n := p.newNode()
		if err := p.node(n, parent); err != nil {
			return err
		}
		c.nodes = append(c.nodes, n)
		return nil
	})
	if err == nil && p.peek() != 0 {
		err = p.fail()
	}
	if err != nil {
		return nil, fmt.Errorf("decoding the children of node %d: %w", parent.ID, err)
	}
	return c, nil
}

// AddChildren completes the plan of r with the children of the lines
// after it, given in the order the lines came, and checks that every node
// got all of its children.
func (r *Request) AddChildren(parts []*Children) error {
	for _, c := range parts {
		f := &r.follow[c.k]
		f.node.Children = append(f.node.Children, c.nodes...)
	}
	for _, f := range r.follow {
		if len(f.node.Children) != f.count {
			return fmt.Errorf("node %d has %d children, the plan said %d", f.node.ID, len(f.node.Children), f.count)
		}
	}
	r.follow = nil
	return nil
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
			r.Node = p.newNode()
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
