package components

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFileSubcomponentOrder(t *testing.T) {
	tests := []struct {
		name  string
		attrs Attrs
		want  []string
	}{
		{"file", Attrs{"content": "x"}, []string{"Presence", "Content"}},
		{"everything", Attrs{"content": "x", "mode": int64(0o600), "owner": "root", "group": int64(0)},
			[]string{"Presence", "Mode", "Content", "Owner", "Group"}},
		{"directory", Attrs{"ensure": "directory", "mode": "755", "owner": "root"}, []string{"Directory", "Mode", "Owner"}},
		{"symlink", Attrs{"ensure": "symlink", "link_to": "/etc"}, []string{"Symlink"}},
		{"empty content", Attrs{"content": ""}, []string{"Presence", "Content"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t)
			tt.attrs["path"] = "hello.conf"
			n := p.mustExpand("File", tt.attrs)
			if got := kinds(n); !slices.Equal(got, tt.want) {
				t.Fatalf("sub-components %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFileDisplayAndMappedPath(t *testing.T) {
	p := newProject(t)
	n := p.mustExpand("File", Attrs{"path": "conf/hello.conf", "content": "x", "mode": "rw-r-----"})
	if got := n.attrs.str("path"); got != p.work("conf/hello.conf") {
		t.Errorf("path %q, want the mapped path", got)
	}
	if got := n.attrs["mode"]; got != int64(0o640) {
		t.Errorf("mode %v, want 0o640", got)
	}
	for _, c := range n.children {
		if c.label() != c.kind.Name+"('conf/hello.conf')" || c.attrs.str("path") != p.work("conf/hello.conf") {
			t.Errorf("sub %s has path %q", c.label(), c.attrs.str("path"))
		}
	}
	if n.label() != "File('conf/hello.conf')" {
		t.Errorf("label %s", n.label())
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name  string
		attrs Attrs
		want  []string
	}{
		{"ensure", Attrs{"ensure": "pipe"}, []string{`"file", "directory" or "symlink"`, `"pipe"`}},
		{"implicit source missing", Attrs{}, []string{"missing implicit template file hello.conf; hint: pass content=... or source=..."}},
		{"both", Attrs{"content": "x", "source": "a"}, []string{"either content= or source="}},
		{"symlink without link_to", Attrs{"ensure": "symlink"}, []string{"link_to="}},
		{"mode", Attrs{"content": "", "mode": "rwxrwxrwz"}, []string{`"rwxrwxrwz"`, "octal"}},
		{"content type", Attrs{"content": int64(3)}, []string{"content must be a string or bytes"}},
		{"encoding", Attrs{"content": "", "encoding": "ebcdic"}, []string{`"ebcdic"`}},
		{"source missing", Attrs{"source": "nope.txt"}, []string{"nope.txt"}},
		{"content on directory", Attrs{"ensure": "directory", "content": "x"}, []string{`ensure="directory"`}},
		{"template error", Attrs{"content": "{{ fail }}"}, []string{"<content of File('hello.conf')>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t)
			tt.attrs["path"] = "hello.conf"
			_, err := p.expand("File", tt.attrs)
			wantErr(t, err, tt.want...)
		})
	}
}

func TestFileContentSources(t *testing.T) {
	tests := []struct {
		name       string
		attrs      Attrs
		want       string
		wantRender []string
	}{
		{"implicit", Attrs{}, "implicit world\n", []string{"hello.conf"}},
		{"source", Attrs{"source": "tmpl/other.txt"}, "other world\n", []string{"tmpl/other.txt"}},
		{"literal", Attrs{"content": "lit {{ args.who }}"}, "lit world", []string{"<content of File('hello.conf')>"}},
		{"no template", Attrs{"is_template": false}, "implicit {{ args.who }}\n", nil},
		{"binary", Attrs{"encoding": nil, "source": "tmpl/other.txt"}, "other {{ args.who }}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t)
			p.asset("hello.conf", "implicit {{ args.who }}\n")
			p.asset("tmpl/other.txt", "other {{ args.who }}\n")
			tt.attrs["path"] = "hello.conf"
			tt.attrs["template_args"] = map[string]any{"who": "world"}
			n := p.mustExpand("File", tt.attrs)
			if got := string(contentBytes(n.attrs["content"])); got != tt.want {
				t.Errorf("File content %q, want %q", got, tt.want)
			}
			if !slices.Equal(p.renders, tt.wantRender) {
				t.Errorf("rendered %v, want %v (once, by File)", p.renders, tt.wantRender)
			}
			mustDeploy(t, p.ctx(false), n)
			if got := readFile(t, p.work("hello.conf")); got != tt.want {
				t.Errorf("file holds %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFileEmptyContentEmptiesFile(t *testing.T) {
	p := newProject(t)
	writeFile(t, p.work("hello.conf"), "old content\n", 0o644)
	n := p.mustExpand("File", Attrs{"path": "hello.conf", "content": ""})
	changed := mustDeploy(t, p.ctx(false), n)
	if got := readFile(t, p.work("hello.conf")); got != "" {
		t.Fatalf("file holds %q, want it empty", got)
	}
	if !slices.Equal(changed, []string{"Content('hello.conf')"}) {
		t.Fatalf("changed %v", changed)
	}
}

func TestFileSecondDeployChangesNothing(t *testing.T) {
	p := newProject(t)
	p.asset("site/index.html", "<h1>hi</h1>\n")
	roots := []Attrs{
		{"path": "a/b/hello.conf", "content": "hello\n", "mode": int64(0o640), "leading": true},
		{"path": "site", "ensure": "directory", "source": "site", "mode": "0750"},
		{"path": "link", "ensure": "symlink", "link_to": "a/b/hello.conf"},
	}
	for _, attrs := range roots {
		n := p.mustExpand("File", attrs)
		if changed := mustDeploy(t, p.ctx(false), n); len(changed) == 0 {
			t.Fatalf("first deploy of %v changed nothing", attrs)
		}
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	file := p.work("a/b/hello.conf")
	if err := os.Chtimes(file, old, old); err != nil {
		t.Fatal(err)
	}
	for _, attrs := range roots {
		n := p.mustExpand("File", attrs)
		if changed := mustDeploy(t, p.ctx(false), n); len(changed) != 0 {
			t.Fatalf("second deploy of %v changed %v", attrs, changed)
		}
	}
	if info, _ := os.Stat(file); !info.ModTime().Equal(old) {
		t.Fatalf("mtime changed to %v", info.ModTime())
	}
}

func TestFileLeadingAndModes(t *testing.T) {
	p := newProject(t)
	n := p.mustExpand("File", Attrs{"path": "deep/er/x.sh", "content": "#!/bin/sh\n", "mode": "rwxr-x---", "leading": true})
	if got := n.children[0].children[0].label(); got != "Directory('deep/er')" {
		t.Fatalf("leading directory sub-component is %s", got)
	}
	mustDeploy(t, p.ctx(false), n)
	info, err := os.Stat(p.work("deep/er/x.sh"))
	if err != nil || info.Mode().Perm() != 0o750 {
		t.Fatalf("stat: %v, %v", info, err)
	}
}

func TestFileLatin1(t *testing.T) {
	p := newProject(t)
	n := p.mustExpand("File", Attrs{"path": "l1.txt", "content": "caf\u00e9\n", "encoding": "latin-1"})
	mustDeploy(t, p.ctx(false), n)
	if got := readFile(t, p.work("l1.txt")); got != "caf\xe9\n" {
		t.Fatalf("file holds %q", got)
	}
	_, err := p.expand("File", Attrs{"path": "a.txt", "content": "\u20ac", "encoding": "ascii"})
	wantErr(t, err, "cannot be encoded as ascii")
}

func TestFileBinarySourceNotRendered(t *testing.T) {
	p := newProject(t)
	bin := "\x00\xff{{ args.x }}"
	writeFile(t, filepath.Join(p.defdir, "blob.bin"), bin, 0o644)
	n := p.mustExpand("File", Attrs{"path": "blob.bin", "encoding": nil})
	if _, ok := n.attrs["content"].([]byte); !ok {
		t.Fatalf("binary content is %T, want []byte", n.attrs["content"])
	}
	mustDeploy(t, p.ctx(false), n)
	if got := readFile(t, p.work("blob.bin")); got != bin {
		t.Fatalf("file holds %q", got)
	}
	if len(p.renders) != 0 {
		t.Fatalf("binary file rendered: %v", p.renders)
	}
}

func TestFileHomePath(t *testing.T) {
	p := newProject(t)
	n := p.mustExpand("File", Attrs{"path": "~/dot.conf", "content": "x"})
	if got := n.attrs.str("path"); got != "~/dot.conf" {
		t.Fatalf("~ path was mapped to %q", got)
	}
	mustDeploy(t, p.ctx(false), n)
	if got := readFile(t, filepath.Join(p.home, "dot.conf")); got != "x" {
		t.Fatalf("home file holds %q", got)
	}
}

func TestKindDocs(t *testing.T) {
	r := Builtin()
	for _, name := range r.Names() {
		k := r.Get(name)
		if !strings.HasPrefix(k.Doc, name+" ") || k.Namevar == "" || k.Attr(k.Namevar) == nil {
			t.Errorf("%s: doc %q, namevar %q", name, k.Doc, k.Namevar)
		}
		for _, a := range k.Attrs {
			if a.Doc == "" || a.Type == "" {
				t.Errorf("%s.%s has no doc or type", name, a.Name)
			}
		}
	}
}
