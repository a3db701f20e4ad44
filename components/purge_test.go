package components

import (
	"os"
	"testing"
)

func TestPurge(t *testing.T) {
	p := newProject(t)
	writeFile(t, p.work("a.log"), "", 0o644)
	writeFile(t, p.work("b.log"), "", 0o644)
	writeFile(t, p.work(".hidden.log"), "", 0o644)
	writeFile(t, p.work("keep.txt"), "", 0o644)
	writeFile(t, p.work("tree.log/sub/file"), "", 0o644)
	writeFile(t, p.work("outside/inner"), "", 0o644)
	mustSymlink(t, p.work("outside"), p.work("link.log"))

	n := p.mustExpand("Purge", Attrs{"pattern": "*.log"})
	if n.label() != "Purge('*.log')" {
		t.Fatalf("label %s", n.label())
	}
	res, err := n.kind.Verify(p.ctx(false), n.attrs)
	if err != nil || res.Reason != "4 paths to remove" {
		t.Fatalf("verify: %+v %v", res, err)
	}
	mustDeploy(t, p.ctx(false), n)
	for _, gone := range []string{"a.log", "b.log", "tree.log", "link.log"} {
		if _, err := os.Lstat(p.work(gone)); !os.IsNotExist(err) {
			t.Errorf("%s still there", gone)
		}
	}
	for _, kept := range []string{".hidden.log", "keep.txt", "outside/inner"} {
		if _, err := os.Lstat(p.work(kept)); err != nil {
			t.Errorf("%s was removed: %v", kept, err)
		}
	}
	if changed := mustDeploy(t, p.ctx(false), n); len(changed) != 0 {
		t.Fatalf("second deploy changed %v", changed)
	}
	_, err = p.expand("Purge", Attrs{"pattern": "[x"})
	wantErr(t, err, `invalid pattern "[x"`)
}

func TestPurgeDotPattern(t *testing.T) {
	p := newProject(t)
	writeFile(t, p.work(".x.tmp"), "", 0o644)
	n := p.mustExpand("Purge", Attrs{"pattern": ".*.tmp"})
	mustDeploy(t, p.ctx(false), n)
	if _, err := os.Lstat(p.work(".x.tmp")); !os.IsNotExist(err) {
		t.Fatal("an explicit dot pattern did not match a dot file")
	}
}
