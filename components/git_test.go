package components

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// upstream is a real git repository the tests clone from.
type upstream struct {
	t   *testing.T
	dir string
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git.Clone drives the git program, which is not installed")
	}
	u := &upstream{t: t, dir: filepath.Join(t.TempDir(), "upstream")}
	u.git("init", "-q", "-b", "main", u.dir)
	u.commit("app.txt", "v1\n")
	u.git("-C", u.dir, "tag", "v1")
	return u
}

// git runs git with a fixed identity and no user configuration.
func (u *upstream) git(args ...string) string {
	u.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Test", "-c", "user.email=test@example.org"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		u.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes a file and commits it; it returns the new commit.
func (u *upstream) commit(name, content string) string {
	writeFile(u.t, filepath.Join(u.dir, name), content, 0o644)
	u.git("-C", u.dir, "add", name)
	u.git("-C", u.dir, "commit", "-q", "-m", "change "+name)
	return u.git("-C", u.dir, "rev-parse", "HEAD")
}

func TestGitClone(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	u := newUpstream(t)
	first := u.git("-C", u.dir, "rev-parse", "HEAD")
	second := u.commit("app.txt", "v2\n")
	p := newProject(t)
	clone := func(attrs Attrs) *node {
		attrs["url"], attrs["target"] = u.dir, "checkout"
		return p.mustExpand("git.Clone", attrs)
	}
	content := func() string { return readFile(t, p.work("checkout/app.txt")) }
	head := func() string { return u.git("-C", p.work("checkout"), "rev-parse", "HEAD") }

	// A short revision: cloned, detached, converged.
	n := clone(Attrs{"revision": first[:8]})
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 || content() != "v1\n" {
		t.Fatalf("revision: changed %v, content %q", got, content())
	}
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 0 {
		t.Fatalf("revision: second deploy changed %v", got)
	}
	// To the branch, which has a newer commit.
	n = clone(Attrs{"branch": "main"})
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 || head() != second {
		t.Fatalf("branch: changed %v, at %s", got, head())
	}
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 0 {
		t.Fatalf("branch: second deploy changed %v", got)
	}
	// A new upstream commit on the branch is seen and fetched.
	third := u.commit("new.txt", "new\n")
	res, err := n.kind.Verify(p.ctx(true), n.attrs)
	if err != nil || !strings.Contains(res.Reason, "want "+third[:12]) {
		t.Fatalf("new upstream commit: %+v %v", res, err)
	}
	mustDeploy(t, p.ctx(false), n)
	if head() != third {
		t.Fatalf("branch: at %s, want %s", head(), third)
	}
	// Back to a tag: detached at it, and the branch is no longer checked out.
	n = clone(Attrs{"tag": "v1"})
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 || head() != first {
		t.Fatalf("tag: changed %v, at %s", got, head())
	}
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 0 {
		t.Fatalf("tag: second deploy changed %v", got)
	}
	// Drift: the checkout is removed.
	os.RemoveAll(p.work("checkout"))
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 || head() != first {
		t.Fatalf("re-clone: changed %v", got)
	}
}

func TestGitCloneLocalChanges(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	u := newUpstream(t)
	p := newProject(t)
	n := p.mustExpand("git.Clone", Attrs{"url": u.dir, "target": "co", "branch": "main"})
	mustDeploy(t, p.ctx(false), n)
	writeFile(t, p.work("co/app.txt"), "edited\n", 0o644)
	writeFile(t, p.work("co/untracked.txt"), "mine\n", 0o644)
	_, err := deploy(p.ctx(false), n)
	wantErr(t, err, "refusing to clobber the work tree "+p.work("co")+" with 2 local changes", "M app.txt", "?? untracked.txt", "hint: ", "clobber=True")
	if got := readFile(t, p.work("co/app.txt")); got != "edited\n" {
		t.Fatal("the change was thrown away without clobber")
	}
	n = p.mustExpand("git.Clone", Attrs{"url": u.dir, "target": "co", "branch": "main", "clobber": true})
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 {
		t.Fatalf("clobber: changed %v", got)
	}
	if got := readFile(t, p.work("co/app.txt")); got != "v1\n" {
		t.Fatalf("clobber: app.txt holds %q", got)
	}
	if _, err := os.Stat(p.work("co/untracked.txt")); !os.IsNotExist(err) {
		t.Fatal("clobber: the untracked file is still there")
	}
	// A changed URL: the remote is set, nothing is cloned again.
	moved := filepath.Join(t.TempDir(), "moved")
	u.git("clone", "-q", "--bare", u.dir, moved)
	marker := p.work("co/.git/keep-me")
	writeFile(t, marker, "", 0o644)
	n = p.mustExpand("git.Clone", Attrs{"url": moved, "target": "co", "branch": "main"})
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 {
		t.Fatalf("new url: changed %v", got)
	}
	if got := u.git("-C", p.work("co"), "remote", "get-url", "origin"); got != moved {
		t.Fatalf("origin is %s", got)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("the checkout was cloned again")
	}
}

func TestGitCloneErrors(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	p := newProject(t)
	for _, attrs := range []Attrs{{"url": "x"}, {"url": "x", "branch": "a", "tag": "b"}} {
		_, err := p.expand("git.Clone", attrs)
		wantErr(t, err, "give exactly one of revision=, branch= and tag=")
	}
	n := p.mustExpand("git.Clone", Attrs{"url": "https://deploy:s3cret@example.invalid/r.git", "branch": "main"})
	if got := n.label(); got != "git.Clone('https://deploy:***@example.invalid/r.git')" {
		t.Fatalf("label %s", got)
	}
	u := newUpstream(t)
	for attrs, msg := range map[[2]string]string{
		{"revision", "0123456789abcdef"}: "revision 0123456789abcdef is not in the repository",
		{"tag", "v9"}:                    "tag v9 is not in the repository",
		{"branch", "nope"}:               "the remote has no branch nope",
	} {
		n := p.mustExpand("git.Clone", Attrs{"url": u.dir, "target": "e-" + attrs[1], attrs[0]: attrs[1]})
		_, err := deploy(p.ctx(false), n)
		wantErr(t, err, msg)
	}
	writeFile(t, p.work("occupied/file"), "x", 0o644)
	n = p.mustExpand("git.Clone", Attrs{"url": u.dir, "target": "occupied", "tag": "v1"})
	_, err := deploy(p.ctx(false), n)
	wantErr(t, err, "is not empty and not a git checkout; hint: remove it, or set clobber=True")
}
