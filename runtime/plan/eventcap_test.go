package plan

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// An event text of megabytes (a Starlark error, a log line) is cut in its
// middle to what the controller reads whole; shorter ones are untouched.
func TestCapEvent(t *testing.T) {
	long := "start " + strings.Repeat("é", 3<<20) + " end"
	e := CapEvent(Event{Type: EventError, Message: long, Detail: "short", Path: "App"})
	if len(e.Message) > MaxEventText+100 || !strings.HasPrefix(e.Message, "start ") || !strings.HasSuffix(e.Message, " end") {
		t.Errorf("cut message: %d bytes, %.40q ... %.40q", len(e.Message), e.Message, e.Message[len(e.Message)-40:])
	}
	if !strings.Contains(e.Message, " bytes not shown ...]\n") || !utf8.ValidString(e.Message) {
		t.Errorf("cut message lacks its note or is not valid UTF-8")
	}
	if e.Detail != "short" || e.Path != "App" {
		t.Errorf("short fields changed: %q %q", e.Detail, e.Path)
	}
	if ok := CapEvent(Event{Message: strings.Repeat("x", MaxEventText)}); len(ok.Message) != MaxEventText {
		t.Errorf("a message of MaxEventText bytes was cut to %d", len(ok.Message))
	}
}
