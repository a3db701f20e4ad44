package components

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// stageFiles returns the Content attributes of n new files in dir.
func stageFiles(dir string, n int) []Attrs {
	out := make([]Attrs, n)
	for i := range out {
		out[i] = Attrs{"path": filepath.Join(dir, fmt.Sprintf("f%02d.conf", i)), "content": fmt.Sprintf("line %d\n", i), "encoding": "utf-8"}
	}
	return out
}

// startStage starts a stage for the given Content attributes.
func startStage(ctx *Context, contents []Attrs, workers int) *Stage {
	paths := make([]string, len(contents))
	for i, a := range contents {
		paths[i] = a.str("path")
	}
	return StartStage(ctx, paths, func(i int, _ Attrs) Attrs { return contents[i] }, workers)
}

// leftovers lists the temporary files in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if isTempFile(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// A file written ahead is moved into place with the result
// CreateWithContent gives, and a Stop after the deploy took every file
// leaves nothing behind.
func TestStageMovesFilesInPlace(t *testing.T) {
	p := newProject(t)
	files := stageFiles(p.workdir, 20)
	s := startStage(p.ctx(false), files, 2)
	s.wg.Wait() // every file written ahead
	if got := len(leftovers(t, p.workdir)); got != len(files) {
		t.Fatalf("%d files written ahead, want %d", got, len(files))
	}
	for _, a := range files {
		res, done := CreateStaged(&Context{Stage: s}, a.str("path"))
		if !done || !res.NeedsUpdate || res.Diff == "" {
			t.Fatalf("%s: moved into place %v, result %#v", a.str("path"), done, res)
		}
		data, err := os.ReadFile(a.str("path"))
		if err != nil || string(data) != a["content"] {
			t.Fatalf("%s: %q, %v", a.str("path"), data, err)
		}
	}
	s.Stop()
	if left := leftovers(t, p.workdir); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// The result of a file written ahead is the one CreateWithContent gives,
// and so is the new file's mode.
func TestStageSameAsCreateWithContent(t *testing.T) {
	p := newProject(t)
	a := Attrs{"path": p.work("staged.conf"), "content": "a\nb\n", "encoding": "utf-8"}
	s := startStage(p.ctx(false), []Attrs{a}, 1)
	s.wg.Wait()
	got, done := CreateStaged(&Context{Stage: s}, a.str("path"))
	if !done {
		t.Fatal("not moved into place")
	}
	b := Attrs{"path": p.work("direct.conf"), "content": "a\nb\n", "encoding": "utf-8"}
	want, _ := CreateWithContent(p.ctx(false), b)
	want.Diff = "--- " + a.str("path") + "\n+++ " + a.str("path") + "\n@@ -0,0 +1,2 @@\n+a\n+b\n"
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("result\n got %#v\nwant %#v", got, want)
	}
	st1, _ := os.Stat(a.str("path"))
	st2, _ := os.Stat(b.str("path"))
	if st1.Mode() != st2.Mode() {
		t.Fatalf("mode %v, CreateWithContent gives %v", st1.Mode(), st2.Mode())
	}
}

// A target that is there when a worker comes is not written ahead; one
// that appears after is not replaced, and what was written ahead for it is
// removed.
func TestStageLeavesExistingTargets(t *testing.T) {
	p := newProject(t)
	files := stageFiles(p.workdir, 3)
	if err := os.WriteFile(files[0].str("path"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startStage(p.ctx(false), files, 2)
	s.wg.Wait()
	if left := leftovers(t, p.workdir); len(left) != 2 {
		t.Fatalf("written ahead: %v, want the two missing files", left)
	}
	if err := os.WriteFile(files[1].str("path"), []byte("also mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := &Context{Stage: s}
	for i, want := range []string{"mine\n", "also mine\n"} {
		if _, done := CreateStaged(ctx, files[i].str("path")); done {
			t.Errorf("%s: moved into place over an existing file", files[i].str("path"))
		}
		if data, _ := os.ReadFile(files[i].str("path")); string(data) != want {
			t.Errorf("%s: %q, want %q", files[i].str("path"), data, want)
		}
	}
	if left := leftovers(t, p.workdir); len(left) != 1 {
		t.Fatalf("left: %v, want only the third file's", left)
	}
	s.Stop()
	if left := leftovers(t, p.workdir); len(left) > 0 {
		t.Fatalf("left behind after Stop: %v", left)
	}
	if _, err := os.Stat(files[2].str("path")); !os.IsNotExist(err) {
		t.Fatalf("a file the deploy never reached exists: %v", err)
	}
}

// A deploy that stops half way: Stop removes what was written ahead for
// the files it did not reach, and those files are not created.
func TestStageStopRemovesUnused(t *testing.T) {
	p := newProject(t)
	files := stageFiles(p.workdir, 12)
	s := startStage(p.ctx(false), files, 2)
	s.wg.Wait()
	for _, a := range files[:4] {
		if _, done := CreateStaged(&Context{Stage: s}, a.str("path")); !done {
			t.Fatalf("%s: not moved into place", a.str("path"))
		}
	}
	s.Stop()
	if left := leftovers(t, p.workdir); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
	for i, a := range files {
		_, err := os.Stat(a.str("path"))
		if exists := err == nil; exists != (i < 4) {
			t.Errorf("%s: exists %v", a.str("path"), exists)
		}
	}
}

// Nothing is written ahead for a file whose directory is missing, and the
// same path twice does not wait for a write that never comes.
func TestStageGivesUp(t *testing.T) {
	p := newProject(t)
	lost := Attrs{"path": p.work("nodir/f.conf"), "content": "x\n"}
	twice := Attrs{"path": p.work("twice.conf"), "content": "x\n"}
	s := startStage(p.ctx(false), []Attrs{lost, twice, twice}, 2)
	s.wg.Wait()
	ctx := &Context{Stage: s}
	if _, done := CreateStaged(ctx, lost.str("path")); done {
		t.Fatal("a file in a missing directory was moved into place")
	}
	if _, done := CreateStaged(ctx, twice.str("path")); !done {
		t.Fatal("not moved into place")
	}
	if _, done := CreateStaged(ctx, twice.str("path")); done {
		t.Fatal("moved into place twice")
	}
	s.Stop()
	if left := leftovers(t, p.workdir); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// The workers stay at most stageWindow files ahead of the deploy, and a
// Stop ends workers that wait for it.
func TestStageStaysClose(t *testing.T) {
	p := newProject(t)
	files := stageFiles(p.workdir, 4*stageWindow)
	s := startStage(p.ctx(false), files, 2)
	waitLeftovers := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); len(leftovers(t, p.workdir)) < want; {
			if time.Now().After(deadline) {
				t.Fatalf("%d files written ahead, want %d", len(leftovers(t, p.workdir)), want)
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // time to go too far, if they could
		if got := len(leftovers(t, p.workdir)); got != want {
			t.Fatalf("%d files written ahead, want %d", got, want)
		}
	}
	waitLeftovers(stageWindow)
	for _, a := range files[:stageWindow/4] {
		if _, done := CreateStaged(&Context{Stage: s}, a.str("path")); !done {
			t.Fatalf("%s: not moved into place", a.str("path"))
		}
	}
	waitLeftovers(stageWindow) // a quarter more written ahead, a quarter taken
	s.Stop()
	if left := leftovers(t, p.workdir); len(left) > 0 {
		t.Fatalf("left behind: %d files", len(left))
	}
}
