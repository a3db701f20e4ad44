package main

import (
	rt "runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/batou-go/batou/bench/workload"
	"github.com/batou-go/batou/runtime"
	"github.com/batou-go/batou/runtime/plan"
)

// phaseStat sums the time and the allocated bytes of one phase.
type phaseStat struct {
	d     time.Duration
	bytes uint64
}

// BenchmarkControllerPhases runs the controller's part of a deploy of
// the bench workload (1,000 templated files) in this process, phase by
// phase, and the agent's decoding of the plan; it reports each phase's
// time (ms) and allocated bytes (kB) per deploy. The phases of a local
// deploy run one after the other, so this shows where a deploy spends
// its time before the agent verifies anything.
func BenchmarkControllerPhases(b *testing.B) {
	dir := b.TempDir()
	if err := workload.Gen(dir, 1000); err != nil {
		b.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	names := []string{"load", "configure", "compile", "encode", "decode"}
	stats := make([]phaseStat, len(names))
	var ms rt.MemStats
	mark := func() (time.Time, uint64) {
		rt.ReadMemStats(&ms)
		return time.Now(), ms.TotalAlloc
	}
	n := 0
	var buf []byte
	for b.Loop() {
		var m *runtime.Model
		var plans []*plan.Plan
		steps := []func(){
			func() {
				var errs runtime.Errors
				m, errs = runtime.Load(dir, "bench", newSession(dir))
				if len(errs) > 0 {
					b.Fatal(errs)
				}
			},
			func() {
				if errs := m.Configure(); len(errs) > 0 {
					b.Fatal(errs)
				}
			},
			func() {
				var err error
				if plans, err = m.Plans(runtime.CompileOptions{Version: "x", Now: time.Now()}); err != nil {
					b.Fatal(err)
				}
			},
			func() {
				var err error
				if buf, err = plan.AppendRequest(buf[:0], plan.Request{Type: "plan", Plan: plans[0]}); err != nil {
					b.Fatal(err)
				}
			},
			func() {
				if _, err := plan.DecodeRequest(buf); err != nil {
					b.Fatal(err)
				}
			},
		}
		for i, f := range steps {
			t0, a0 := mark()
			f()
			t1, a1 := mark()
			stats[i].d += t1.Sub(t0)
			stats[i].bytes += a1 - a0
		}
		n++
	}
	for i, s := range stats {
		b.ReportMetric(float64(s.d.Microseconds())/1000/float64(n), names[i]+"-ms")
		b.ReportMetric(float64(s.bytes)/1024/float64(n), names[i]+"-kB")
	}
	b.ReportMetric(float64(len(buf))/1024, "plan-kB")
}
