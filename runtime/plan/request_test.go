package plan

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func testPlan() *Plan {
	return &Plan{Format: Format, Version: "v", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Host:    HostInfo{Name: "h", FQDN: "h.example.com", Data: map[string]string{"roots": "null"}},
		Secrets: []string{"s3cr\tet"},
		Roots: []*Root{
			{Name: "app", Workdir: "/w", Defdir: "components/app", Node: &Node{ID: 1, Kind: "App", Label: "App",
				Attrs:  Attrs{"content": "a\tb\n\"c\"", "roots": nil, "n": int64(-3), "l": []Value{"x", true}},
				Origin: "c.star:3", Def: &DefRef{File: "c.star", Name: "App", Update: true},
				Children: []*Node{{ID: 2, Kind: "File", Label: "File('\t')", Origin: "c.star:4"}}}},
			{Name: "off", Ignore: true, Workdir: "/o", Node: &Node{ID: 3, Kind: "Off", Label: "Off"}},
		}}
}

// A plan request survives the wire form unchanged, tabs and the
// placeholder text inside values included.
func TestRequestRoundTrip(t *testing.T) {
	req := Request{Type: "plan", Plan: testPlan(), BreakLock: true, Holder: &Holder{User: "u", PID: 7}}
	line, err := AppendRequest(nil, req)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(line, []byte{'\n'}) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("want one line, got %q", line)
	}
	if bytes.Count(line, []byte{'\t'}) != 1 {
		t.Fatalf("want exactly one raw tab (the separator), got %q", line)
	}
	got, err := DecodeRequest(line)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Plan.Roots, req.Plan.Roots) {
		t.Errorf("roots changed:\n%s", line)
	}
	got.Plan.Roots, req.Plan.Roots = nil, nil
	if !reflect.DeepEqual(got, req) {
		t.Errorf("request changed:\n%+v\n%+v", got, req)
	}
}

func TestRequestWithoutPlan(t *testing.T) {
	for _, req := range []Request{{Type: "run", Root: "app", Mode: "predict"}, {Type: "stop"}, {Type: "plan", Plan: &Plan{Format: Format}}} {
		line, err := AppendRequest(nil, req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeRequest(line)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, req) {
			t.Errorf("request changed: %+v -> %+v", req, got)
		}
	}
}

// A damaged line is an error, never a partial plan.
func TestRequestMalformed(t *testing.T) {
	line, _ := AppendRequest(nil, Request{Type: "plan", Plan: testPlan()})
	for _, bad := range []string{
		string(line[:len(line)-5]),
		strings.Replace(string(line), `"kind":"File"`, `"kind":File`, 1),
		strings.Replace(string(line), `"name":"off"`, `"nom":"off"`, 1),
		`{"type":"run"}` + "\t[]",
	} {
		if _, err := DecodeRequest([]byte(bad)); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

// On the wire a child leaves out the label and the texts it repeats of
// its parent (every sub-component of a File does); the decoded tree is
// the same, down to grandchildren sharing what their parent shares.
func TestRequestCompactChildren(t *testing.T) {
	content := "a long content\nthat is sent once\n"
	file := &Node{ID: 1, Kind: "File", Label: "File('a.conf')", Origin: "c.star:1",
		Attrs: Attrs{"path": "/w/a.conf", "content": content, "mode": int64(0o644)},
		Children: []*Node{
			{ID: 2, Kind: "Presence", Label: "Presence('a.conf')", Attrs: Attrs{"path": "/w/a.conf", "leading": true},
				Children: []*Node{{ID: 3, Kind: "Directory", Label: "Directory('/w')", Attrs: Attrs{"path": "/w"}},
					{ID: 4, Kind: "Mark", Label: "Mark('a.conf')", Attrs: Attrs{"path": "/w/a.conf"}}}},
			{ID: 5, Kind: "Content", Label: "Content('a.conf')", Attrs: Attrs{"path": "/w/a.conf", "content": content, "is_template": false}},
			{ID: 6, Kind: "Owner", Label: "", Attrs: Attrs{"owner": "root1234", "path": "/w/other"}},
			{ID: 7, Kind: "Note", Label: "a note", Attrs: Attrs{"content": content + "x"}},
		}}
	p := testPlan()
	p.Roots = []*Root{{Name: "app", Workdir: "/w", Node: file}}
	line, err := AppendRequest(nil, Request{Type: "plan", Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(line), "that is sent once"); n != 2 { // the File's, and Note's own
		t.Errorf("content on the wire %d times, want 2:\n%s", n, line)
	}
	if strings.Contains(string(line), "Content('a.conf')") {
		t.Errorf("a derivable label was sent:\n%s", line)
	}
	got, err := DecodeRequest(line)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Plan.Roots[0].Node, file) {
		g, _ := got.Plan.Roots[0].Node.MarshalJSON()
		w, _ := file.MarshalJSON()
		t.Errorf("tree changed:\n got %s\nwant %s", g, w)
	}
	// The indented plan (batou plan) keeps everything.
	full, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(full), "that is sent once"); n != 3 || !strings.Contains(string(full), "Content('a.conf')") {
		t.Errorf("the written plan leaves things out:\n%s", full)
	}
}

// WriteRequest writes a plan in pieces, as it is encoded: the children
// of a node with many come in lines of their own after the plan's line,
// which the reader parses one by one (at once) and adds; the plan read is
// the one written. It tells a failing writer from a request that cannot
// be encoded.
func TestWriteRequest(t *testing.T) {
	p := testPlan()
	var kids []*Node
	for i := 0; i < 2000; i++ {
		kid := &Node{ID: 10 + i, Kind: "File", Label: "File('x')", Attrs: Attrs{"content": strings.Repeat("y", 100)}}
		if i == 7 { // a large array inside a following line stays in it
			for j := 0; j < followMin+1; j++ {
				kid.Children = append(kid.Children, &Node{ID: 5000 + j, Kind: "Presence", Label: "Presence('x')"})
			}
		}
		kids = append(kids, kid)
	}
	p.Roots[0].Node.Children = kids
	req := Request{Type: "plan", Plan: p}
	var w countingWriter
	n, err := WriteRequest(&w, req)
	if err != nil || n != int64(w.buf.Len()) {
		t.Fatalf("wrote %d bytes (%v)", n, err)
	}
	if w.writes < 3 || w.max > 2*flushSize {
		t.Errorf("%d writes of at most %d bytes, want pieces of about %d", w.writes, w.max, flushSize)
	}
	lines := bytes.SplitAfter(w.buf.Bytes(), []byte("\n"))
	lines = lines[:len(lines)-1] // after the last newline
	got, err := DecodeRequest(lines[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := (2000 + followPerLine - 1) / followPerLine; got.Following() != want || len(lines) != 1+want {
		t.Fatalf("%d lines follow the plan, it says %d; want %d", len(lines)-1, got.Following(), want)
	}
	parts := make([]*Children, len(lines)-1)
	var wg sync.WaitGroup
	for i, line := range lines[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if parts[i], err = got.ParseChildren(line); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := got.AddChildren(parts); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Plan, p) {
		t.Fatal("the plan read is not the plan written")
	}

	// A line missing, damaged, or for a node that has none.
	again := func() Request {
		r, err := DecodeRequest(lines[0])
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := again()
	var some []*Children
	for _, line := range lines[1 : len(lines)-1] {
		c, err := r.ParseChildren(line)
		if err != nil {
			t.Fatal(err)
		}
		some = append(some, c)
	}
	if err := r.AddChildren(some); err == nil || !strings.Contains(err.Error(), "has 1920 children, the plan said 2000") {
		t.Errorf("a missing line gives %v", err)
	}
	r = again()
	for _, bad := range [][]byte{
		bytes.Replace(lines[1], []byte(`"id":10,`), []byte(`"id":x,`), 1),
		bytes.Replace(lines[1], []byte(`"node":0}`), []byte(`"node":1}`), 1),
		lines[0],
		[]byte(`{"type":"run","root":"app"}` + "\n"),
	} {
		if _, err := r.ParseChildren(bad); err == nil {
			t.Errorf("no error for %.60q", bad)
		}
	}
	// Nodes with few children, and AppendRequest, keep them in the line.
	one, err := AppendRequest(nil, req)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := DecodeRequest(one); err != nil || r.Following() != 0 || !reflect.DeepEqual(r.Plan, p) {
		t.Errorf("AppendRequest's line: %v, %d following", err, r.Following())
	}

	_, err = WriteRequest(failingWriter{}, req)
	var werr *WriteError
	if !errors.As(err, &werr) {
		t.Errorf("a failing writer gives %v, want a WriteError", err)
	}
	p.Roots[0].Node.Attrs["bad"] = struct{}{}
	if _, err := WriteRequest(&countingWriter{}, req); err == nil || errors.As(err, &werr) {
		t.Errorf("an attribute that cannot be encoded gives %v, want an encoding error", err)
	}
	p.Roots[0].Node.Attrs["bad"] = nil
	delete(p.Roots[0].Node.Attrs, "bad")
	kids[1500].Attrs["bad"] = struct{}{}
	if _, err := WriteRequest(&countingWriter{}, req); err == nil || errors.As(err, &werr) {
		t.Errorf("a following child that cannot be encoded gives %v, want an encoding error", err)
	}
}

type countingWriter struct {
	buf         bytes.Buffer
	writes, max int
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.writes++
	w.max = max(w.max, len(b))
	return w.buf.Write(b)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// A large children array is parsed in parts at once; the tree is the
// same as the one encoded, and damage anywhere in it is still an error.
func TestDecodeLargeChildren(t *testing.T) {
	p := testPlan()
	parent := p.Roots[0].Node
	parent.Attrs["path"] = "/srv/app/shared/path"
	var kids []*Node
	for i := 0; i < 3000; i++ {
		kids = append(kids, &Node{ID: 10 + 2*i, Kind: "File", Label: `File('x\\"})')`, Origin: "c.star:9",
			Attrs: Attrs{"content": strings.Repeat("{[\"", 20) + string(rune('a'+i%26)), "path": "/srv/app/shared/path", "n": int64(i)},
			Children: []*Node{{ID: 11 + 2*i, Kind: "Content", Label: `Content('x\\"})')`, Origin: "c.star:9",
				Attrs: Attrs{"content": strings.Repeat("{[\"", 20) + string(rune('a'+i%26)), "path": "/srv/app/shared/path"}}}})
	}
	parent.Children = kids
	line, err := AppendRequest(nil, Request{Type: "plan", Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	if len(line) < 2*parallelMin {
		t.Fatalf("the test plan is too small (%d bytes) to be parsed in parts", len(line))
	}
	got, err := DecodeRequest(line)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Plan.Roots, p.Roots) {
		t.Fatal("the tree changed")
	}
	mid := len(line) / 2
	for _, bad := range [][]byte{
		line[:mid],
		append(append(append([]byte{}, line[:mid]...), '}'), line[mid:]...),
		bytes.Replace(line, []byte(`"n":2999`), []byte(`"n":x`), 1),
		bytes.Replace(line, []byte(`"n":1500`), []byte(`"n":1500,"kind"`), 1),
	} {
		if _, err := DecodeRequest(bad); err == nil {
			t.Errorf("no error for a damaged plan")
		}
	}
}

// A plan's roots kept as WriteRequest sent them (Request.Keep) and sent
// again as the plan's Wire put the same bytes on the wire as encoding the
// plan, whatever the request's other fields; the kept form holds nothing
// of the request's head.
func TestWriteRequestKeepsWire(t *testing.T) {
	p := testPlan()
	for i := 0; i < 300; i++ {
		p.Roots[0].Node.Children = append(p.Roots[0].Node.Children,
			&Node{ID: 10 + i, Kind: "File", Label: "File('x')", Attrs: Attrs{"content": strings.Repeat("z", 500)}})
	}
	kept := &Wire{}
	var first bytes.Buffer
	if _, err := WriteRequest(&first, Request{Type: "plan", Plan: p, Holder: &Holder{User: "first"}, Keep: kept}); err != nil {
		t.Fatal(err)
	}
	if k := kept.Bytes(); len(k) == 0 || bytes.Contains(k, []byte(`"holder"`)) || k[0] != '[' || len(kept.Parts) < 2 {
		t.Fatalf("kept %d bytes in %d parts starting %.40q, want the roots only, in the pieces written", len(k), len(kept.Parts), k)
	}
	holder := &Holder{User: "second"}
	var want, got bytes.Buffer
	if _, err := WriteRequest(&want, Request{Type: "plan", Plan: p, BreakLock: true, Holder: holder}); err != nil {
		t.Fatal(err)
	}
	again := *p
	again.Roots, again.Wire = nil, kept
	if _, err := WriteRequest(&got, Request{Type: "plan", Plan: &again, BreakLock: true, Holder: holder}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("a kept plan sends %d bytes, encoding it %d; they differ", got.Len(), want.Len())
	}
	// Kept again from a plan sent from its Wire: the same bytes.
	kept2 := &Wire{}
	if _, err := WriteRequest(io.Discard, Request{Type: "plan", Plan: &again, Keep: kept2}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept2.Bytes(), kept.Bytes()) {
		t.Errorf("keeping a kept plan's wire changes it")
	}
}
