package components

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A prefetched file is handed out once; after Stop, and for files over the
// size limit, the verify reads the file itself and sees what is on disk.
func TestPrefetch(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a", "one")
	write("b", "two")
	write("big", string(bytes.Repeat([]byte("x"), prefetchMax+1)))
	ctx := &Context{Workdir: dir}
	pf := NewPrefetch()
	for _, name := range []string{"a", "b", "big", "missing"} {
		pf.Add(ctx, name)
	}
	pf.Add(ctx, "a") // read once
	if len(pf.order) != 4 {
		t.Fatalf("want 4 files to read, got %d", len(pf.order))
	}
	pf.Start(2)
	deadline := time.Now().Add(5 * time.Second)
	for pf.next.Load() < int64(len(pf.order)) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	ctx.Files = pf

	write("a", "changed behind the prefetch")
	if got, _ := ctx.readFile(filepath.Join(dir, "a")); string(got) != "one" {
		t.Errorf("a: want the prefetched bytes, got %q", got)
	}
	if got, _ := ctx.readFile(filepath.Join(dir, "a")); string(got) != "changed behind the prefetch" {
		t.Errorf("a read twice: want the file itself the second time, got %q", got)
	}
	if _, err := ctx.readFile(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("missing: want not-exist, got %v", err)
	}
	if got, _ := ctx.readFile(filepath.Join(dir, "big")); len(got) != prefetchMax+1 {
		t.Errorf("big: want %d bytes, got %d", prefetchMax+1, len(got))
	}
	pf.Stop()
	write("b", "after stop")
	if got, _ := ctx.readFile(filepath.Join(dir, "b")); string(got) != "after stop" {
		t.Errorf("b after Stop: want the file itself, got %q", got)
	}
}

// A Presence verify before the Content of the same path gets its answer
// from the prefetch (reading the file if no worker has yet); the Content
// verify after it still gets the bytes, once.
func TestPrefetchAnswersPresence(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := &Context{Workdir: dir}
	pf := NewPrefetch()
	for _, name := range []string{"f", "d", "missing"} {
		pf.Add(ctx, name)
	}
	ctx.Files = pf // not started: the Presence verify reads itself
	for _, tt := range []struct{ name, reason string }{{"f", ""}, {"d", "not a regular file: a directory"}, {"missing", "file missing"}} {
		res, err := verifyPresence(ctx, Attrs{"path": tt.name})
		if err != nil || res.Reason != tt.reason || res.NeedsUpdate != (tt.reason != "") {
			t.Errorf("%s: got %+v, %v; want reason %q", tt.name, res, err, tt.reason)
		}
	}
	if e := pf.files[filepath.Join(dir, "f")]; e.state.Load() != prefetchReading || string(e.res.data) != "content" {
		t.Fatalf("f: want it read ahead by the Presence verify, state %d", e.state.Load())
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := ctx.readFile(filepath.Join(dir, "f")); string(got) != "content" {
		t.Errorf("f: want the bytes read with the Presence verify, got %q", got)
	}
	if got, _ := ctx.readFile(filepath.Join(dir, "f")); string(got) != "changed" {
		t.Errorf("f read twice: want the file itself, got %q", got)
	}
	pf.Stop()
	if err := os.Remove(filepath.Join(dir, "d")); err != nil {
		t.Fatal(err)
	}
	if res, _ := verifyPresence(ctx, Attrs{"path": "d"}); res.Reason != "file missing" {
		t.Errorf("d after Stop: want the system asked again (file missing), got %q", res.Reason)
	}
}

// readRegular reads a file with fewer system calls than os.ReadFile but
// the same result: empty files, a file of exactly its size, and not
// regular files (skipped).
func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 511, 512, 4096, 100000} {
		p := filepath.Join(dir, "f")
		want := bytes.Repeat([]byte("ab"), size)[:size]
		if err := os.WriteFile(p, want, 0o644); err != nil {
			t.Fatal(err)
		}
		r := readRegular(p, prefetchMax)
		if r.err != nil || r.skip || !bytes.Equal(r.data, want) {
			t.Errorf("size %d: got %d bytes, skip %v, err %v", size, len(r.data), r.skip, r.err)
		}
	}
	if r := readRegular(dir, prefetchMax); !r.skip || !r.mode.IsDir() {
		t.Errorf("a directory: want skipped as a directory, got %+v", r)
	}
	if r := readRegular(filepath.Join(dir, "f"), 10); !r.skip {
		t.Errorf("over the limit: want skipped, got %d bytes", len(r.data))
	}
	if r := readRegular(filepath.Join(dir, "none"), 10); !os.IsNotExist(r.err) {
		t.Errorf("missing: want not-exist, got %v", r.err)
	}
}

// A path taken before the prefetch read it (so never read ahead) and then
// asked for again reads the file both times instead of waiting forever:
// two components reading one path once hung the verify.
func TestPrefetchTakenBeforeRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x")
	if err := os.WriteFile(path, []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := &Context{Workdir: dir}
	pf := NewPrefetch()
	pf.Add(ctx, "x")
	ctx.Files = pf // not started: the first take finds it pending
	got := make(chan string, 2)
	go func() {
		for range 2 {
			data, _ := ctx.readFile(path)
			got <- string(data)
		}
	}()
	for i := range 2 {
		select {
		case s := <-got:
			if s != "b" {
				t.Errorf("read %d: got %q", i, s)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("read %d of a path taken before it was read ahead hangs", i)
		}
	}
}

// With UntilMissing the prefetch reads no file after one it finds
// missing (a deploy would stop it there); the verifies of those files
// read them themselves, and the files before it are handed out as ever.
func TestPrefetchUntilMissing(t *testing.T) {
	dir := t.TempDir()
	names := []string{"a", "gone", "b", "c", "d"}
	for _, name := range names {
		if name != "gone" {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := &Context{Workdir: dir}
	pf := NewPrefetch()
	pf.UntilMissing = true
	for _, name := range names {
		pf.Add(ctx, name)
	}
	pf.Start(1)
	deadline := time.Now().Add(5 * time.Second)
	for !pf.ended.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	if !pf.ended.Load() {
		t.Fatal("the prefetch did not end at the missing file")
	}
	for _, e := range pf.order[2:] {
		if e.state.Load() != prefetchPending {
			t.Errorf("%s was read after the missing file", e.path)
		}
	}
	ctx.Files = pf
	if _, err, ok := pf.stat(filepath.Join(dir, "gone")); !ok || !os.IsNotExist(err) {
		t.Errorf("gone: want missing from the prefetch, got %v %v", err, ok)
	}
	for _, name := range []string{"a", "c"} {
		if got, err := ctx.readFile(filepath.Join(dir, name)); string(got) != name || err != nil {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
}
