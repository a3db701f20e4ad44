package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	rt "runtime"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/batou-go/batou/bench/workload"
	"github.com/batou-go/batou/runtime"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
)

// phaseStat sums the time, the CPU time of the benchmark's thread and
// the allocated bytes of one phase.
type phaseStat struct {
	d, cpu time.Duration
	bytes  uint64
}

// threadCPU is the CPU time the calling thread has used so far (on
// Linux; elsewhere the process's).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkControllerPhases runs the controller's part of a deploy of
// the bench workload (1,000 templated files) in this process, phase by
// phase, and the agent's decoding of the plan; it reports each phase's
// time (ms) and allocated bytes (kB) per deploy. The phases of a local
// deploy run one after the other, so this shows where a deploy spends
// its time before the agent verifies anything. The phase "lookup" is
// what a deploy does instead of configure, compile and encode when
// nothing configure reads has changed: find the kept plans and check
// every read they depend on (runtime.PlanCache). Each phase's CPU time
// on the benchmark's thread (cpums: the phase's own work, without the
// garbage collector's background workers) is steadier than its time on
// a busy machine.
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
	mark := func() (time.Time, time.Duration, uint64) {
		rt.ReadMemStats(&ms)
		return time.Now(), threadCPU(), ms.TotalAlloc
	}
	rt.LockOSThread()
	defer rt.UnlockOSThread()
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
			t0, c0, a0 := mark()
			f()
			t1, c1, a1 := mark()
			stats[i].d += t1.Sub(t0)
			stats[i].cpu += c1 - c0
			stats[i].bytes += a1 - a0
		}
		n++
	}
	for i, s := range stats {
		b.ReportMetric(float64(s.d.Microseconds())/1000/float64(n), names[i]+"-ms")
		b.ReportMetric(float64(s.cpu.Microseconds())/1000/float64(n), names[i]+"-cpums")
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

// firstDeployEvents are the events the agent sends for a first deploy of
// the bench workload with n files under work: each new directory, each
// File's Presence and Content (with the diff of the new file, as
// components writes it), each symlink, and the end of the root.
func firstDeployEvents(work string, n int) []plan.Event {
	component := func(path, diff, msg string) plan.Event {
		return plan.Event{Type: plan.EventComponent, Root: "many", Path: path, Action: "update", Diff: diff, Message: msg}
	}
	var out []plan.Event
	for d := range 10 {
		out = append(out, component(fmt.Sprintf("Many > Directory('d%02d')", d), "", "directory missing"))
	}
	for i := range n {
		name := fmt.Sprintf("d%02d/f%04d.conf", i%10, i)
		file := "Many > File('" + name + "') > "
		path := work + "/" + name
		diff := fmt.Sprintf("--- %s\n+++ %s\n@@ -0,0 +1,6 @@\n+# File is generated by batou for component Many. Don't edit manually.\n"+
			"+name = file-%d\n+host = localhost\n+alpha = %d\n+beta = %d\n+gamma = %d\n", path, path, i, i, i, i)
		out = append(out, component(file+"Presence('"+name+"')", "", "file missing"),
			component(file+"Content('"+name+"')", diff, "content differs"))
	}
	for l := range 10 {
		out = append(out, component(fmt.Sprintf("Many > Symlink('l%02d')", l), "", "link missing"))
	}
	return append(out, plan.Event{Type: plan.EventRootFinish, Root: "many", Status: "ok", Changed: plan.Bool(true)})
}

// BenchmarkEvents measures the events of a first deploy of 1,000 files
// on their way from the agent to the output, in this process: "encode"
// is the agent's part (each event as a JSON line, appended to the batch
// it writes), "parse" the controller's (read the lines, parse each event),
// "render" the text output (to /dev/null, as bench/local.sh),
// "render-json" the output of --json, and "all" the agent's part, the
// controller's and the text output in a row. ns/event, allocs/event and
// cpu-ns/event (the CPU time of the process, garbage collection included:
// steadier than ns/event on a busy machine) are per event of the stream.
func BenchmarkEvents(b *testing.B) {
	events := firstDeployEvents("/tmp/bench/p1/work/many", benchFiles)
	var wire []byte
	encode := func() {
		wire = wire[:0]
		for i := range events {
			wire = plan.AppendEvent(wire, &events[i])
			wire = append(wire, '\n')
		}
	}
	parse := func(emit func(plan.Event)) {
		var ep plan.EventParser
		sc := bufio.NewScanner(bytes.NewReader(wire))
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			e, err := ep.Parse(sc.Bytes())
			if err != nil {
				b.Fatal(err)
			}
			e.Host = "localhost"
			emit(e)
		}
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devNull.Close()
	r := newRenderer(devNull, false)
	r.setMasker(plan.NewMasker())
	parsed := make([]plan.Event, 0, len(events))
	encode()
	parse(func(e plan.Event) { parsed = append(parsed, e) })
	perEvent := func(b *testing.B, fn func()) {
		b.ReportAllocs()
		cpu0 := cpuTime(b)
		for b.Loop() {
			fn()
		}
		b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N*len(events)), "cpu-ns/event")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
		b.ReportMetric(float64(testing.AllocsPerRun(1, fn))/float64(len(events)), "allocs/event")
	}
	b.Run("encode", func(b *testing.B) { perEvent(b, encode) })
	b.Run("parse", func(b *testing.B) { perEvent(b, func() { parse(func(plan.Event) {}) }) })
	b.Run("render", func(b *testing.B) {
		perEvent(b, func() {
			for _, e := range parsed {
				r.Event(e)
			}
		})
	})
	rj := newRenderer(devNull, true)
	b.Run("render-json", func(b *testing.B) {
		perEvent(b, func() {
			for _, e := range parsed {
				rj.Event(e)
			}
		})
	})
	b.Run("all", func(b *testing.B) {
		perEvent(b, func() {
			encode()
			parse(r.Event)
		})
	})
	b.ReportMetric(float64(len(wire))/1024, "wire-kB")
}

// cpuTime is the CPU time this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
