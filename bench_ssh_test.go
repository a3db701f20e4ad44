package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"testing"
	"time"
)

// benchHarness gives the ssh test harness a benchmark (or a test): $WORK is a
// temporary directory, the environment a map, deferred functions cleanups.
type benchHarness struct {
	b   testing.TB
	env map[string]string
}

func newBenchHarness(b testing.TB) *benchHarness {
	work := b.TempDir()
	h := &benchHarness{b: b, env: map[string]string{"WORK": work, "HOME": filepath.Join(work, "home")}}
	h.Check(os.MkdirAll(h.env["HOME"], 0o755))
	return h
}

func (h *benchHarness) Check(err error) {
	if err != nil {
		h.b.Fatal(err)
	}
}
func (h *benchHarness) Fatalf(format string, args ...any) { h.b.Fatalf(format, args...) }
func (h *benchHarness) Getenv(key string) string          { return h.env[key] }
func (h *benchHarness) Setenv(key, value string)          { h.env[key] = value }
func (h *benchHarness) Defer(fn func())                   { h.b.Cleanup(fn) }

// sshScaleFiles is how many files the benchmark component writes.
const sshScaleFiles = 50

// sshScaleProject writes a project into h's $WORK whose environment "one"
// deploys 50 files to the host NAME01 and "many" to NAME01 to NAME16,
// each host in its own target directory.
func sshScaleProject(h *benchHarness, prefix string) {
	work := h.Getenv("WORK")
	files := map[string]string{
		"components/files/component.star": fmt.Sprintf(`def _configure(self):
    for i in range(%d):
        self += File("f%%d.conf" %% i, content = "file {{ args.i }} on {{ host.name }}\n", template_args = {"i": i})

Files = Component(configure = _configure)
`, sshScaleFiles),
	}
	for env, n := range map[string]int{"one": 1, "many": 16} {
		cfg := "[environment]\nconnect_method = ssh\n"
		for i := 1; i <= n; i++ {
			cfg += fmt.Sprintf("[host:%s%02d]\ncomponents = files\ntarget_directory = ~/d/%s%02d\n", prefix, i, prefix, i)
		}
		files["environments/"+env+"/environment.cfg"] = cfg
	}
	for name, text := range files {
		p := filepath.Join(work, name)
		h.Check(os.MkdirAll(filepath.Dir(p), 0o755))
		h.Check(os.WriteFile(p, []byte(text), 0o644))
	}
}

// deployEnv deploys env of the project in the working directory and
// returns how long it took.
func deployEnv(b *testing.B, env string) time.Duration {
	start := time.Now()
	if code := run([]string{"batou", "deploy", env}, io.Discard, io.Discard); code != 0 {
		b.Fatalf("deploy %s exited with %d", env, code)
	}
	return time.Since(start)
}

func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkSSHScale measures a no-op deploy of 50 files over ssh to 16
// hosts against the same deploy to 1 host, both in each iteration (so
// that other load on the machine slows both alike): to 16 aliases of one
// real sshd (hosts that share ssh master connections) and to 16 sshds
// (16 connections). It reports the medians ("ms-1host", "ms-16hosts")
// and their ratio ("x-1host"; 1.0 would be perfect scaling). All sshds
// and agents share this machine's cores with the controller.
func BenchmarkSSHScale(b *testing.B) {
	if _, err := os.Stat(sshdPath); err != nil {
		b.Skipf("needs OpenSSH's sshd: %v", err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	for _, kind := range []string{"aliases", "sshds"} {
		b.Run(kind, func(b *testing.B) {
			h := newBenchHarness(b)
			if kind == "aliases" {
				startSshdHost(h, "box")
				addAliases(h, 16, "h", "box")
			} else {
				for i := 1; i <= 16; i++ {
					startSshdHost(h, fmt.Sprintf("h%02d", i))
				}
			}
			sshScaleProject(h, "h")
			inDir(b, h.Getenv("WORK"), func() {
				deployEnv(b, "one")
				deployEnv(b, "many") // the first deploy uploads and writes
				var one, many []time.Duration
				for b.Loop() {
					one = append(one, deployEnv(b, "one"))
					many = append(many, deployEnv(b, "many"))
				}
				m1, m16 := medianDuration(one), medianDuration(many)
				b.ReportMetric(float64(m1.Microseconds())/1000, "ms-1host")
				b.ReportMetric(float64(m16.Microseconds())/1000, "ms-16hosts")
				b.ReportMetric(m16.Seconds()/m1.Seconds(), "x-1host")
			})
		})
	}
}
