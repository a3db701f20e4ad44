package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// The direct event codec writes what encoding/json writes, and reads it
// back unchanged: text with quotes, tabs, control characters, invalid
// UTF-8, line separators and HTML characters, every field set or unset.
func TestEventCodec(t *testing.T) {
	yes, no := true, false
	events := []Event{
		{Type: EventBye},
		{Type: EventComponent, Host: "h", Root: "r", Path: "A > File('x')", Action: "update", Diff: "--- x\n+++ x\n@@ -1 +1 @@\n-\"a\"\t<b>&\n+\x01\u2028\xff\n", Message: "file missing", Changed: &no},
		{Type: EventFinish, Format: 1, Environment: "dev", Mode: "deploy", Title: "DONE", Status: "ok", Changed: &yes, Via: "ssh",
			File: "c.star", Line: 12, Hint: "h", Detail: "d", Counts: &Counts{Hosts: 1, Roots: 2, Done: 3, Changed: 4, Failed: 5, Skipped: 6, NotStarted: 7, Errors: 8},
			Seconds: 0.25, Bytes: 1 << 40, BlobBytes: 7, MaxRSS: 9, Digest: "ab", Transfer: 3},
		{Type: EventBusy, Seconds: 3},
		{Type: EventBusy, Seconds: 1e-9},
		{Type: EventBusy, Seconds: 1e22},
		{Type: EventLog, Counts: &Counts{}, Line: -1},
	}
	var ep EventParser // one for every line, as the controller reads them
	var parsed, wantParsed []Event
	for _, e := range events {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
		got := AppendEvent(nil, &e)
		if string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("encoding differs:\n got %s\nwant %s", got, want.Bytes())
		}
		back, err := ParseEvent(got)
		if err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		var std Event
		if err := json.Unmarshal(got, &std); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, std) {
			t.Errorf("parsed differently from encoding/json:\n got %+v\nwant %+v", back, std)
		}
		if back, err = ep.Parse(got); err != nil {
			t.Fatal(err)
		}
		parsed, wantParsed = append(parsed, back), append(wantParsed, std)
	}
	if !reflect.DeepEqual(parsed, wantParsed) {
		t.Errorf("parsed one after the other:\n got %+v\nwant %+v", parsed, wantParsed)
	}
}

// What the direct parser does not know is an error, so that the caller
// can fall back to encoding/json.
func TestParseEventRejects(t *testing.T) {
	for _, bad := range []string{`{"type":"log","future":1}`, `{"type":"log"`, `{"type":1}`, `{"line":"x"}`, `{"type":"log"} x`} {
		if _, err := ParseEvent([]byte(bad)); err == nil {
			t.Errorf("no error for %s", bad)
		}
	}
}

// The events of one EventParser keep their text while it parses many
// more (its buffers fill and are replaced). Its first buffer is small: a
// deploy to many hosts has a parser for each.
func TestEventParserKeepsEarlierEvents(t *testing.T) {
	var ep EventParser
	var want, got []Event
	for i := range 2000 {
		if i == 1 && ep.text.Cap() > firstEventText {
			t.Errorf("one event takes a buffer of %d bytes", ep.text.Cap())
		}
		e := Event{Type: EventComponent, Root: "r", Path: fmt.Sprintf("A > File('%d')", i), Action: "update",
			Diff: fmt.Sprintf("--- f%d\n+++ f%d\n@@ -0,0 +1 @@\n+\"%d\"\n", i, i, i), Message: "content differs"}
		back, err := ep.Parse(AppendEvent(nil, &e))
		if err != nil {
			t.Fatal(err)
		}
		want, got = append(want, e), append(got, back)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("events changed while more were parsed")
	}
}
