package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/batou-go/batou/bench/workload"
)

const benchFiles = 1000

// inDir runs fn with the working directory set to dir.
func inDir(b *testing.B, dir string, fn func()) {
	old, err := os.Getwd()
	if err != nil {
		b.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		b.Fatal(err)
	}
	defer os.Chdir(old)
	fn()
}

func deployBench(b *testing.B) {
	if code := run([]string{"batou", "deploy", "bench"}, io.Discard, io.Discard); code != 0 {
		b.Fatalf("deploy exited with %d", code)
	}
}

// BenchmarkLocalDeploy deploys 1,000 templated files, 10 directories and
// 10 symlinks to one local host: the first deploy and a no-op deploy,
// each next to its floor (writing, or stat/read/compare of, the same
// files) in the same run. Compare ns/op of noop with floor-check and of
// first with floor-write.
func BenchmarkLocalDeploy(b *testing.B) {
	b.Run("noop", func(b *testing.B) {
		dir := b.TempDir()
		if err := workload.Gen(dir, benchFiles); err != nil {
			b.Fatal(err)
		}
		inDir(b, dir, func() {
			deployBench(b)
			for b.Loop() {
				deployBench(b)
			}
		})
	})
	b.Run("floor-check", func(b *testing.B) {
		dir := b.TempDir()
		if err := workload.Write(dir, benchFiles); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := workload.Check(dir, benchFiles); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			dir := b.TempDir()
			if err := workload.Gen(dir, benchFiles); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			inDir(b, dir, func() { deployBench(b) })
		}
	})
	b.Run("floor-write", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			dir := filepath.Join(b.TempDir(), "w")
			b.StartTimer()
			if err := workload.Write(dir, benchFiles); err != nil {
				b.Fatal(err)
			}
		}
	})
}
