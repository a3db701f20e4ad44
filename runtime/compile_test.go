package runtime

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/batou-go/batou/runtime/plan"
)

// configuredApp configures a project whose host h has the one root app
// (components/app.star is src, with the other files given) and fails the
// test on a configure error; it returns the model and the project.
func configuredApp(t *testing.T, src string, more map[string]string) (*Model, string) {
	t.Helper()
	files := map[string]string{"components/app.star": src, "environments/test/environment.cfg": env("h = app")}
	for name, text := range more {
		files[name] = text
	}
	dir := project(t, files)
	m, errs := configure(t, dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return m, dir
}

// nodesByLabel compiles m and returns the nodes of its first plan's first
// root by label.
func nodesByLabel(t *testing.T, m *Model) map[string]*plan.Node {
	t.Helper()
	nodes := map[string]*plan.Node{}
	compiled(t, m)[0].Roots[0].Node.Walk(func(n *plan.Node) { nodes[n.Label] = n })
	return nodes
}

// Built-in kinds keep their attributes as Go values until Starlark reads
// them. None given for an attribute whose default is not None (a binary
// file: encoding=None) must reach the File's Content in the plan, values
// read back in configure must be the normalised ones, and an attribute
// changed after the component was added must win.
func TestCompileKindAttributes(t *testing.T) {
	src := `
def _configure(self):
    self += File("bin", content = b"\x00\x01", encoding = None)
    self.enc = str(self._.encoding)
    self += File("text", content = "x")
    self.path_seen = self._.path
    self.mode_seen = str(self._.mode)
    self._.source = "changed"
App = Component(configure = _configure)
`
	m, _ := configuredApp(t, src, nil)
	if got := value(t, m, "h", "app", "enc"); got != "None" {
		t.Errorf("encoding read in configure: %q, want None", got)
	}
	if got := value(t, m, "h", "app", "path_seen"); !strings.HasSuffix(got, "/work/app/text") {
		t.Errorf("path read in configure: %q, want the mapped path", got)
	}
	if got := value(t, m, "h", "app", "mode_seen"); got != "None" {
		t.Errorf("mode read in configure: %q, want None", got)
	}
	nodes := nodesByLabel(t, m)
	content := nodes["Content('bin')"]
	if content == nil {
		t.Fatalf("no Content('bin') in %v", nodes)
	}
	if enc, ok := content.Attrs["encoding"]; !ok || enc != nil {
		t.Errorf("Content('bin') encoding: %v (present %v), want null", enc, ok)
	}
	if _, ok := nodes["Content('text')"].Attrs["encoding"]; ok {
		t.Errorf("Content('text') carries the default encoding")
	}
	if got := nodes["File('text')"].Attrs["source"]; got != "changed" {
		t.Errorf("File('text') source: %v, want the value set after adding it", got)
	}
}

// An attribute's template default that configure never read is rendered
// when the plan is compiled, on the deploying machine: it is as hermetic
// as configure there. Neither self.cmd nor the fs module may reach the
// deploying machine through it (the value is then left to the host).
func TestCompileDefaultsAreHermetic(t *testing.T) {
	src := `
def _configure(self):
    self.f = fs
App = Component(configure = _configure, attrs = {
    "ran": Attribute(str, default = "{{ component.cmd('touch ran-on-controller; echo ran') }}", expand = True),
    "read": Attribute(str, default = "{{ component.f.read('/etc/hostname') }}", expand = True),
})
`
	m, dir := configuredApp(t, src, nil)
	plans := compiled(t, m)
	attrs := plans[0].Roots[0].Node.Attrs
	for _, name := range []string{"ran", "read"} {
		if v, ok := attrs[name]; ok {
			t.Errorf("attribute %s compiled on the deploying machine: %v", name, v)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "*", "ran-on-controller"))
	if more, _ := filepath.Glob(filepath.Join(dir, "ran-on-controller")); len(more) > 0 {
		matches = append(matches, more...)
	}
	if len(matches) > 0 {
		t.Errorf("self.cmd ran on the deploying machine: %v", matches)
	}
}

// A File whose template adds another File (through a function of the
// component) renders both with their own args: the inner render must not
// change what the outer template reads after it.
func TestCompileNestedFileTemplates(t *testing.T) {
	src := `
def _configure(self):
    self.inner = lambda: _inner(self)
    self += File("outer", content = "{{ args.x }}{{ component.inner() }}{{ args.x }}", template_args = {"x": "a"})
def _inner(self):
    self += File("inner", content = "{{ args.x }}", template_args = {"x": "b"})
    return "-"
App = Component(configure = _configure)
`
	m, _ := configuredApp(t, src, nil)
	nodes := nodesByLabel(t, m)
	for label, want := range map[string]string{"Content('outer')": "a-a", "Content('inner')": "b"} {
		if n := nodes[label]; n == nil || n.Attrs["content"] != want {
			t.Errorf("%s: %v, want content %q", label, n, want)
		}
	}
}

// A built-in kind keeps the arguments of its constructor until it is
// added: read before, they are the values given (the same dict), and a
// dict changed between creating and adding the File is taken as it is
// when added.
func TestCompileKindArgumentsUntilAdded(t *testing.T) {
	src := `
def _configure(self):
    d = {"i": 1}
    f = File("x", content = "{{ args.i }}", template_args = d, mode = None)
    f.template_args["j"] = 0
    self.before = "%s %s %s %s" % (f.path, f.mode, len(d), f.ensure)
    d["i"] = 2
    self += f
App = Component(configure = _configure)
`
	m, _ := configuredApp(t, src, nil)
	if got := value(t, m, "h", "app", "before"); got != "x None 2 file" {
		t.Errorf("File's attributes before it is added: %q, want %q", got, "x None 2 file")
	}
	nodes := nodesByLabel(t, m)
	if n := nodes["Content('x')"]; n == nil || n.Attrs["content"] != "2" {
		t.Errorf("Content('x'): %v, want content %q", n, "2")
	}
	if _, ok := nodes["File('x')"].Attrs["mode"]; ok {
		t.Errorf("File('x') carries mode = None: %v", nodes["File('x')"].Attrs)
	}
}

// Files that render one source decode it once per encoding: read as
// utf-8, a latin-1 source fails with the reason even after a File read it
// as latin-1; read as latin-1, it renders for every File.
func TestCompileSourceEncodings(t *testing.T) {
	src := `
def _configure(self):
    self += File("a", source = "t.tmpl", encoding = "latin-1")
    self += File("b", source = "t.tmpl")
App = Component(configure = _configure)
`
	dir := project(t, map[string]string{"components/app.star": src, "components/t.tmpl": "caf\xe9 {{ 1 + 1 }}\n",
		"environments/test/environment.cfg": env("h = app")})
	_, errs := configure(t, dir)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "t.tmpl: not valid utf-8 text (hint: encoding=None for binary files)") {
		t.Fatalf("configure errors: %v, want t.tmpl not valid utf-8", errs)
	}
	src = strings.Replace(src, `source = "t.tmpl")`, `source = "t.tmpl", encoding = "latin-1")`, 1)
	m, _ := configuredApp(t, src, map[string]string{"components/t.tmpl": "caf\xe9 {{ 1 + 1 }}\n"})
	nodes := nodesByLabel(t, m)
	for _, label := range []string{"Content('a')", "Content('b')"} {
		if got, _ := nodes[label].Attrs["content"].(plan.Bytes); string(got) != "caf\xe9 2\n" {
			t.Errorf("%s content: %#v, want the latin-1 bytes rendered", label, nodes[label].Attrs["content"])
		}
	}
}
