package remote

import (
	"bytes"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// BenchmarkConnRead reads the component events of a first deploy of
// 1,000 files (a Presence and a Content with its diff each) as the
// controller reads an agent's output: conn.read parses the lines and
// hands each event over its channel to another goroutine, as to the
// scheduler. ns/event, allocs/event and cpu-ns/event (the CPU time of
// the process: steadier on a busy machine) are per event.
func BenchmarkConnRead(b *testing.B) {
	var wire []byte
	n := 0
	for i := range 1000 {
		name := fmt.Sprintf("d%02d/f%04d.conf", i%10, i)
		path := "/srv/app/work/many/" + name
		diff := fmt.Sprintf("--- %s\n+++ %s\n@@ -0,0 +1,3 @@\n+# generated\n+name = file-%d\n+alpha = %d\n", path, path, i, i)
		for _, e := range []plan.Event{
			{Type: plan.EventComponent, Root: "many", Path: "Many > File('" + name + "') > Presence('" + name + "')", Action: "update", Message: "file missing"},
			{Type: plan.EventComponent, Root: "many", Path: "Many > File('" + name + "') > Content('" + name + "')", Action: "update", Diff: diff, Message: "content differs"},
		} {
			wire = append(plan.AppendEvent(wire, &e), '\n')
			n++
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs, cpu := ms.Mallocs, cpuTime(b)
	for b.Loop() {
		c := &conn{host: "localhost", events: make(chan plan.Event, 64)}
		go c.read(bytes.NewReader(wire))
		got := 0
		for e, ok := c.next(); ok; e, ok = c.next() {
			if e.Type == plan.EventComponent {
				got++
			}
		}
		if got != n {
			b.Fatalf("%d events, want %d", got, n)
		}
	}
	b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N*n), "cpu-ns/event")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Mallocs-mallocs)/float64(b.N*n), "allocs/event")
}

// cpuTime is the CPU time this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
