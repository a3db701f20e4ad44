package main

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// failingWriter fails every write with err, as a closed pipe or a full
// disk does.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// lostRun is a deploy run whose output fails with err; it records what
// outputLost says and whether it stopped the run.
func lostRun(err error) (d *deployRun, stderr *strings.Builder, stopped *bool) {
	d = &deployRun{r: newRenderer(failingWriter{err}, false), mode: modeDeploy, env: "prod", line: "batou deploy prod", start: time.Now()}
	stderr, stopped = &strings.Builder{}, new(bool)
	d.r.lost = func(err error) { d.outputLost(err, stderr, func() { *stopped = true }) }
	return d, stderr, stopped
}

// An output lost while the work goes on stops it in order, saying why and
// what to do; lost only when the work has ended (the summary, a -c run
// whose reader went away at its end), it stops nothing and says that only
// the rest of the summary is missing, not that the deploy stops.
func TestOutputLostDuringAndAfterTheWork(t *testing.T) {
	for _, tc := range []struct {
		err        error
		what, hint string
	}{
		{&writeError{syscall.EPIPE}, "its output is closed", "hint: to deploy without watching, send the output to a file (batou deploy prod > deploy.log)"},
		{&writeError{syscall.ENOSPC}, "cannot write its output", "hint: make room where the output goes"},
	} {
		d, stderr, stopped := lostRun(tc.err)
		d.info("Loading environment `prod`...")
		if !*stopped || !strings.Contains(stderr.String(), "batou deploy: "+tc.what+" (") ||
			!strings.Contains(stderr.String(), "the deploy stops in order, as on Ctrl-C") || !strings.Contains(stderr.String(), tc.hint) {
			t.Errorf("lost while working: stopped=%v, said %q", *stopped, stderr.String())
		}

		d, stderr, stopped = lostRun(tc.err)
		if err := d.finish(nil, 1); err != nil {
			t.Fatal(err)
		}
		if *stopped || strings.Contains(stderr.String(), "stops") ||
			!strings.Contains(stderr.String(), "batou deploy: "+tc.what+" (") || !strings.Contains(stderr.String(), "after the work had ended: the rest of the summary is not shown") {
			t.Errorf("lost in the summary: stopped=%v, said %q", *stopped, stderr.String())
		}
		if n := strings.Count(stderr.String(), "batou deploy:"); n != 1 {
			t.Errorf("said it %d times, want once: %q", n, stderr.String())
		}
	}
}

// writeError is how a write to stdout fails (os.PathError's form).
type writeError struct{ errno syscall.Errno }

func (e *writeError) Error() string { return "write /dev/stdout: " + e.errno.Error() }
func (e *writeError) Unwrap() error { return e.errno }
