package remote

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batou-go/batou/runtime/plan"
)

// The controller's side of a relay session hands each stream its output,
// stderr and exit status; a stream whose agent has not ended when the
// session ends gets an error, and a later host cannot open a stream.
func TestRelaySessionDemultiplexes(t *testing.T) {
	hello := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(hello, plan.AppendFrame(nil, plan.FrameHello, 0, []byte(plan.RelayHello)), 0o644); err != nil {
		t.Fatal(err)
	}
	var frames []byte
	frames = plan.AppendFrame(frames, plan.FrameOutput, 1, []byte(`{"type":"log","message":"one"}`+"\n"))
	frames = plan.AppendFrame(frames, plan.FrameOutput, 2, []byte(`{"type":"log","message":"two"}`+"\n"))
	frames = plan.AppendFrame(frames, plan.FrameStderr, 1, []byte("said on stderr\n"))
	frames = plan.AppendFrame(frames, plan.FrameExit, 1, []byte("3"))
	frames = plan.AppendFrame(frames, plan.FrameOutput, 9, []byte("for nobody\n"))
	file := filepath.Join(t.TempDir(), "frames")
	if err := os.WriteFile(file, frames, 0o644); err != nil {
		t.Fatal(err)
	}

	r := &relaySession{h: &sshHost{}, ready: make(chan struct{}), streams: map[uint32]*relayStream{}}
	// The relay's input (the controller's frames) goes to a file; its
	// output is the prepared frames, once both hosts have opened.
	sent, err := os.Create(filepath.Join(t.TempDir(), "sent"))
	if err != nil {
		t.Fatal(err)
	}
	opened := filepath.Join(t.TempDir(), "opened")
	cmd := exec.Command("sh", "-c", `cat "$3"; while [ ! -e "$1" ]; do sleep 0.01; done; cat "$2"`, "sh", opened, file, hello)
	_, stdout, stderr, err := pipes(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.begin(cmd, sent, stdout, stderr); err != nil {
		t.Fatal(err)
	}
	one, err := r.open("one")
	if err != nil {
		t.Fatal(err)
	}
	two, err := r.open("two")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(opened, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := io.WriteString(one.stdin, "plan for one"); err != nil {
		t.Fatal(err)
	}
	e, ok := one.next()
	if !ok || e.Message != "one" || e.Host != "one" {
		t.Errorf("host one's event: %+v, %v", e, ok)
	}
	if _, ok := one.next(); ok {
		t.Error("host one: more events after its agent ended")
	}
	if err := one.wait(); err == nil || err.Error() != "exit status 3" {
		t.Errorf("host one's agent ended with %v, want exit status 3", err)
	}
	if got := one.stderrText(); got != "\nsaid on stderr" {
		t.Errorf("host one's stderr: %q", got)
	}
	e, ok = two.next()
	if !ok || e.Message != "two" || e.Host != "two" {
		t.Errorf("host two's event: %+v, %v", e, ok)
	}
	if err := two.wait(); err == nil || !strings.Contains(err.Error(), "relay session on the host ended before the agent") {
		t.Errorf("host two, whose agent never ended: %v", err)
	}
	if _, err := r.open("three"); err == nil {
		t.Error("a stream opened on a relay session that has ended")
	}
	sent.Close()
	data, _ := os.ReadFile(sent.Name())
	fr := plan.NewFrameReader(strings.NewReader(string(data)))
	var kinds []string
	for {
		f, err := fr.Read()
		if err != nil {
			break
		}
		kinds = append(kinds, string(f.Kind)+":"+string(rune('0'+f.Stream))+":"+string(f.Data))
	}
	if want := "o:1: o:2: i:1:plan for one"; strings.Join(kinds, " ") != want {
		t.Errorf("frames sent: %q, want %q", strings.Join(kinds, " "), want)
	}
}

// A relay that does not say hello first (an agent too old to relay, one
// that failed) is not used: the hosts go the usual way, told why.
func TestRelayWithoutHelloIsNotUsed(t *testing.T) {
	r := &relaySession{h: &sshHost{}, ready: make(chan struct{}), streams: map[uint32]*relayStream{}}
	cmd := exec.Command("sh", "-c", "echo 'flag provided but not defined: -relay' >&2; exit 2")
	stdin, stdout, stderr, err := pipes(cmd)
	if err != nil {
		t.Fatal(err)
	}
	err = r.begin(cmd, stdin, stdout, stderr)
	if err == nil || !strings.Contains(err.Error(), "starting the relay: flag provided but not defined: -relay") {
		t.Errorf("error %v", err)
	}
}

func TestBufPipeNeverBlocksTheWriter(t *testing.T) {
	b := newBufPipe()
	big := strings.Repeat("x", 1<<20)
	for range 8 {
		b.write([]byte(big)) // no reader yet: must not block
	}
	b.close()
	data, err := io.ReadAll(b)
	if err != nil || len(data) != 8<<20 {
		t.Errorf("read %d bytes, %v", len(data), err)
	}
}
