package components

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CreateWithContent leaves the host as Presence followed by Content do,
// and reports what Content would; where it cannot, it changes nothing.
func TestCreateWithContent(t *testing.T) {
	p := newProject(t)
	path := p.work("new.conf")
	a := Attrs{"path": path, "content": "a\nb\n", "encoding": "utf-8"}
	res, done := CreateWithContent(p.ctx(false), a)
	if !done {
		t.Fatal("a missing file was not created")
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "a\nb\n" {
		t.Fatalf("content %q, %v", data, err)
	}
	want := Result{NeedsUpdate: true, Reason: "content differs",
		Diff: "--- " + path + "\n+++ " + path + "\n@@ -0,0 +1,2 @@\n+a\n+b\n"}
	if res != want {
		t.Fatalf("result:\n got %#v\nwant %#v", res, want)
	}
	if _, err := os.Stat(tmpName(path)); !os.IsNotExist(err) {
		t.Fatalf("temporary file left: %v", err)
	}
	// The same file the two kinds make, also in its mode.
	other := p.work("other.conf")
	if err := presenceKind().Update(p.ctx(false), Attrs{"path": other}); err != nil {
		t.Fatal(err)
	}
	if err := contentKind().Update(p.ctx(false), Attrs{"path": other, "content": "a\nb\n"}); err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(path)
	st2, _ := os.Stat(other)
	if st1.Mode() != st2.Mode() {
		t.Fatalf("mode %v, Presence and Content give %v", st1.Mode(), st2.Mode())
	}

	// Empty content: an empty file, nothing for Content to do.
	empty := p.work("empty")
	if res, done := CreateWithContent(p.ctx(false), Attrs{"path": empty, "content": ""}); !done || res.NeedsUpdate {
		t.Fatalf("empty file: done %v, result %#v", done, res)
	}
	if info, err := os.Stat(empty); err != nil || info.Size() != 0 {
		t.Fatalf("empty file: %v, %v", info, err)
	}

	// Where it cannot: nothing changed, left to Presence and Content.
	leftover := p.work("left.conf")
	writeFile(t, tmpName(leftover), "old", 0o400)
	noParent := filepath.Join(p.work("missing"), "f")
	for _, target := range []string{leftover, noParent} {
		if _, done := CreateWithContent(p.ctx(false), Attrs{"path": target, "content": "x"}); done {
			t.Fatalf("%s: done, want left to Presence and Content", target)
		}
		if _, err := os.Lstat(target); !os.IsNotExist(err) {
			t.Fatalf("%s: created anyway (%v)", target, err)
		}
	}
	if data, err := os.ReadFile(tmpName(leftover)); err != nil || string(data) != "old" {
		t.Fatalf("leftover temporary file changed: %q, %v", data, err)
	}
	if _, done := CreateWithContent(p.ctx(false), Attrs{"path": p.work("blob"), "content": Blob{SHA256: "00", Size: 1}}); done {
		t.Fatal("content held by digest was written")
	}
}

// CreateIfMissing creates a missing file as CreateWithContent does, and
// leaves whatever stands at the path (a file, a dangling symlink, a
// directory) as it is, with no temporary file left.
func TestCreateIfMissing(t *testing.T) {
	p := newProject(t)
	path := p.work("new.conf")
	a := Attrs{"path": path, "content": "a\nb\n", "encoding": "utf-8"}
	got, done := CreateIfMissing(p.ctx(false), a)
	if !done {
		t.Fatal("a missing file was not created")
	}
	want, _ := CreateWithContent(p.ctx(false), Attrs{"path": p.work("other.conf"), "content": "a\nb\n", "encoding": "utf-8"})
	if got.Diff != strings.ReplaceAll(want.Diff, "other.conf", "new.conf") || got.Reason != want.Reason {
		t.Fatalf("result %#v, CreateWithContent gives %#v", got, want)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "a\nb\n" {
		t.Fatalf("content %q, %v", data, err)
	}

	file := p.work("file")
	writeFile(t, file, "old", 0o600)
	dangling := p.work("dangling")
	if err := os.Symlink(p.work("nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	dir := p.work("dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{path, file, dangling, dir} {
		before, _ := os.Lstat(target)
		if _, done := CreateIfMissing(p.ctx(false), Attrs{"path": target, "content": "x"}); done {
			t.Fatalf("%s: done, but something stands there", target)
		}
		if after, err := os.Lstat(target); err != nil || !os.SameFile(before, after) || after.ModTime() != before.ModTime() {
			t.Fatalf("%s: changed (%v)", target, err)
		}
		if _, err := os.Lstat(tmpName(target)); !os.IsNotExist(err) {
			t.Fatalf("%s: temporary file left (%v)", target, err)
		}
	}
	if _, err := os.Lstat(p.work("nowhere")); !os.IsNotExist(err) {
		t.Fatalf("the dangling symlink's target was created: %v", err)
	}
}
