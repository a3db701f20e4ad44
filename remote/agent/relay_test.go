package agent

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// relayRun runs Relay over pipes with children started by script(n), the
// n-th stream's shell command, and returns the controller's ends and the
// relay's result. After a minute, both ends are closed: a relay that is
// stuck fails the test instead of hanging it.
func relayRun(t *testing.T, script func(n int) string) (io.WriteCloser, *plan.FrameReader, chan error) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	n := 0
	done := make(chan error, 1)
	go func() {
		err := Relay(inR, outW, func() *exec.Cmd {
			n++
			return exec.Command("sh", "-c", script(n))
		})
		outW.Close()
		done <- err
	}()
	stuck := time.AfterFunc(time.Minute, func() {
		inW.CloseWithError(errors.New("relay stuck"))
		outR.CloseWithError(errors.New("relay stuck"))
	})
	t.Cleanup(func() { stuck.Stop(); inW.Close() })
	return inW, plan.NewFrameReader(outR), done
}

func send(t *testing.T, w io.Writer, kind byte, stream uint32, data string) {
	t.Helper()
	if _, err := w.Write(plan.AppendFrame(nil, kind, stream, []byte(data))); err != nil {
		t.Fatal(err)
	}
}

// collect reads frames until every stream in want has exited; it returns
// each stream's stdout, stderr and exit status.
func collect(t *testing.T, fr *plan.FrameReader, streams int) (out, errs, status map[uint32]string) {
	t.Helper()
	out, errs, status = map[uint32]string{}, map[uint32]string{}, map[uint32]string{}
	for len(status) < streams {
		f, err := fr.Read()
		if err != nil {
			t.Fatalf("reading frames: %v (exited so far: %v)", err, status)
		}
		switch f.Kind {
		case plan.FrameOutput:
			out[f.Stream] += string(f.Data)
		case plan.FrameStderr:
			errs[f.Stream] += string(f.Data)
		case plan.FrameExit:
			status[f.Stream] = string(f.Data)
		default:
			t.Fatalf("unexpected frame kind %q", f.Kind)
		}
	}
	return out, errs, status
}

func TestRelayCarriesEachAgentsStdio(t *testing.T) {
	in, fr, done := relayRun(t, func(n int) string {
		if n == 1 {
			return "tr a-z A-Z; echo one-err >&2"
		}
		return "cat; echo two-err >&2; exit 3"
	})
	send(t, in, plan.FrameOpen, 7, "")
	send(t, in, plan.FrameOpen, 9, "")
	send(t, in, plan.FrameInput, 9, "second ")
	send(t, in, plan.FrameInput, 7, "first ")
	send(t, in, plan.FrameInput, 9, "stream\n")
	send(t, in, plan.FrameInput, 7, "stream\n")
	send(t, in, plan.FrameClose, 7, "")
	send(t, in, plan.FrameClose, 9, "")
	out, errs, status := collect(t, fr, 2)
	if out[7] != "FIRST STREAM\n" || out[9] != "second stream\n" {
		t.Errorf("stdout by stream = %v", out)
	}
	if errs[7] != "one-err\n" || errs[9] != "two-err\n" {
		t.Errorf("stderr by stream = %v", errs)
	}
	if status[7] != "0" || status[9] != "3" {
		t.Errorf("exit status by stream = %v, want 0 and 3", status)
	}
	in.Close()
	if err := <-done; err != nil {
		t.Errorf("relay ended with %v", err)
	}
}

// An agent that does not read its input holds up no other: input is
// queued per agent.
func TestRelayAgentThatDoesNotReadHoldsUpNoOther(t *testing.T) {
	// The first agent reads only once the second has ended.
	gone := t.TempDir() + "/second-ended"
	in, fr, done := relayRun(t, func(n int) string {
		if n == 1 {
			return "while [ ! -e " + gone + " ]; do sleep 0.01; done; wc -c"
		}
		return "cat; touch " + gone
	})
	send(t, in, plan.FrameOpen, 1, "")
	send(t, in, plan.FrameOpen, 2, "")
	big := strings.Repeat("x", plan.MaxFrame)
	for range 16 { // 4 MiB: far more than a pipe holds
		send(t, in, plan.FrameInput, 1, big)
	}
	// Were stream 1's input not queued, the relay would still be writing
	// it to an agent that waits for stream 2, which would never get its
	// input (relayRun gives up after a minute).
	send(t, in, plan.FrameClose, 1, "")
	send(t, in, plan.FrameInput, 2, "quick\n")
	send(t, in, plan.FrameClose, 2, "")
	out, _, status := collect(t, fr, 2)
	if out[2] != "quick\n" || status[2] != "0" {
		t.Errorf("stream 2: %q, status %q", out[2], status[2])
	}
	if got := strings.TrimSpace(out[1]); got != "4194304" {
		t.Errorf("stream 1 read %s bytes, want all 4194304", got)
	}
	in.Close()
	if err := <-done; err != nil {
		t.Errorf("relay ended with %v", err)
	}
}

// When the controller goes away, every agent's input ends; the relay
// returns once they have all exited.
func TestRelayInputEndEndsEveryAgentsInput(t *testing.T) {
	in, fr, done := relayRun(t, func(n int) string { return "cat; echo gone-" + string(rune('0'+n)) })
	send(t, in, plan.FrameOpen, 1, "")
	send(t, in, plan.FrameOpen, 2, "")
	send(t, in, plan.FrameInput, 1, "partial")
	in.Close()
	out, _, status := collect(t, fr, 2)
	if out[1] != "partialgone-1\n" || out[2] != "gone-2\n" {
		t.Errorf("stdout by stream = %v", out)
	}
	if status[1] != "0" || status[2] != "0" {
		t.Errorf("exit status by stream = %v", status)
	}
	if err := <-done; err != nil {
		t.Errorf("relay ended with %v", err)
	}
}

func TestRelayRefusesMalformedInput(t *testing.T) {
	for name, frames := range map[string][]byte{
		"unknown kind":   plan.AppendFrame(nil, 'z', 1, nil),
		"not open":       plan.AppendFrame(nil, plan.FrameInput, 4, []byte("x")),
		"too long":       append([]byte{plan.FrameInput, 0, 0, 0, 1}, 0xff, 0xff, 0xff, 0xff),
		"opened twice":   append(plan.AppendFrame(nil, plan.FrameOpen, 1, nil), plan.AppendFrame(nil, plan.FrameOpen, 1, nil)...),
		"cut in a frame": plan.AppendFrame(nil, plan.FrameOpen, 1, nil)[:5],
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := Relay(bytes.NewReader(frames), &out, func() *exec.Cmd { return exec.Command("true") })
			if err == nil {
				t.Fatal("no error")
			}
		})
	}
}
