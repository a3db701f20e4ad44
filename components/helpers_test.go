package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testProject is an ExpandContext over a real temporary project: assets
// are read from defdir, paths are mapped into workdir, and templates are
// "rendered" by substituting {{ args.NAME }}.
type testProject struct {
	t       *testing.T
	defdir  string
	workdir string
	home    string
	renders []string // template names passed to Render
}

var _ ExpandContext = (*testProject)(nil)

func newProject(t *testing.T) *testProject {
	t.Helper()
	root := t.TempDir()
	p := &testProject{t: t, defdir: filepath.Join(root, "components", "x"),
		workdir: filepath.Join(root, "work", "x"), home: filepath.Join(root, "home")}
	for _, d := range []string{p.defdir, p.workdir, p.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// Final implements ExpandContext: nothing the tests expand is final.
func (p *testProject) Final() bool { return false }

func (p *testProject) Map(path string) string {
	if path == "" || filepath.IsAbs(path) || strings.HasPrefix(path, "~") {
		return path
	}
	return filepath.Join(p.workdir, path)
}

func (p *testProject) ReadAsset(path string) ([]byte, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.defdir, path)
	}
	return os.ReadFile(path)
}

// ReadText reads and decodes a file of the project.
func (p *testProject) ReadText(path, enc string) (string, error) {
	data, err := p.ReadAsset(path)
	if err != nil {
		return "", err
	}
	return DecodeText(enc, data)
}

// LargeAsset hashes a file of the project larger than InlineMax, as the
// runtime does.
func (p *testProject) LargeAsset(path string) (*Blob, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.defdir, path)
	}
	info, err := os.Stat(path)
	if err != nil || info.Size() <= InlineMax {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return &Blob{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Path: path, Name: filepath.Base(path)}, nil
}

// Sensitive treats text containing "SECRET" as sensitive.
func (p *testProject) Sensitive(text string) bool { return strings.Contains(text, "SECRET") }

func (p *testProject) ReadTree(path string) ([]TreeEntry, error) {
	dir := filepath.Join(p.defdir, path)
	var out []TreeEntry
	err := filepath.WalkDir(dir, func(full string, d fs.DirEntry, err error) error {
		if err != nil || full == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, full)
		e := TreeEntry{Path: filepath.ToSlash(rel), Dir: d.IsDir(), Mode: uint32(info.Mode().Perm())}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			e.Link, err = os.Readlink(full)
		case info.Size() > InlineMax:
			e.Blob, err = p.LargeAsset(full)
		case !d.IsDir():
			e.Data, err = os.ReadFile(full)
		}
		out = append(out, e)
		return err
	})
	return out, err
}

func (p *testProject) Render(name, text string, args any) (string, error) {
	p.renders = append(p.renders, name)
	m, _ := args.(map[string]any)
	for k, v := range m {
		text = strings.ReplaceAll(text, "{{ args."+k+" }}", fmt.Sprint(v))
	}
	if strings.Contains(text, "{{ fail }}") {
		return "", fmt.Errorf("%s: template failed", name)
	}
	return text, nil
}

// asset writes a file of the project (relative to the defdir).
func (p *testProject) asset(name, content string) {
	p.t.Helper()
	writeFile(p.t, filepath.Join(p.defdir, name), content, 0o644)
}

// work returns the absolute path of name in the workdir.
func (p *testProject) work(name string) string { return filepath.Join(p.workdir, name) }

// ctx is the host Context of the project.
func (p *testProject) ctx(predict bool) *Context {
	return &Context{Workdir: p.workdir, Home: p.home, Predict: predict}
}

// node is an expanded component, as the runtime builds it from Expand.
type node struct {
	kind     *Kind
	attrs    Attrs
	children []*node
}

// label is the breadcrumb of n: Kind('display').
func (n *node) label() string {
	return fmt.Sprintf("%s('%s')", n.kind.Name, n.attrs.str(DisplayAttr))
}

// expand fills defaults and expands kind recursively, as the runtime does.
func (p *testProject) expand(kind string, attrs Attrs) (*node, error) {
	k := Builtin().Get(kind)
	if k == nil {
		return nil, fmt.Errorf("unknown kind %s", kind)
	}
	a := Attrs{}
	for _, d := range k.Attrs {
		a[d.Name] = d.Default
	}
	maps.Copy(a, attrs)
	out, subs, err := k.Expand(p, a)
	if err != nil {
		return nil, err
	}
	n := &node{kind: k, attrs: out}
	for _, s := range subs {
		c, err := p.expand(s.Kind, s.Attrs)
		if err != nil {
			return nil, fmt.Errorf("%s > %w", n.label(), err)
		}
		n.children = append(n.children, c)
	}
	return n, nil
}

// mustExpand is expand that fails the test on an error.
func (p *testProject) mustExpand(kind string, attrs Attrs) *node {
	p.t.Helper()
	n, err := p.expand(kind, attrs)
	if err != nil {
		p.t.Fatalf("expand %s: %v", kind, err)
	}
	return n
}

// deploy walks n like the agent: children first, then verify, update and
// verify again. It returns the labels of the components that changed.
func deploy(ctx *Context, n *node) ([]string, error) {
	var changed []string
	for _, c := range n.children {
		ch, err := deploy(ctx, c)
		changed = append(changed, ch...)
		if err != nil {
			return changed, err
		}
	}
	if n.kind.Verify == nil {
		return changed, nil
	}
	res, err := n.kind.Verify(ctx, n.attrs)
	if err != nil || !res.NeedsUpdate {
		return changed, err
	}
	changed = append(changed, n.label())
	if ctx.Predict {
		return changed, nil
	}
	if err := n.kind.Update(ctx, n.attrs); err != nil {
		return changed, err
	}
	if res, err = n.kind.Verify(ctx, n.attrs); err == nil && res.NeedsUpdate {
		err = fmt.Errorf("update did not converge: %s (%s)", n.label(), res.Reason)
	}
	return changed, err
}

// mustDeploy deploys and fails the test on an error.
func mustDeploy(t *testing.T, ctx *Context, n *node) []string {
	t.Helper()
	changed, err := deploy(ctx, n)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return changed
}

func writeFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// wantErr fails unless err is an error whose message contains every part.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got none", parts)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Fatalf("error %q does not contain %q", err, part)
		}
	}
}

// kinds lists the kind names of n's children.
func kinds(n *node) []string {
	var out []string
	for _, c := range n.children {
		out = append(out, c.kind.Name)
	}
	return out
}
