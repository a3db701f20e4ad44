package agent

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/batou-go/batou/runtime/plan"
)

// filesPlan is a root of n Files, each a Presence and a Content as the
// controller compiles them, with the files already in place (a no-op).
func filesPlan(b *testing.B, n int) (*plan.Plan, map[string][]byte) {
	target := b.TempDir()
	top := &plan.Node{ID: 1, Kind: "Files", Label: "Files"}
	want := map[string][]byte{}
	id := 1
	for i := range n {
		name := fmt.Sprintf("f%04d.conf", i)
		p := filepath.Join(target, "work", "files", name)
		content := fmt.Sprintf("# generated\nname = file-%d\nalpha = %d\n", i, i)
		want[p] = []byte(content)
		file := &plan.Node{ID: id + 1, Kind: "File", Label: "File('" + name + "')", Attrs: plan.Attrs{"path": p, "content": content},
			Children: []*plan.Node{
				{ID: id + 2, Kind: "Presence", Label: "Presence('" + name + "')", Attrs: plan.Attrs{"path": p}},
				{ID: id + 3, Kind: "Content", Label: "Content('" + name + "')", Attrs: plan.Attrs{"path": p, "content": content, "is_template": false}},
			}}
		id += 3
		top.Children = append(top.Children, file)
	}
	if err := os.MkdirAll(filepath.Join(target, "work", "files"), 0o755); err != nil {
		b.Fatal(err)
	}
	for p, data := range want {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return &plan.Plan{Format: plan.Format, Version: testVersion, Host: plan.HostInfo{Name: "localhost", FQDN: "localhost"},
		TargetDirectory: target, Roots: []*plan.Root{{Name: "files", Workdir: filepath.Join(target, "work", "files"), Node: top}}}, want
}

// BenchmarkNoopRoot deploys a root of 1,000 unchanged Files in this
// process (build the host components, verify every Presence and Content)
// and, untimed, the floor's work for the same files: open, fstat, read,
// close and compare each. x-floor is the root's time over the floor's.
func BenchmarkNoopRoot(b *testing.B) {
	p, want := filesPlan(b, 1000)
	var events atomic.Int64
	emit := func(e plan.Event) {
		if e.Type == plan.EventError || e.Type == plan.EventComponent {
			b.Errorf("unexpected %s event: %s %s", e.Type, e.Path, e.Message)
		}
		events.Add(1)
	}
	var floor time.Duration
	for b.Loop() {
		d := newDeployer(p, os.Getenv("HOME"), emit, nil)
		d.runRoot("files", false, &atomic.Bool{})
		b.StopTimer()
		start := time.Now()
		for path, data := range want {
			if got, err := floorRead(path); err != nil || !bytes.Equal(got, data) {
				b.Fatalf("%s: %v", path, err)
			}
		}
		floor += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed())/float64(floor), "x-floor")
}

// floorRead is the floor's read: open, fstat, read, close.
func floorRead(p string) ([]byte, error) {
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, err
	}
	buf := make([]byte, st.Size+1)
	n, err := syscall.Read(fd, buf)
	return buf[:max(n, 0)], err
}

// BenchmarkFirstRoot deploys a root of 1,000 missing Files in this
// process (as a first deploy does: create each with its content) and,
// untimed, the floor's work for the same files: create a temporary file,
// write, close and rename it. x-floor is the root's time over the
// floor's.
func BenchmarkFirstRoot(b *testing.B) {
	p, want := filesPlan(b, 1000)
	emit := func(e plan.Event) {
		if e.Type == plan.EventError {
			b.Errorf("unexpected error event: %s %s", e.Path, e.Message)
		}
	}
	remove := func() {
		for path := range want {
			if err := os.Remove(path); err != nil {
				b.Fatal(err)
			}
		}
	}
	var floor time.Duration
	for b.Loop() {
		b.StopTimer()
		remove()
		b.StartTimer()
		d := newDeployer(p, os.Getenv("HOME"), emit, nil)
		d.runRoot("files", false, &atomic.Bool{})
		b.StopTimer()
		remove()
		start := time.Now()
		for path, data := range want {
			if err := floorWrite(path, data); err != nil {
				b.Fatal(err)
			}
		}
		floor += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed())/float64(floor), "x-floor")
}

// floorWrite is the floor's write of a new file: create a temporary
// file, write, close, rename.
func floorWrite(p string, data []byte) error {
	tmp := p + ".tmp"
	fd, err := syscall.Open(tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	_, err = syscall.Write(fd, data)
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err == nil {
		err = syscall.Rename(tmp, p)
	}
	return err
}

// BenchmarkBuildRoot builds the host components of a root of 1,000 Files
// and reads the path of each Presence and Content (as the events of a
// first deploy do).
func BenchmarkBuildRoot(b *testing.B) {
	p, _ := filesPlan(b, 1000)
	d := newDeployer(p, os.Getenv("HOME"), func(plan.Event) {}, nil)
	for b.Loop() {
		hr, err := d.build(p.Roots[0], p.Roots[0].Workdir)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range hr.sroot.Top.Children() {
			for _, c := range f.Children() {
				_ = c.Path()
			}
		}
	}
}
