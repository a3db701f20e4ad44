package components

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// A Content whose target is a Unix socket says so and needs its update,
// whatever the size of the content: opening a socket fails (ENXIO), and
// before, verify (a -P, or a Content without Presence) failed with "open
// ...: no such device or address".
func TestContentVerifyOverSocket(t *testing.T) {
	for _, size := range []int64{2, 100000, 2000000} { // inline, blob read whole, blob hashed
		p := newProject(t)
		path := filepath.Join(t.TempDir(), "s") // a socket path must be short
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var content any = strings.Repeat("x", int(size))
		if size > InlineMax {
			content = Blob{SHA256: strings.Repeat("0", 64), Size: size, Name: "s"}
		}
		res, err := contentKind().Verify(p.ctx(true), Attrs{"path": path, "content": content, "encoding": "utf-8"})
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !res.NeedsUpdate || (size <= InlineMax && res.Reason != "not a regular file: a socket") {
			t.Fatalf("size %d: got %#v", size, res)
		}
	}
}
