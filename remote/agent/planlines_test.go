package agent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batou-go/batou/runtime/plan"
)

// agentEvents runs an agent in this process on input and returns its
// events and error. With open set the input stays open after it (the
// controller is still there) until the agent has ended.
func agentEvents(t *testing.T, input []byte, open bool) ([]plan.Event, error) {
	t.Helper()
	var out bytes.Buffer
	r, w := io.Pipe()
	ended := make(chan struct{})
	go func() {
		_, _ = w.Write(input)
		if open {
			<-ended
		}
		w.Close()
	}()
	err := Run(r, &out, Options{Version: testVersion})
	close(ended)
	var events []plan.Event
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e plan.Event
		if jerr := json.Unmarshal(sc.Bytes(), &e); jerr != nil {
			t.Fatalf("event %q: %v", sc.Text(), jerr)
		}
		events = append(events, e)
	}
	return events, err
}

// A plan whose root has many children comes in several lines (the
// children after the plan's line), which the agent puts together before
// it deploys; when the input ends in the middle of them, the agent says
// so and ends without having taken the lock or changed anything.
func TestPlanInLines(t *testing.T) {
	target := t.TempDir()
	files := map[string][]byte{}
	for i := range 300 {
		files[fmt.Sprintf("f%03d", i)] = []byte(fmt.Sprintf("file %d\n", i))
	}
	p := contentPlan(target, files)
	var in bytes.Buffer
	if _, err := plan.WriteRequest(&in, plan.Request{Type: "plan", Plan: p}); err != nil {
		t.Fatal(err)
	}
	planBytes := bytes.Clone(in.Bytes())
	if lines := bytes.Count(planBytes, []byte("\n")); lines < 3 {
		t.Fatalf("the plan was written in %d lines, want its children in lines of their own", lines)
	}
	for _, r := range []plan.Request{{Type: "run", Root: "files", Mode: "deploy"}, {Type: "stop"}} {
		if _, err := plan.WriteRequest(&in, r); err != nil {
			t.Fatal(err)
		}
	}
	events, err := agentEvents(t, in.Bytes(), true)
	if err != nil {
		t.Fatalf("agent: %v (%v)", err, events)
	}
	var finished bool
	for _, e := range events {
		finished = finished || (e.Type == plan.EventRootFinish && e.Status == "ok")
	}
	if !finished {
		t.Fatalf("the root did not finish: %v", events)
	}
	for name, want := range files {
		if got, err := os.ReadFile(filepath.Join(target, name)); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %q, %v", name, got, err)
		}
	}

	// Cut off after the plan's line and the first line of its children.
	second := t.TempDir()
	p = contentPlan(second, files)
	in.Reset()
	if _, err := plan.WriteRequest(&in, plan.Request{Type: "plan", Plan: p}); err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(in.Bytes(), []byte("\n"))
	cut := bytes.Join(lines[:2], nil)
	events, err = agentEvents(t, cut, false)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("reading the plan (line 2 of %d after it)", len(lines)-2)) {
		t.Fatalf("a plan cut off gives %v", err)
	}
	if last := events[len(events)-1]; last.Type != plan.EventBye {
		t.Errorf("the agent did not say goodbye: %v", events)
	}
	if entries, _ := os.ReadDir(second); len(entries) != 0 {
		t.Errorf("a plan cut off changed the target: %v", entries)
	}
}
