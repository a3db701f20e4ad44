package components

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchFiles is how many up-to-date files the verify benchmarks check.
const benchFiles = 1000

// benchTree writes benchFiles files of 1 KiB and returns their Content
// attributes (as they arrive from a plan).
func benchTree(b *testing.B) []Attrs {
	b.Helper()
	dir := b.TempDir()
	out := make([]Attrs, benchFiles)
	for i := range out {
		path := filepath.Join(dir, fmt.Sprintf("f%04d.conf", i))
		content := strings.Repeat(fmt.Sprintf("line %04d of a config file\n", i), 1024/32) + strings.Repeat("x", 1024%32)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
		out[i] = Attrs{"path": path, "content": content, "encoding": encUTF8, "is_template": false}
	}
	return out
}

// BenchmarkContentVerifyNoop verifies 1,000 up-to-date 1 KiB files with
// Content's Verify; one op is all 1,000.
func BenchmarkContentVerifyNoop(b *testing.B) {
	files := benchTree(b)
	k, ctx := contentKind(), &Context{}
	for b.Loop() {
		for _, a := range files {
			res, err := k.Verify(ctx, a)
			if err != nil || res.NeedsUpdate {
				b.Fatalf("verify: %+v %v", res, err)
			}
		}
	}
}

// BenchmarkFloorReadCompare is the floor for BenchmarkContentVerifyNoop: a
// plain stat, read and compare of the same 1,000 files.
func BenchmarkFloorReadCompare(b *testing.B) {
	files := benchTree(b)
	want := make([][]byte, len(files))
	for i, a := range files {
		want[i] = []byte(a.str("content"))
	}
	for b.Loop() {
		for i, a := range files {
			p := a.str("path")
			if _, err := os.Stat(p); err != nil {
				b.Fatal(err)
			}
			data, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(data, want[i]) {
				b.Fatalf("read %s: %v", p, err)
			}
		}
	}
}
