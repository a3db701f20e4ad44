package plan

import (
	"bytes"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// Nodes whose children follow may sit inside a children array that is
// large enough to be parsed in parts at once (parallelChildren): the
// following lines still go to the nodes they were written for.
func TestWriteRequestFollowInParallelParts(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("parts are parsed at once only with 2 or more cores")
	}
	p := testPlan()
	var comps []*Node
	id := 100
	for c := 0; c < 40; c++ { // fewer than followMin: the array stays in the line
		comp := &Node{ID: id, Kind: "Comp", Label: fmt.Sprintf("Comp(%d)", c), Attrs: Attrs{"big": strings.Repeat("z", 8<<10)}}
		id++
		if c%3 == 0 { // these have many: they follow, in parts of the array
			for f := 0; f < followMin+c; f++ {
				comp.Children = append(comp.Children, &Node{ID: id, Kind: "File", Label: fmt.Sprintf("File('%d/%d')", c, f)})
				id++
			}
		}
		comps = append(comps, comp)
	}
	p.Roots[0].Node.Children = comps
	var w bytes.Buffer
	if _, err := WriteRequest(&w, Request{Type: "plan", Plan: p}); err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(w.Bytes(), []byte("\n"))
	lines = lines[:len(lines)-1]
	if len(lines[0]) < parallelMin {
		t.Fatalf("the plan's line is %d bytes, too small to be parsed in parts", len(lines[0]))
	}
	got, err := DecodeRequest(lines[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Following() != len(lines)-1 {
		t.Fatalf("%d lines follow, the plan says %d", len(lines)-1, got.Following())
	}
	var parts []*Children
	for _, line := range lines[1:] {
		c, err := got.ParseChildren(line)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, c)
	}
	if err := got.AddChildren(parts); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Plan, p) {
		t.Fatal("the plan read is not the plan written")
	}
}
