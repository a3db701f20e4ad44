package plan

import (
	"fmt"
	"unicode/utf8"
)

// MaxEventText is the most of one text field of an event (a message, a
// detail, a diff) that the agent sends. A Starlark error or log line of
// megabytes is cut in its middle: the controller reads each event as one
// line, and a line of 70 MB took 20 s to send and then failed as a lost
// connection.
const MaxEventText = 256 << 10

// CapEvent returns e with every text field longer than MaxEventText cut
// in its middle: its start and its end are kept, with a line between
// them that says how many bytes are not shown. Cut only masked events: a
// secret cut in two is no longer found whole.
func CapEvent(e Event) Event {
	for _, f := range []*string{&e.Title, &e.Path, &e.Diff, &e.Message, &e.Hint, &e.Detail} {
		if len(*f) > MaxEventText {
			*f = cutMiddle(*f, MaxEventText)
		}
	}
	return e
}

// cutMiddle keeps about max bytes of s, its first and last halves, cut at
// character boundaries.
func cutMiddle(s string, max int) string {
	head, tail := max/2, len(s)-max/2
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return fmt.Sprintf("%s\n[... %d bytes not shown ...]\n%s", s[:head], tail-head, s[tail:])
}
