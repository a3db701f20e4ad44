package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

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
// 10 symlinks to one local host: a no-op deploy and a first deploy. Every
// iteration also runs the floor (package bench/workload: read and compare
// the same files, and write the differing ones atomically) on the same
// files, untimed, and the metric x-floor is batou's time divided by the
// floor's. The controller runs in this process and the agent in a child
// process; bench/local.sh measures both as processes.
func BenchmarkLocalDeploy(b *testing.B) {
	// The controller runs in this process: give it the GC setting the
	// binary runs with after its first collection (tuneGC).
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	b.Run("noop", func(b *testing.B) {
		dir := b.TempDir()
		if err := workload.Gen(dir, benchFiles); err != nil {
			b.Fatal(err)
		}
		work := filepath.Join(dir, "work", "many")
		var floor time.Duration
		inDir(b, dir, func() {
			deployBench(b)
			for b.Loop() {
				deployBench(b)
				floor += floorRun(b, workload.Check, work)
			}
		})
		b.ReportMetric(float64(b.Elapsed())/float64(floor), "x-floor")
	})
	b.Run("first", func(b *testing.B) {
		var floor time.Duration
		for b.Loop() {
			b.StopTimer()
			dir := b.TempDir()
			if err := workload.Gen(dir, benchFiles); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			inDir(b, dir, func() { deployBench(b) })
			floor += floorRun(b, workload.Write, filepath.Join(b.TempDir(), "w"))
		}
		b.ReportMetric(float64(b.Elapsed())/float64(floor), "x-floor")
	})
}

// floorRun runs the floor step on work, with the benchmark timer stopped,
// and returns how long it took.
func floorRun(b *testing.B, step func(work string, n int) error, work string) time.Duration {
	b.StopTimer()
	defer b.StartTimer()
	start := time.Now()
	if err := step(work, benchFiles); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// parallelProject writes 8 local hosts whose app root sleeps 0.5 s in
// verify; with levels=2 a ninth host's root requires all of them, so it
// runs after them (a second level).
func parallelProject(b *testing.B, levels int) string {
	dir := b.TempDir()
	cfg := "[environment]\nconnect_method = local\n"
	for h := 0; h < 8; h++ {
		cfg += fmt.Sprintf("[host:h%d]\ncomponents = app\ntarget_directory = t/h%d\n", h, h)
	}
	if levels == 2 {
		cfg += "[host:front]\ncomponents = front\ntarget_directory = t/front\n"
	}
	files := map[string]string{
		"components/app.star": `
def _configure(self):
    self.provide("app", self.host.name)

def _verify(self):
    self.cmd("sleep 0.5")

App = Component(configure = _configure, verify = _verify)

def _front(self):
    self.apps = self.require("app")

Front = Component(configure = _front, verify = _verify)
`,
		"environments/bench/environment.cfg": cfg,
	}
	if levels == 1 {
		files["components/app.star"] = strings.Replace(files["components/app.star"], `self.provide("app", self.host.name)`, "pass", 1)
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkParallelHosts deploys 8 local hosts whose roots each sleep 0.5 s
// in verify: hosts run in parallel, so a deploy takes about 0.5 s per
// dependency level, not 8 x 0.5 s. The reported "ratio" metric is wall
// time divided by (levels x 0.5 s); 1.0 is ideal.
func BenchmarkParallelHosts(b *testing.B) {
	for _, levels := range []int{1, 2} {
		b.Run(fmt.Sprintf("levels=%d", levels), func(b *testing.B) {
			dir := parallelProject(b, levels)
			inDir(b, dir, func() {
				start := time.Now()
				n := 0
				for b.Loop() {
					deployBench(b)
					n++
				}
				per := time.Since(start).Seconds() / float64(n)
				b.ReportMetric(per/(0.5*float64(levels)), "ratio")
			})
		})
	}
}
