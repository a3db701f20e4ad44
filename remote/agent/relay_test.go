package agent

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// relayRun runs Relay over pipes with agents run by serve(role, ...):
// the first line of an agent's input names its role (agents start in no
// particular order). It returns the controller's ends and the relay's
// result. After a minute, both ends are closed: a relay that is stuck
// fails the test instead of hanging it.
func relayRun(t *testing.T, serve func(role string, in io.Reader, out io.Writer, exit func(int)) error) (io.WriteCloser, *plan.FrameReader, chan error) {
	t.Helper()
	inR, inW := io.Pipe()
	// The relay's output is a pipe with a buffer, as ssh's is (the relay
	// says hello before it reads).
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		err := Relay(inR, outW, func(in io.Reader, out io.Writer, exit func(int)) error {
			br := bufio.NewReader(in)
			role, err := br.ReadString('\n')
			if err != nil {
				return err
			}
			return serve(strings.TrimSpace(role), br, out, exit)
		})
		outW.Close()
		done <- err
	}()
	stuck := time.AfterFunc(time.Minute, func() {
		inW.CloseWithError(errors.New("relay stuck"))
		outR.Close()
	})
	t.Cleanup(func() { stuck.Stop(); inW.Close(); outR.Close() })
	return inW, plan.NewFrameReader(outR), done
}

// open opens stream with an agent of role.
func open(t *testing.T, w io.Writer, stream uint32, role string) {
	t.Helper()
	send(t, w, plan.FrameOpen, stream, "")
	send(t, w, plan.FrameInput, stream, role+"\n")
}

// upper copies its input to its output in upper case, then says eol.
func upper(in io.Reader, out io.Writer, eol string) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	_, err = io.WriteString(out, strings.ToUpper(string(data))+eol)
	return err
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
		case plan.FrameHello:
			if f.Stream != 0 || string(f.Data) != plan.RelayHello || len(out)+len(errs)+len(status) > 0 {
				t.Errorf("hello frame: stream %d %q, after %v %v %v", f.Stream, f.Data, out, errs, status)
			}
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
	in, fr, done := relayRun(t, func(role string, in io.Reader, out io.Writer, _ func(int)) error {
		if role == "good" {
			return upper(in, out, "")
		}
		if err := upper(in, out, "!"); err != nil {
			return err
		}
		return errors.New("the second agent fails")
	})
	open(t, in, 7, "good")
	open(t, in, 9, "failing")
	send(t, in, plan.FrameInput, 9, "second ")
	send(t, in, plan.FrameInput, 7, "first ")
	send(t, in, plan.FrameInput, 9, "stream\n")
	send(t, in, plan.FrameInput, 7, "stream\n")
	send(t, in, plan.FrameClose, 7, "")
	send(t, in, plan.FrameClose, 9, "")
	out, _, status := collect(t, fr, 2)
	if out[7] != "FIRST STREAM\n" || out[9] != "SECOND STREAM\n!" {
		t.Errorf("stdout by stream = %v", out)
	}
	if status[7] != "0" || status[9] != "1" {
		t.Errorf("exit status by stream = %v, want 0 and 1", status)
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
	second := make(chan struct{})
	in, fr, done := relayRun(t, func(role string, in io.Reader, out io.Writer, _ func(int)) error {
		if role == "slow" {
			<-second
			data, err := io.ReadAll(in)
			fmt.Fprint(out, len(data))
			return err
		}
		defer close(second)
		return upper(in, out, "")
	})
	open(t, in, 1, "slow")
	open(t, in, 2, "quick")
	big := strings.Repeat("x", plan.MaxFrame)
	for range 16 { // 4 MiB: far more than a pipe holds
		send(t, in, plan.FrameInput, 1, big)
	}
	// Were stream 1's input not queued, the relay would still be handing
	// it to an agent that waits for stream 2, which would never get its
	// input (relayRun gives up after a minute).
	send(t, in, plan.FrameClose, 1, "")
	send(t, in, plan.FrameInput, 2, "quick\n")
	send(t, in, plan.FrameClose, 2, "")
	out, _, status := collect(t, fr, 2)
	if out[2] != "QUICK\n" || status[2] != "0" {
		t.Errorf("stream 2: %q, status %q", out[2], status[2])
	}
	if out[1] != "4194304" {
		t.Errorf("stream 1 read %s bytes, want all 4194304", out[1])
	}
	in.Close()
	if err := <-done; err != nil {
		t.Errorf("relay ended with %v", err)
	}
}

// When the controller goes away, every agent's input ends; the relay
// returns once they have all finished.
func TestRelayInputEndEndsEveryAgentsInput(t *testing.T) {
	in, fr, done := relayRun(t, func(role string, in io.Reader, out io.Writer, _ func(int)) error {
		return upper(in, out, " gone-"+role+"\n")
	})
	open(t, in, 1, "1")
	open(t, in, 2, "2")
	send(t, in, plan.FrameInput, 1, "partial")
	in.Close()
	out, _, status := collect(t, fr, 2)
	if out[1] != "PARTIAL gone-1\n" || out[2] != " gone-2\n" {
		t.Errorf("stdout by stream = %v", out)
	}
	if status[1] != "0" || status[2] != "0" {
		t.Errorf("exit status by stream = %v", status)
	}
	if err := <-done; err != nil {
		t.Errorf("relay ended with %v", err)
	}
}

// An agent that gives up (Options.Exit: its controller is gone and what it
// runs does not stop) is reported ended and does not keep the relay, and
// so the process, from ending; an agent that panics is reported with its
// stack, and the others go on.
func TestRelayAbandonedAndPanickingAgents(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	in, fr, done := relayRun(t, func(role string, in io.Reader, out io.Writer, exit func(int)) error {
		switch role {
		case "stuck":
			io.ReadAll(in)
			exit(1)
			<-block // cannot be stopped
			return nil
		case "panicking":
			panic("broken agent")
		}
		return upper(in, out, "")
	})
	open(t, in, 1, "stuck")
	open(t, in, 2, "panicking")
	open(t, in, 3, "fine")
	send(t, in, plan.FrameInput, 3, "fine\n")
	in.Close()
	out, errs, status := collect(t, fr, 3)
	if status[1] != "1" {
		t.Errorf("abandoned agent: status %q, want 1", status[1])
	}
	if status[2] != "the agent panicked" || !strings.Contains(errs[2], "panic: broken agent") || !strings.Contains(errs[2], "goroutine") {
		t.Errorf("panicking agent: status %q, stderr %q", status[2], errs[2])
	}
	if status[3] != "0" || out[3] != "FINE\n" {
		t.Errorf("other agent: status %q, stdout %q", status[3], out[3])
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("relay ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the relay waits for an abandoned agent")
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
			err := Relay(bytes.NewReader(frames), &out, func(in io.Reader, _ io.Writer, _ func(int)) error {
				_, err := io.ReadAll(in)
				return err
			})
			if err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// An agent's queue holds at most queueMax bytes: the frame reader waits
// beyond that until the agent reads (a large blob for a slow disk does
// not pile up in memory).
func TestRelayQueueIsBounded(t *testing.T) {
	q := newQueue()
	q.write(make([]byte, queueMax))
	wrote := make(chan struct{})
	go func() {
		q.write([]byte("more"))
		close(wrote)
	}()
	select {
	case <-wrote:
		t.Fatal("a full queue took more input")
	case <-time.After(100 * time.Millisecond):
	}
	if n, err := q.Read(make([]byte, 1<<20)); n != 1<<20 || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
	<-wrote // room again: the write goes through
	q.close()
	data, err := io.ReadAll(q)
	if err != nil || len(data) != queueMax-1<<20+4 || string(data[len(data)-4:]) != "more" {
		t.Errorf("read %d bytes (%v), want the rest and then the later input", len(data), err)
	}
}
