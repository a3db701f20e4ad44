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
