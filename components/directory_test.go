package components

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDirectoryCreate(t *testing.T) {
	p := newProject(t)
	n := p.mustExpand("Directory", Attrs{"path": "a/b"})
	_, err := deploy(p.ctx(false), n)
	wantErr(t, err, "creating directory "+p.work("a/b"), "parent directory "+p.work("a")+" does not exist", "leading=True")

	n = p.mustExpand("Directory", Attrs{"path": "a/b", "leading": true})
	if changed := mustDeploy(t, p.ctx(false), n); len(changed) != 1 {
		t.Fatalf("changed %v", changed)
	}
	if changed := mustDeploy(t, p.ctx(false), n); len(changed) != 0 {
		t.Fatalf("second deploy changed %v", changed)
	}

	writeFile(t, p.work("file"), "x", 0o644)
	n = p.mustExpand("Directory", Attrs{"path": "file"})
	mustDeploy(t, p.ctx(false), n)
	if info, err := os.Lstat(p.work("file")); err != nil || !info.IsDir() {
		t.Fatalf("the file was not replaced by a directory: %v", err)
	}
}

// syncProject makes a project with a source tree and a target directory
// that differs from it in every way.
func syncProject(t *testing.T) *testProject {
	p := newProject(t)
	src := filepath.Join(p.defdir, "src")
	writeFile(t, filepath.Join(src, "same.txt"), "same\n", 0o644)
	writeFile(t, filepath.Join(src, "changed.txt"), "new\n", 0o644)
	writeFile(t, filepath.Join(src, "run.sh"), "#!/bin/sh\n", 0o755)
	writeFile(t, filepath.Join(src, "sub", "deep.txt"), "deep\n", 0o600)
	writeFile(t, filepath.Join(src, "skip.pyc"), "compiled", 0o644)
	writeFile(t, filepath.Join(src, "cache", "x"), "cached", 0o644)
	mustSymlink(t, "same.txt", filepath.Join(src, "link"))

	dst := p.work("dst")
	writeFile(t, filepath.Join(dst, "same.txt"), "same\n", 0o644)
	writeFile(t, filepath.Join(dst, "changed.txt"), "old\n", 0o644)
	writeFile(t, filepath.Join(dst, "run.sh"), "#!/bin/sh\n", 0o644)
	writeFile(t, filepath.Join(dst, "extra.txt"), "extra", 0o644)
	writeFile(t, filepath.Join(dst, "olddir", "x"), "x", 0o644)
	writeFile(t, filepath.Join(dst, "local.pyc"), "keep me: excluded", 0o644)
	writeFile(t, filepath.Join(dst, "cache", "y"), "keep me: excluded", 0o644)
	writeFile(t, filepath.Join(dst, "sub"), "a file where a directory belongs", 0o644)
	return p
}

func TestDirectorySync(t *testing.T) {
	for _, del := range []bool{false, true} {
		p := syncProject(t)
		n := p.mustExpand("Directory", Attrs{"path": "dst", "source": "src", "exclude": []any{"*.pyc", "cache"}, "delete": del})
		res, err := n.kind.Verify(p.ctx(false), n.attrs)
		if err != nil {
			t.Fatal(err)
		}
		wantDiff := "~ changed.txt\n+ link\n~ run.sh\n~ sub/\n+ sub/deep.txt\n"
		wantReason := "directory content differs: 2 entries to create, 3 entries to change"
		if del {
			wantDiff += "- extra.txt\n- olddir/\n"
			wantReason += ", 2 entries to delete"
		}
		if res.Diff != wantDiff || res.Reason != wantReason {
			t.Fatalf("delete=%v: verify %q\n%s", del, res.Reason, res.Diff)
		}
		mustDeploy(t, p.ctx(false), n)
		dst := p.work("dst")
		wantFile(t, filepath.Join(dst, "changed.txt"), "new\n", 0o644)
		wantFile(t, filepath.Join(dst, "run.sh"), "#!/bin/sh\n", 0o755)
		wantFile(t, filepath.Join(dst, "sub", "deep.txt"), "deep\n", 0o600)
		wantFile(t, filepath.Join(dst, "local.pyc"), "keep me: excluded", 0o644)
		wantFile(t, filepath.Join(dst, "cache", "y"), "keep me: excluded", 0o644)
		if target, _ := os.Readlink(filepath.Join(dst, "link")); target != "same.txt" {
			t.Fatalf("link points to %q", target)
		}
		entries, _ := os.ReadDir(dst)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if slices.Contains(names, "skip.pyc") || slices.Contains(names, "extra.txt") == del {
			t.Fatalf("delete=%v: directory holds %v", del, names)
		}
		if changed := mustDeploy(t, p.ctx(false), n); len(changed) != 0 {
			t.Fatalf("second deploy changed %v", changed)
		}
	}
}

func TestDirectorySyncIntoMissing(t *testing.T) {
	p := syncProject(t)
	n := p.mustExpand("File", Attrs{"path": "new/dir", "ensure": "directory", "source": "src", "leading": true, "mode": int64(0o750)})
	res, err := n.children[0].kind.Verify(p.ctx(true), n.children[0].attrs)
	if err != nil || res.Reason != "directory missing" || !strings.Contains(res.Diff, "+ cache/x\n") {
		t.Fatalf("predict: %+v %v", res, err)
	}
	mustDeploy(t, p.ctx(false), n)
	wantFile(t, p.work("new/dir/cache/x"), "cached", 0o644)
	if info, _ := os.Stat(p.work("new/dir")); info.Mode().Perm() != 0o750 {
		t.Fatalf("mode %v", info.Mode())
	}
}

func TestDirectoryErrors(t *testing.T) {
	p := newProject(t)
	tests := []struct {
		attrs Attrs
		want  string
	}{
		{Attrs{"delete": true}, "delete=True needs source="},
		{Attrs{"source": "missing"}, "source missing"},
		{Attrs{"source": "", "exclude": []any{"[x"}}, `invalid pattern "[x"`},
		{Attrs{"source": "", "exclude": []any{int64(1)}}, "pattern must be a string"},
	}
	for _, tt := range tests {
		tt.attrs["path"] = "d"
		_, err := p.expand("Directory", tt.attrs)
		wantErr(t, err, tt.want)
	}
}

func TestExcluded(t *testing.T) {
	pats := []string{"*.pyc", "build", "docs/*.md"}
	for rel, want := range map[string]bool{
		"a.pyc": true, "x/y/a.pyc": true, "build": true, "x/build/y": true,
		"docs/a.md": true, "docs/sub/a.md": false, "a.py": false, "builder": false,
	} {
		if got := excluded(rel, pats); got != want {
			t.Errorf("excluded(%q) = %v", rel, got)
		}
	}
}
