package main

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/batou-go/batou"

// rule says what one package may import directly (ARCHITECTURE.md: imports
// point one way): project packages, and third-party modules (by module
// path prefix). Its tests may import testInternal and testExternal too.
// Everything else they import comes from these, so rules on direct imports
// bound what a package depends on at all.
type rule struct {
	internal, external         []string
	testInternal, testExternal []string
}

// Third-party modules, by what they are for.
var (
	starlarkGo = "go.starlark.net"
	udiff      = "github.com/aymanbagabas/go-udiff"
	gonja      = "github.com/nikolalohinski/gonja/v2"
	cliv3      = "github.com/urfave/cli/v3"
	xsync      = "golang.org/x/sync"
	xsys       = "golang.org/x/sys"
	xterm      = "golang.org/x/term"
	sshServer  = "github.com/gliderlabs/ssh"
	xssh       = "golang.org/x/crypto/ssh"
	script     = "github.com/rogpeppe/go-internal/testscript"
	// Jinja's title and capitalize filters use Unicode case rules; gonja
	// depends on x/text already, and logs through logrus (a test checks
	// that it logs nothing).
	xtext  = "golang.org/x/text"
	logrus = "github.com/sirupsen/logrus"
	// Secrets: age in-process, OpenPGP in-process for key files and tests.
	age      = "filippo.io/age"
	gocrypto = "github.com/ProtonMail/go-crypto"
)

// rules has an entry for every package of the module, and only for those.
var rules = map[string]rule{
	"": { // main: the CLI, rendering, the testscript driver
		internal: []string{"runtime", "runtime/plan", "starlib", "starlib/jinja", "environments", "environments/ini",
			"environments/secrets", "components", "remote", "remote/agent"},
		external: []string{starlarkGo, cliv3, xterm, xsync, xsys, gonja, udiff},
		// benchmarks and the ssh test hosts
		testInternal: []string{"bench/workload"},
		testExternal: []string{script, sshServer, xssh},
	},
	"runtime/plan": {},
	// (x/sys: renameat2 with RENAME_NOREPLACE, which package syscall
	// lacks on amd64)
	"components":       {external: []string{udiff, xsys}},
	"environments":     {internal: []string{"environments/ini"}},
	"environments/ini": {},
	// (x/crypto/ssh reads ssh keys as age recipients and identities)
	"environments/secrets": {internal: []string{"environments/ini"}, external: []string{age, gocrypto, xterm, xssh}},
	// (its tests render with the engine: the template check it gives
	// each thread is wired through a thread-local key)
	"starlib": {internal: []string{"components", "runtime/plan"}, external: []string{starlarkGo, udiff},
		testInternal: []string{"starlib/jinja"}},
	"starlib/jinja": {external: []string{starlarkGo, gonja, xtext}, testExternal: []string{logrus}},
	"runtime": {internal: []string{"starlib", "environments", "environments/secrets", "components", "runtime/plan"}, external: []string{starlarkGo},
		testInternal: []string{"starlib/jinja", "bench/workload"}, testExternal: []string{age}},
	"remote":         {internal: []string{"runtime/plan"}, external: []string{xsync}},
	"remote/agent":   {internal: []string{"runtime/plan", "components", "starlib"}, external: []string{starlarkGo, xsys}, testInternal: []string{"starlib/jinja"}},
	"bench/floor":    {internal: []string{"bench/workload"}},
	"bench/workload": {},
}

// pkgInfo is what go list says of one package.
type pkgInfo struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
}

func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", "./...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestImportDirection fails on an import (also in a _test.go file) that
// the architecture forbids, on a package without a rule, and on a rule for
// a package that does not exist.
func TestImportDirection(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		seen[rel] = true
		r, known := rules[rel]
		if !known {
			t.Errorf("package %s has no rule; add it to rules in arch_test.go (and to docs/architecture.md)", rel)
			continue
		}
		for _, problem := range checkImports(rel, r, p.Imports, false) {
			t.Error(problem)
		}
		tests := append(append([]string{}, p.TestImports...), p.XTestImports...)
		for _, problem := range checkImports(rel, r, tests, true) {
			t.Error(problem)
		}
	}
	for rel := range rules {
		if !seen[rel] {
			t.Errorf("rules has an entry for %q, which is not a package of the module; remove it", rel)
		}
	}
}

// checkImports returns what is wrong with the imports of package rel.
func checkImports(rel string, r rule, imports []string, test bool) []string {
	internal, external := r.internal, r.external
	where := ""
	if test {
		internal = append(append([]string{}, internal...), r.testInternal...)
		external = append(append([]string{}, external...), r.testExternal...)
		where = " (in a test)"
	}
	var out []string
	for _, imp := range imports {
		switch {
		case imp == module || strings.HasPrefix(imp, module+"/"):
			dep := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if dep != rel && !slices.Contains(internal, dep) {
				out = append(out, describe(rel)+" imports "+imp+where+", which the architecture forbids")
			}
		case isStandard(imp):
		case !fromModules(imp, external):
			out = append(out, describe(rel)+" imports "+imp+where+"; it may use only the standard library and "+strings.Join(external, ", "))
		}
	}
	return out
}

func describe(rel string) string {
	if rel == "" {
		return "main"
	}
	return rel
}

// isStandard reports whether an import path is of the standard library
// (its first element has no dot).
func isStandard(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func fromModules(imp string, mods []string) bool {
	for _, m := range mods {
		if imp == m || strings.HasPrefix(imp, m+"/") {
			return true
		}
	}
	return false
}

// The checker itself: forbidden edges in code and in tests are found.
func TestImportRules(t *testing.T) {
	r := rules["remote"]
	if got := checkImports("remote", r, []string{"go.starlark.net/starlark"}, false); len(got) != 1 {
		t.Errorf("remote importing go.starlark.net: want one problem, got %q", got)
	}
	if got := checkImports("remote", r, []string{module + "/starlib"}, true); len(got) != 1 {
		t.Errorf("a remote test importing starlib: want one problem, got %q", got)
	}
	if got := checkImports("components", rules["components"], []string{"github.com/gliderlabs/ssh"}, true); len(got) != 1 {
		t.Errorf("a components test importing gliderlabs/ssh: want one problem, got %q", got)
	}
	if got := checkImports("remote", r, []string{"golang.org/x/sync/errgroup", "os", module + "/runtime/plan"}, false); len(got) != 0 {
		t.Errorf("allowed imports reported: %q", got)
	}
}
