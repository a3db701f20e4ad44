package plan

import (
	"fmt"
	"testing"
	"time"
)

// filesPlan is a plan shaped like the bench workload's: n Files with their
// Presence and Content under one component.
func filesPlan(n int) *Plan {
	p := testPlan()
	root := &Node{ID: 1, Kind: "Many", Label: "Many", Origin: "c.star:13", Attrs: Attrs{"files": int64(n)}}
	for i := 0; i < n; i++ {
		path := fmt.Sprintf("/srv/work/many/d%02d/f%04d.conf", i%10, i)
		content := fmt.Sprintf("# generated\nname = file-%d\nhost = localhost\nalpha = %d\nbeta = %d\n", i, i, i)
		label := fmt.Sprintf("('d%02d/f%04d.conf')", i%10, i)
		root.Children = append(root.Children, &Node{ID: 2 + 3*i, Kind: "File", Label: "File" + label, Origin: "c.star:9",
			Attrs: Attrs{"path": path, "content": content, "source": "tmpl.conf"},
			Children: []*Node{
				{ID: 3 + 3*i, Kind: "Presence", Label: "Presence" + label, Origin: "c.star:9", Attrs: Attrs{"path": path}},
				{ID: 4 + 3*i, Kind: "Content", Label: "Content" + label, Origin: "c.star:9", Attrs: Attrs{"path": path, "content": content, "is_template": false}},
			}})
	}
	p.Roots = []*Root{{Name: "many", Workdir: "/srv/work/many", Node: root}}
	return p
}

// BenchmarkDecodePlan decodes the plan of 1,000 Files as the agent does
// and, in the same loop, with the parts parsed one after the other: the
// ratio is parallel/sequential (below 1 is faster).
func BenchmarkDecodePlan(b *testing.B) {
	line, err := AppendRequest(nil, Request{Type: "plan", Plan: filesPlan(1000)})
	if err != nil {
		b.Fatal(err)
	}
	_, tail, _ := cutTab(line)
	var par, seq time.Duration
	for b.Loop() {
		for _, parallel := range []bool{true, false} {
			start := time.Now()
			p := newPlanParser(tail)
			p.parallel = parallel
			if _, err := p.roots(); err != nil {
				b.Fatal(err)
			}
			if parallel {
				par += time.Since(start)
			} else {
				seq += time.Since(start)
			}
		}
	}
	b.ReportMetric(float64(par)/float64(seq), "parallel/sequential")
	b.ReportMetric(float64(len(line))/1024, "plan-kB")
}

func cutTab(line []byte) ([]byte, []byte, bool) {
	for i, c := range line {
		if c == '\t' {
			return line[:i], line[i+1:], true
		}
	}
	return line, nil, false
}
