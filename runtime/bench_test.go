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
