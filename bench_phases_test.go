package main

import (
	"io"
	rt "runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/batou-go/batou/bench/workload"
	"github.com/batou-go/batou/runtime"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
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
// its time before the agent verifies anything. The phase "lookup" is
// what a deploy does instead of configure, compile and encode when
// nothing configure reads has changed: find the kept plans and check
// every read they depend on (runtime.PlanCache).
func BenchmarkControllerPhases(b *testing.B) {
	dir := b.TempDir()
	if err := workload.Gen(dir, 1000); err != nil {
		b.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	cache := keptPlans(b, dir)
	names := []string{"load", "lookup", "configure", "compile", "encode", "decode"}
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
				if r, why := cache.Lookup(m); r == nil {
					b.Fatalf("the kept plans are not used: %s", why)
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

// keptPlans deploys environment bench of dir as far as sending its plans
// (to nowhere) and keeps them in a cache it returns.
func keptPlans(b *testing.B, dir string) *runtime.PlanCache {
	s := newSession(dir)
	s.Inputs = &starlib.Inputs{}
	m, errs := runtime.Load(dir, "bench", s)
	if len(errs) == 0 {
		errs = m.Configure()
	}
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	plans, err := m.Plans(runtime.CompileOptions{Version: "x", Now: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	wires := []*plan.Wire{{}}
	if _, err := plan.WriteRequest(io.Discard, plan.Request{Type: "plan", Plan: plans[0], Keep: wires[0]}); err != nil {
		b.Fatal(err)
	}
	c := &runtime.PlanCache{Dir: b.TempDir(), Facts: []string{"bench"}}
	if err := c.Store(m, plans, wires, m.Schedule(), nil, nil); err != nil {
		b.Fatal(err)
	}
	return c
}
