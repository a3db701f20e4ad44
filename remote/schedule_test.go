package remote

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// Ctrl-C reaches every busy host at once, also when one host takes
// nothing: it froze in the middle of a transfer (here: nobody reads its
// pipe), so the write of a blob chunk blocks with its connection held.
// Before, the interrupts went to the hosts one after the other, and the
// hosts after the frozen one (and the scheduler) waited for it until ssh
// gave it up. The frozen host gets its interrupt when it takes its input
// again, after the chunk.
func TestInterruptDoesNotWaitForAFrozenHost(t *testing.T) {
	frozenR, frozenW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fineR, fineW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer fineR.Close()
	frozen := &conn{host: "frozen", stdin: frozenW}
	fine := &conn{host: "fine", stdin: fineW}
	chunk := bytes.Repeat([]byte("x"), blobChunk) // more than a pipe holds
	go func() { _ = frozen.sendChunk(1, chunk, false, "") }()
	for frozen.mu.TryLock() { // until the chunk's write holds the connection
		frozen.mu.Unlock()
		time.Sleep(time.Millisecond)
	}

	d := &Deployment{opts: Options{Emit: func(plan.Event) {}}, conns: map[string]*conn{"frozen": frozen, "fine": fine}}
	s := &scheduler{d: d, busy: map[string]bool{"frozen": true, "fine": true}}
	returned := make(chan struct{})
	go func() {
		s.interrupt()
		close(returned)
	}()
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(fineR).ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		if !strings.Contains(line, `"interrupt"`) {
			t.Errorf("the fine host got %q", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the fine host got no interrupt while the other one is frozen")
	}
	select {
	case <-returned:
	case <-time.After(20 * time.Second):
		t.Fatal("interrupt waits for the frozen host")
	}

	// The frozen host takes its input again: the chunk comes whole, then
	// the interrupt.
	br := bufio.NewReader(frozenR)
	head, err := br.ReadString('\n')
	if err != nil || !strings.Contains(head, `"blob"`) {
		t.Fatalf("the frozen host got %q, %v first", head, err)
	}
	data := make([]byte, len(chunk))
	if _, err := io.ReadFull(br, data); err != nil || !bytes.Equal(data, chunk) {
		t.Fatalf("the chunk came cut or mixed: %v", err)
	}
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, `"interrupt"`) {
		t.Errorf("after the chunk, the frozen host got %q, %v", line, err)
	}
}

// A Ctrl-C while the hosts connected (the context is done before Deploy)
// starts no root: each is reported as not started, and the interrupt is
// said once. Before, the first roots were started and then failed as
// "stopped before this component".
func TestDeployAfterCtrlCStartsNoRoot(t *testing.T) {
	var warnings []string
	d := &Deployment{opts: Options{Emit: func(e plan.Event) {
		if e.Type == plan.EventWarning {
			warnings = append(warnings, e.Message)
		}
	}}, conns: map[string]*conn{"web1": {host: "web1"}, "web2": {host: "web2"}}} // connected; nothing is sent to them
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sched := &plan.Schedule{Roots: []plan.ScheduledRoot{{Host: "web1", Root: "app"}, {Host: "web2", Root: "app"}}}
	sum := d.Deploy(ctx, sched)
	if sum.NotStarted != 2 || sum.Done != 0 || sum.Failed != 0 {
		t.Errorf("summary %+v, want both roots not started", sum)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "interrupted") {
		t.Errorf("warnings %q, want the interrupt once", warnings)
	}
}
