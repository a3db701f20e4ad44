package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/batou-go/batou"

// allowedInternal lists, for each package, the project packages it may
// import (ARCHITECTURE.md: imports point one way).
var allowedInternal = map[string][]string{
	"runtime/plan":         {},
	"components":           {},
	"environments":         {"environments/ini"},
	"environments/ini":     {},
	"environments/secrets": {"environments/ini"},
	"starlib":              {"components", "runtime/plan"},
	"starlib/jinja":        {},
	"runtime":              {"starlib", "environments", "environments/secrets", "components", "runtime/plan"},
	"remote":               {"runtime/plan"},
	"remote/agent":         {"runtime/plan", "components", "starlib"},
	"bench/floor":          {"bench/workload"},
	"bench/workload":       {},
}

// allowedExternal lists third-party modules a package may depend on at all
// (transitively). Packages not listed here may use any.
var allowedExternal = map[string][]string{
	"runtime/plan":     {},
	"components":       {"github.com/aymanbagabas/go-udiff"},
	"environments":     {"filippo.io/age", "github.com/ProtonMail/go-crypto", "github.com/cloudflare/circl", "golang.org/x/crypto", "golang.org/x/sys"},
	"environments/ini": {},
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// TestImportDirection fails on an import edge ARCHITECTURE.md forbids.
func TestImportDirection(t *testing.T) {
	for _, pkg := range goList(t, "./...") {
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		if rel == "" {
			continue // main may import everything
		}
		allowed, known := allowedInternal[rel]
		if !known {
			t.Errorf("package %s is not in the architecture table; add it to allowedInternal", rel)
			continue
		}
		for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, pkg) {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if !contains(allowed, strings.TrimPrefix(imp, module+"/")) {
				t.Errorf("%s imports %s, which the architecture forbids", rel, imp)
			}
		}
		checkExternal(t, rel, pkg)
	}
}

func checkExternal(t *testing.T, rel, pkg string) {
	mods, limited := allowedExternal[rel]
	if !limited {
		return
	}
	for _, dep := range goList(t, "-deps", "-f", `{{if not .Standard}}{{.ImportPath}}{{end}}`, pkg) {
		if strings.HasPrefix(dep, module) {
			continue
		}
		ok := false
		for _, m := range mods {
			ok = ok || strings.HasPrefix(dep, m)
		}
		if !ok {
			t.Errorf("%s depends on %s; it may use only the standard library and %v", rel, dep, mods)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
