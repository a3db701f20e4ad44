package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/batou-go/batou/starlib"
	"github.com/batou-go/batou/starlib/jinja"
	"go.starlark.net/starlark"
)

// benchProject writes a project whose root adds n components of kind.
func benchProject(b *testing.B, n int, body string) string {
	dir := b.TempDir()
	files := map[string]string{
		"components/many/component.star": fmt.Sprintf(`
Item = Component(attrs = {"index": Attribute(int, default = 0), "name": Attribute(str, default = "")})

def _configure(self):
    for i in range(%d):
        %s

Many = Component(configure = _configure)
`, n, body),
		"environments/bench/environment.cfg": "[environment]\nconnect_method = local\n[hosts]\nlocalhost = many\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

func configureOnce(b *testing.B, dir string) {
	m, errs := Load(dir, "bench", starlib.NewSession(dir, jinja.New()))
	if len(errs) == 0 {
		errs = m.Configure()
	}
	if len(errs) > 0 {
		b.Fatal(errs)
	}
}

// BenchmarkConfigure measures load + configure of one root with n
// sub-components: Starlark components (Item) and built-in Files (each
// expands to File > Presence + Content). The baseline evaluates the same
// loop building plain structs in the interpreter, in the same run.
func BenchmarkConfigure(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			dir := benchProject(b, n, `self += Item(index = i, name = "item-" + str(i))`)
			for b.Loop() {
				configureOnce(b, dir)
			}
		})
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			dir := benchProject(b, n, `self += File("f" + str(i), content = "x = " + str(i) + "\n", is_template = False)`)
			for b.Loop() {
				configureOnce(b, dir)
			}
		})
		b.Run(fmt.Sprintf("baseline-structs=%d", n), func(b *testing.B) {
			src := fmt.Sprintf("def f():\n    out = []\n    for i in range(%d):\n        out.append(struct(index = i, name = \"item-\" + str(i)))\n    return out\nx = f()\n", n)
			pre := starlark.StringDict{"struct": starlib.NewSession("", nil).Predeclared()["struct"]}
			for b.Loop() {
				if _, err := starlark.ExecFileOptions(starlib.FileOptions, &starlark.Thread{}, "b.star", src, pre); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// resolutionProject writes hosts x roots roots: on every host, root i
// provides "k<i>" and requires "k<i-1>" on its own host; the last root of
// every host also requires "k0" from all hosts.
func resolutionProject(b *testing.B, hosts, roots int) string {
	dir := b.TempDir()
	var src, list []byte
	for i := 0; i < roots; i++ {
		req := ""
		if i > 0 {
			req = fmt.Sprintf(`    self.prev = self.require("k%d", host = self.host)`+"\n", i-1)
		}
		if i == roots-1 {
			req += `    self.all = self.require("k0")` + "\n"
			req += fmt.Sprintf(`    self.provide("k%d", self.host.name)`+"\n", i)
			req += fmt.Sprintf(`    self.last = self.require("k%d", host = self.host)`+"\n", i)
		} else {
			req += fmt.Sprintf(`    self.provide("k%d", self.host.name)`+"\n", i)
		}
		src = fmt.Appendf(src, "def _c%d(self):\n%s\nC%d = Component(configure = _c%d)\n\n", i, req, i, i)
		list = fmt.Appendf(list, "c%d, ", i)
	}
	cfg := []byte("[environment]\nconnect_method = local\n[hosts]\n")
	for h := 0; h < hosts; h++ {
		cfg = fmt.Appendf(cfg, "host%03d = %s\n", h, list)
	}
	for name, text := range map[string][]byte{"components/c.star": src, "environments/bench/environment.cfg": cfg} {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, text, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkResolution configures 100 hosts x 20 roots with provide/require
// between them (a chain per host and one key read from every host) and
// computes the deploy schedule.
func BenchmarkResolution(b *testing.B) {
	dir := resolutionProject(b, 100, 20)
	for b.Loop() {
		m, errs := Load(dir, "bench", starlib.NewSession(dir, jinja.New()))
		if len(errs) == 0 {
			errs = m.Configure()
		}
		if len(errs) > 0 {
			b.Fatal(errs[:1])
		}
		if s := m.Schedule(); len(s.Roots) != 2000 {
			b.Fatalf("%d roots", len(s.Roots))
		}
	}
}
