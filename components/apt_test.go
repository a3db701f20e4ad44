package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// localRepo builds a Debian package with dpkg-deb, puts it in a flat
// repository on disk and points apt at it through APT_CONFIG (its own
// source list, package lists and cache), so that apt-get works offline.
// It returns the package name, unique to this test process.
func localRepo(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("apt.Package installs real packages: the test needs root")
	}
	for _, tool := range []string{"dpkg-deb", "dpkg-query", "apt-get", "apt-config", "dpkg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("apt.Package needs %s, which is not installed", tool)
		}
	}
	name := fmt.Sprintf("batou-test-%d", os.Getpid())
	t.Cleanup(func() { exec.Command("apt-get", aptBy("purge", name)...).Run() })
	dir := t.TempDir()
	control := fmt.Sprintf("Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: Test <t@example.org>\nDescription: a package the tests install\n", name)
	writeFile(t, filepath.Join(dir, "pkg/DEBIAN/control"), control, 0o644)
	writeFile(t, filepath.Join(dir, "pkg/usr/share", name, "README"), "installed by a test\n", 0o644)
	deb := filepath.Join(dir, "repo", name+"_1.0_all.deb")
	os.MkdirAll(filepath.Dir(deb), 0o755)
	mustRun(t, "dpkg-deb", "--root-owner-group", "--build", filepath.Join(dir, "pkg"), deb)
	data, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	packages := fmt.Sprintf("%sFilename: ./%s\nSize: %d\nSHA256: %s\n\n", control, filepath.Base(deb), len(data), hex.EncodeToString(sum[:]))
	writeFile(t, filepath.Join(dir, "repo/Packages"), packages, 0o644)
	writeFile(t, filepath.Join(dir, "sources.list"), "deb [trusted=yes] file:"+filepath.Join(dir, "repo")+" ./\n", 0o644)
	for _, d := range []string{"parts", "lists/partial", "cache/archives/partial"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	conf := fmt.Sprintf("Dir::Etc::SourceList %q;\nDir::Etc::SourceParts %q;\nDir::State::Lists %q;\nDir::Cache %q;\nAcquire::Languages \"none\";\n",
		filepath.Join(dir, "sources.list"), filepath.Join(dir, "parts"), filepath.Join(dir, "lists"), filepath.Join(dir, "cache"))
	writeFile(t, filepath.Join(dir, "apt.conf"), conf, 0o644)
	t.Setenv("APT_CONFIG", filepath.Join(dir, "apt.conf"))
	return name
}

// aptBy is the arguments of apt-get doing what (remove, purge) to name
// by hand, as a test does: it waits for the dpkg lock (as apt.Package
// does), so that another test run on the machine does not fail it.
func aptBy(what, name string) []string {
	return []string{"-q", "-y", "-o", "DPkg::Lock::Timeout=300", what, name}
}

func dpkgInstalled(t *testing.T, name string) bool {
	out, _ := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Abbrev}", name).Output()
	return strings.HasPrefix(string(out), "ii")
}

func TestAptPackage(t *testing.T) {
	name := localRepo(t)
	p := newProject(t)
	ctx := func(predict bool) *Context { c := p.ctx(predict); c.Shared = NewShared(); return c }
	n := p.mustExpand("apt.Package", Attrs{"name": name})
	res, err := n.kind.Verify(ctx(true), n.attrs)
	if err != nil || res.Reason != "to install: "+name {
		t.Fatalf("verify: %+v %v", res, err)
	}
	if got := mustDeploy(t, ctx(false), n); len(got) != 1 || !dpkgInstalled(t, name) {
		t.Fatalf("install: changed %v", got)
	}
	if got := mustDeploy(t, ctx(false), n); len(got) != 0 {
		t.Fatalf("second deploy changed %v", got)
	}
	mustRun(t, "apt-get", aptBy("remove", name)...) // drift
	if got := mustDeploy(t, ctx(false), n); len(got) != 1 || !dpkgInstalled(t, name) {
		t.Fatalf("reinstall: changed %v", got)
	}
	gone := p.mustExpand("apt.Package", Attrs{"name": []any{name}, "state": "absent"})
	if got := mustDeploy(t, ctx(false), gone); len(got) != 1 || dpkgInstalled(t, name) {
		t.Fatalf("remove: changed %v", got)
	}
	if got := mustDeploy(t, ctx(false), gone); len(got) != 0 {
		t.Fatalf("remove again: changed %v", got)
	}
	missing := p.mustExpand("apt.Package", Attrs{"name": "batou-no-such-package"})
	_, err = deploy(ctx(false), missing)
	wantErr(t, err, "apt-get install --no-install-recommends batou-no-such-package failed", "Unable to locate package batou-no-such-package")
}

// Prepare asks dpkg once for the packages of every apt.Package of a root;
// their verifies then use the answer.
func TestAptPackagePrepare(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("apt.Package needs dpkg-query")
	}
	ctx := &Context{Shared: NewShared()}
	k := Builtin().Get("apt.Package")
	k.Prepare(ctx, []Attrs{{"name": "dpkg"}, {"name": []any{"batou-no-such-package", "dpkg"}}})
	st := aptStatus(ctx)
	if len(st.installed) != 2 || !st.installed["dpkg"] || st.installed["batou-no-such-package"] {
		t.Fatalf("prepared %v", st.installed)
	}
}

func TestAptPackageErrors(t *testing.T) {
	p := newProject(t)
	for msg, attrs := range map[string]Attrs{
		`name: "Bad_Name" is not a Debian package name`:                     {"name": "Bad_Name"},
		"name must name at least one package":                               {"name": []any{}},
		"name must be a package name or a list of them, not int":            {"name": int64(1)},
		"name must be a package name or a list of them, not a list holding": {"name": []any{int64(1)}},
		`state must be "present" or "absent", not "latest"`:                 {"name": "curl", "state": "latest"},
	} {
		_, err := p.expand("apt.Package", attrs)
		wantErr(t, err, msg)
	}
}
