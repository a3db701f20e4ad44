package components

import (
	"os"
	"slices"
	"testing"
)

func TestPresence(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, p *testProject)
		leading bool
		changed bool
		want    string // content afterwards
	}{
		{name: "creates", changed: true},
		{name: "keeps content", setup: func(t *testing.T, p *testProject) { writeFile(t, p.work("f"), "keep", 0o600) }, want: "keep"},
		{name: "replaces a directory", changed: true, setup: func(t *testing.T, p *testProject) {
			writeFile(t, p.work("f/inner/x"), "x", 0o644)
		}},
		{name: "replaces a broken symlink", changed: true, setup: func(t *testing.T, p *testProject) {
			mustSymlink(t, p.work("nowhere"), p.work("f"))
		}},
		{name: "symlink to a file is fine", setup: func(t *testing.T, p *testProject) {
			writeFile(t, p.work("real"), "real", 0o644)
			mustSymlink(t, p.work("real"), p.work("f"))
		}, want: "real"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t)
			if tt.setup != nil {
				tt.setup(t, p)
			}
			n := p.mustExpand("Presence", Attrs{"path": "f"})
			changed := mustDeploy(t, p.ctx(false), n)
			if got := len(changed) > 0; got != tt.changed {
				t.Fatalf("changed %v, want %v", changed, tt.changed)
			}
			if info, err := os.Stat(p.work("f")); err != nil || !info.Mode().IsRegular() {
				t.Fatalf("not a file: %v", err)
			}
			if got := readFile(t, p.work("f")); got != tt.want {
				t.Fatalf("content %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPresenceLeading(t *testing.T) {
	p := newProject(t)
	n := p.mustExpand("Presence", Attrs{"path": "a/b/f"})
	_, err := deploy(p.ctx(false), n)
	wantErr(t, err, "creating "+p.work("a/b/f"), "parent directory "+p.work("a/b")+" does not exist", "leading=True")

	n = p.mustExpand("Presence", Attrs{"path": "a/b/f", "leading": true})
	changed := mustDeploy(t, p.ctx(false), n)
	if want := []string{"Directory('a/b')", "Presence('a/b/f')"}; !slices.Equal(changed, want) {
		t.Fatalf("changed %v, want %v", changed, want)
	}
}

func TestPresencePredict(t *testing.T) {
	p := newProject(t)
	n := p.mustExpand("Presence", Attrs{"path": "a/f", "leading": true})
	changed := mustDeploy(t, p.ctx(true), n)
	if len(changed) != 2 {
		t.Fatalf("predicted %v", changed)
	}
	if _, err := os.Lstat(p.work("a")); !os.IsNotExist(err) {
		t.Fatalf("predict changed the disk: %v", err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
