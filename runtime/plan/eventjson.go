package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Events are encoded and parsed directly too: a first deploy of a
// thousand files sends two thousand of them, and encoding/json spent
// more on them than the agent on writing the files. AppendEvent writes
// what encoding/json writes for an Event (HTML escaping off); ParseEvent
// reads that, and reports an error for anything else (the caller may
// then try encoding/json).

// AppendEvent appends the JSON form of e (without a newline) to buf.
func AppendEvent(buf []byte, e *Event) []byte {
	buf = append(buf, `{"type":`...)
	buf = appendString(buf, e.Type)
	if e.Format != 0 {
		buf = appendInt(buf, "format", int64(e.Format))
	}
	buf = appendText(buf, `,"environment":`, e.Environment)
	buf = appendText(buf, `,"mode":`, e.Mode)
	buf = appendText(buf, `,"title":`, e.Title)
	buf = appendText(buf, `,"host":`, e.Host)
	buf = appendText(buf, `,"root":`, e.Root)
	buf = appendText(buf, `,"status":`, e.Status)
	if e.Changed != nil {
		buf = append(buf, `,"changed":`...)
		buf = strconv.AppendBool(buf, *e.Changed)
	}
	buf = appendText(buf, `,"via":`, e.Via)
	buf = appendText(buf, `,"path":`, e.Path)
	buf = appendText(buf, `,"action":`, e.Action)
	buf = appendText(buf, `,"diff":`, e.Diff)
	buf = appendText(buf, `,"message":`, e.Message)
	buf = appendText(buf, `,"file":`, e.File)
	if e.Line != 0 {
		buf = appendInt(buf, "line", int64(e.Line))
	}
	buf = appendText(buf, `,"hint":`, e.Hint)
	buf = appendText(buf, `,"detail":`, e.Detail)
	if c := e.Counts; c != nil {
		buf = append(buf, `,"counts":{"hosts":`...)
		buf = strconv.AppendInt(buf, int64(c.Hosts), 10)
		buf = appendInt(buf, "roots", int64(c.Roots))
		buf = appendInt(buf, "done", int64(c.Done))
		buf = appendInt(buf, "changed", int64(c.Changed))
		buf = appendInt(buf, "failed", int64(c.Failed))
		buf = appendInt(buf, "skipped", int64(c.Skipped))
		buf = appendInt(buf, "not_started", int64(c.NotStarted))
		buf = appendInt(buf, "errors", int64(c.Errors))
		buf = append(buf, '}')
	}
	if e.Seconds != 0 {
		buf = append(buf, `,"seconds":`...)
		buf = appendFloat(buf, e.Seconds)
	}
	for _, f := range [...]struct {
		name  string
		value int64
	}{{"bytes", e.Bytes}, {"blob_bytes", e.BlobBytes}, {"max_rss", e.MaxRSS}} {
		if f.value != 0 {
			buf = appendInt(buf, f.name, f.value)
		}
	}
	buf = appendText(buf, `,"digest":`, e.Digest)
	if e.Transfer != 0 {
		buf = appendInt(buf, "transfer", int64(e.Transfer))
	}
	return append(buf, '}')
}

// appendText appends the member written as key (`,"name":`) with the
// string value v, unless v is empty.
func appendText(buf []byte, key, v string) []byte {
	if v == "" {
		return buf
	}
	return appendString(append(buf, key...), v)
}

func appendInt(buf []byte, name string, v int64) []byte {
	buf = append(buf, ',', '"')
	buf = append(buf, name...)
	buf = append(buf, '"', ':')
	return strconv.AppendInt(buf, v, 10)
}

// appendFloat formats f as encoding/json does.
func appendFloat(buf []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	buf = strconv.AppendFloat(buf, f, format, -1, 64)
	if n := len(buf); format == 'e' && n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
		buf[n-2] = buf[n-1] // e-09 -> e-9
		buf = buf[:n-1]
	}
	return buf
}

// ParseEvent parses one event written by AppendEvent (or encoding/json).
func ParseEvent(line []byte) (Event, error) {
	var ep EventParser
	ep.text.Grow(len(line)) // for this line only
	return ep.Parse(line)
}

// EventParser parses events as ParseEvent does, one line after the
// other. The strings of the events it returns are parts of a few large
// buffers (not one allocation each), and it keeps its buffer for text with
// escapes (a diff) from one line to the next. The zero value is ready to
// use; it is not safe for concurrent use and must not be copied after
// use.
type EventParser struct {
	text    strings.Builder
	scratch []byte
}

// EventParser's buffers for strings start small (an agent of many may
// send only a few events) and double up to some hundred events' worth.
const (
	firstEventText = 1 << 10
	maxEventText   = 32 << 10
)

// Parse parses one event written by AppendEvent (or encoding/json).
func (ep *EventParser) Parse(line []byte) (Event, error) {
	// No string is longer unescaped than on the line. What was written to
	// the buffer stays as it is, as long as the strings made of it.
	if ep.text.Cap()-ep.text.Len() < len(line) {
		size := min(max(2*ep.text.Cap(), firstEventText), maxEventText)
		ep.text = strings.Builder{}
		ep.text.Grow(max(size, len(line)))
	}
	var e Event
	p := &parser{data: line, scratch: ep.scratch, text: &ep.text}
	err := p.event(&e)
	if err == nil && p.peek() != 0 {
		err = p.fail()
	}
	ep.scratch = p.scratch[:0]
	return e, err
}

// event parses the members of an event object into e. Its keys are read
// in place (no string is made of them); a key with an escape is an error.
func (p *parser) event(e *Event) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	if p.peek() == '}' {
		p.pos++
		return nil
	}
	for {
		if p.peek() != '"' {
			return p.fail()
		}
		key, err := p.plainKey()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		if err := p.eventField(e, key); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return nil
		default:
			return p.fail()
		}
	}
}

// plainKey returns the text of the key at p.pos (its opening quote), which
// must have no escapes, and moves past it.
func (p *parser) plainKey() ([]byte, error) {
	for i := p.pos + 1; i < len(p.data); i++ {
		switch p.data[i] {
		case '"':
			key := p.data[p.pos+1 : i]
			p.pos = i + 1
			return key, nil
		case '\\':
			p.pos = i
			return nil, p.fail()
		}
	}
	p.pos = len(p.data)
	return nil, p.fail()
}

func (p *parser) eventField(e *Event, key []byte) error {
	switch string(key) {
	case "changed":
		v, err := p.word()
		if b, ok := v.(bool); ok {
			e.Changed = &b
		}
		return err
	case "counts":
		e.Counts = &Counts{}
		return p.object(func(key string) error { return p.countsField(e.Counts, key) })
	case "seconds":
		v, err := p.number()
		switch f := v.(type) {
		case float64:
			e.Seconds = f
		case int64:
			e.Seconds = float64(f)
		}
		return err
	}
	if n := eventInt(e, key); n != nil {
		v, err := p.number()
		i, ok := v.(int64)
		if err != nil || !ok {
			return p.fail()
		}
		*n = i
		return nil
	}
	if s := eventString(e, key); s != nil {
		if p.peek() != '"' {
			return p.fail()
		}
		var err error
		*s, err = p.str()
		return err
	}
	switch string(key) {
	case "format", "line", "transfer":
		v, err := p.number()
		i, ok := v.(int64)
		if err != nil || !ok || i != int64(int(i)) {
			return p.fail()
		}
		switch string(key) {
		case "format":
			e.Format = int(i)
		case "line":
			e.Line = int(i)
		default:
			e.Transfer = int(i)
		}
		return nil
	}
	return fmt.Errorf("unknown event field %q", key)
}

// eventString is the string field of e named key, or nil.
func eventString(e *Event, key []byte) *string {
	switch string(key) {
	case "type":
		return &e.Type
	case "environment":
		return &e.Environment
	case "mode":
		return &e.Mode
	case "title":
		return &e.Title
	case "host":
		return &e.Host
	case "root":
		return &e.Root
	case "status":
		return &e.Status
	case "via":
		return &e.Via
	case "path":
		return &e.Path
	case "action":
		return &e.Action
	case "diff":
		return &e.Diff
	case "message":
		return &e.Message
	case "file":
		return &e.File
	case "hint":
		return &e.Hint
	case "detail":
		return &e.Detail
	case "digest":
		return &e.Digest
	}
	return nil
}

// eventInt is the int64 field of e named key, or nil.
func eventInt(e *Event, key []byte) *int64 {
	switch string(key) {
	case "bytes":
		return &e.Bytes
	case "blob_bytes":
		return &e.BlobBytes
	case "max_rss":
		return &e.MaxRSS
	}
	return nil
}

func (p *parser) countsField(c *Counts, key string) error {
	v, err := p.number()
	i, ok := v.(int64)
	if err != nil || !ok {
		return p.fail()
	}
	n := int(i)
	switch key {
	case "hosts":
		c.Hosts = n
	case "roots":
		c.Roots = n
	case "done":
		c.Done = n
	case "changed":
		c.Changed = n
	case "failed":
		c.Failed = n
	case "skipped":
		c.Skipped = n
	case "not_started":
		c.NotStarted = n
	case "errors":
		c.Errors = n
	default:
		return fmt.Errorf("unknown counts field %q", key)
	}
	return nil
}
