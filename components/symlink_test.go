package components

import (
	"os"
	"testing"
)

func TestSymlink(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, p *testProject)
		source  string
		want    string // the link target afterwards, with W for the workdir
		changed bool
	}{
		{name: "creates", source: "/etc/hosts", want: "/etc/hosts", changed: true},
		{name: "relative source is mapped", source: "htdocs", want: "W/htdocs", changed: true},
		{name: "home source", source: "~/x", want: "H/x", changed: true},
		{name: "up to date", source: "/etc", want: "/etc",
			setup: func(t *testing.T, p *testProject) { mustSymlink(t, "/etc", p.work("l")) }},
		{name: "updates a link", source: "/etc", want: "/etc", changed: true,
			setup: func(t *testing.T, p *testProject) { mustSymlink(t, "/usr", p.work("l")) }},
		{name: "replaces a file", source: "/etc", want: "/etc", changed: true,
			setup: func(t *testing.T, p *testProject) { writeFile(t, p.work("l"), "x", 0o644) }},
		{name: "replaces a directory tree", source: "/etc", want: "/etc", changed: true,
			setup: func(t *testing.T, p *testProject) { writeFile(t, p.work("l/a/b"), "x", 0o644) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t)
			if tt.setup != nil {
				tt.setup(t, p)
			}
			n := p.mustExpand("Symlink", Attrs{"path": "l", "source": tt.source})
			changed := mustDeploy(t, p.ctx(false), n)
			if (len(changed) > 0) != tt.changed {
				t.Fatalf("changed %v, want %v", changed, tt.changed)
			}
			got, err := os.Readlink(p.work("l"))
			want := map[string]string{"W/htdocs": p.work("htdocs"), "H/x": p.home + "/x"}[tt.want]
			if want == "" {
				want = tt.want
			}
			if err != nil || got != want {
				t.Fatalf("link points to %q (%v), want %q", got, err, want)
			}
			if _, err := os.Lstat(tmpName(p.work("l"))); !os.IsNotExist(err) {
				t.Fatalf("temporary link left behind")
			}
		})
	}
}

func TestSymlinkErrors(t *testing.T) {
	p := newProject(t)
	_, err := p.expand("Symlink", Attrs{"path": "l"})
	wantErr(t, err, "Symlink needs source= (the link target)")
	n := p.mustExpand("Symlink", Attrs{"path": "no/dir/l", "source": "/etc"})
	_, err = deploy(p.ctx(false), n)
	wantErr(t, err, "creating symlink "+p.work("no/dir/l"))
	changed, err := deploy(p.ctx(true), n)
	if err != nil || len(changed) != 1 {
		t.Fatalf("predict: %v %v", changed, err)
	}
}
