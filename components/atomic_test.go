package components

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// TestAtomicRecord: the recorder hears of a temporary file's directory
// before the file exists, for files and symlinks; its error fails the
// write, which then leaves the target and no temporary file.
func TestAtomicRecord(t *testing.T) {
	dir := t.TempDir()
	var heard []string
	w := Atomic{Record: func(d string) error {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if isTempFile(e.Name()) {
				t.Errorf("%s exists before it was recorded", e.Name())
			}
		}
		heard = append(heard, d)
		return nil
	}}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFile(filepath.Join(dir, "a"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.replaceSymlink(filepath.Join(sub, "l"), "a"); err != nil {
		t.Fatal(err)
	}
	if want := []string{dir, sub}; !slices.Equal(heard, want) {
		t.Errorf("recorded %q, want %q", heard, want)
	}

	failing := Atomic{Record: func(string) error { return errors.New("disk full") }}
	err := failing.WriteFile(filepath.Join(dir, "a"), []byte("b"), 0o644)
	if err == nil {
		t.Fatal("write succeeded although recording failed")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a")); string(got) != "a" {
		t.Errorf("a = %q after a failed write", got)
	}
	if err := (Atomic{}).WriteFile(filepath.Join(dir, "a"), []byte("c"), 0o644); err != nil {
		t.Fatal(err)
	}
	if names, _ := RemoveTempFiles(dir); len(names) != 0 {
		t.Errorf("temporary files left: %v", names)
	}
}

// TestRemoveTempFiles removes leftovers of atomic replacements (files and
// symlinks named .NAME.batou-tmp) and nothing else.
func TestRemoveTempFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".a.batou-tmp", "a", ".a", "b.batou-tmp", ".batou-tmp"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, ".l.batou-tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, ".d.batou-tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveTempFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{".a.batou-tmp", ".l.batou-tmp"}; !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{".a", ".batou-tmp", ".d.batou-tmp", "a", "b.batou-tmp"}; !slices.Equal(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
	if removed, err := RemoveTempFiles(filepath.Join(dir, "missing")); err != nil || removed != nil {
		t.Errorf("missing dir: %v, %v", removed, err)
	}
}

// TestFillCreated: the empty file a Presence created becomes the file a
// Content writes (one inode, the same mode, no temporary file left);
// a file with a second link, or one that is no longer empty, is replaced
// by an ordinary atomic write instead; a file Presence did not create is
// never filled in place.
func TestFillCreated(t *testing.T) {
	dir := t.TempDir()
	ctx := &Context{Workdir: dir}
	inode := func(name string) uint64 {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return info.Sys().(*syscall.Stat_t).Ino
	}
	deployFile := func(name, content string) {
		t.Helper()
		if err := updatePresence(ctx, Attrs{"path": name}); err != nil {
			t.Fatal(err)
		}
		if name == "linked" {
			if err := os.Link(filepath.Join(dir, name), filepath.Join(dir, "other-link")); err != nil {
				t.Fatal(err)
			}
		}
		if name == "grown" {
			writeFile(t, filepath.Join(dir, name), "someone else's", 0o600)
		}
		before := inode(name)
		if err := updateContent(ctx, Attrs{"path": name, "content": content}); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, filepath.Join(dir, name)); got != content {
			t.Errorf("%s = %q, want %q", name, got, content)
		}
		if same := inode(name) == before; same != (name == "new") {
			t.Errorf("%s: same inode after the content update: %v", name, same)
		}
	}
	deployFile("new", "fresh\n")
	deployFile("linked", "linked\n")
	deployFile("grown", "grown\n")
	if got := readFile(t, filepath.Join(dir, "other-link")); got != "" {
		t.Errorf("the second link of a file changed: %q", got)
	}
	if info, _ := os.Stat(filepath.Join(dir, "grown")); info.Mode().Perm() != 0o600 {
		t.Errorf("grown: mode %v, want the file's own 0600 kept", info.Mode().Perm())
	}
	writeFile(t, filepath.Join(dir, "old"), "", 0o644)
	before := inode("old")
	if err := updateContent(ctx, Attrs{"path": "old", "content": "x"}); err != nil {
		t.Fatal(err)
	}
	if inode("old") == before {
		t.Error("an empty file Presence did not create was filled in place")
	}
	if names, _ := RemoveTempFiles(dir); len(names) != 0 {
		t.Errorf("temporary files left: %v", names)
	}
}
