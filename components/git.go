package components

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

func gitCloneKind() *Kind {
	return &Kind{
		Name:    "git.Clone",
		Namevar: "url",
		Doc: "git.Clone keeps a git checkout of url in target at a revision (a commit, short or full), a tag " +
			"or the head of a branch, through the git program. A revision or tag is checked out as a " +
			"detached HEAD and verified locally; a branch is checked out as that branch and verified " +
			"against the remote's head (git ls-remote, a network call). Switching between branch, tag and " +
			"revision converges. Local changes (also untracked files) fail the component unless " +
			"clobber=True, which throws them away. A changed url is set on the remote origin and fetched. " +
			"Submodules are updated when the repository has any.",
		Attrs: []Attr{
			{Name: "url", Type: TypeStr, Required: true, Doc: "the repository (any URL or path git understands); a password in it is shown as ***"},
			{Name: "target", Type: TypeStr, Default: ".", Doc: "the checkout directory; relative paths are relative to the workdir"},
			{Name: "revision", Type: TypeStr, Doc: "a commit to check out (full or abbreviated)"},
			{Name: "branch", Type: TypeStr, Doc: "a branch to follow"},
			{Name: "tag", Type: TypeStr, Doc: "a tag to check out"},
			{Name: "vcs_update", Type: TypeBool, Default: true, Doc: "False: once cloned, the checkout is left alone"},
			{Name: "clobber", Type: TypeBool, Default: false, Doc: "throw away local changes and untracked files instead of failing"},
		},
		Expand: expandGitClone,
		Verify: verifyGitClone,
		Update: updateGitClone,
		Writes: "target",
	}
}

func expandGitClone(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	if a.str("url") == "" {
		return nil, nil, errors.New("url must not be empty")
	}
	n := 0
	for _, name := range []string{"revision", "branch", "tag"} {
		if a.str(name) != "" {
			n++
		}
	}
	if n != 1 {
		return nil, nil, errors.New("give exactly one of revision=, branch= and tag=")
	}
	out := Attrs{}
	for k, v := range a {
		out[k] = v
	}
	out["target"] = ctx.Map(a.str("target"))
	out[DisplayAttr] = maskGitURL(a.str("url"))
	return out, nil, nil
}

// maskGitURL hides a password in a URL.
func maskGitURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return maskURL(u)
	}
	return s
}

// gitPassword is the password in a URL, to mask in git's output.
func gitPassword(s string) []string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			return []string{p}
		}
	}
	return nil
}

// repo runs git in one checkout.
type repo struct {
	dir  string
	mask []string
	ctx  *Context // its Stop ends the git commands
}

// git builds a git command: never prompting, in the C locale, and without
// optional locks, so that a verify (git status) does not rewrite the
// index.
func (r repo) git(args ...string) toolCmd {
	return toolCmd{name: "git", args: args, dir: r.dir, mask: r.mask,
		env: []string{"GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_ASKPASS=true", "GIT_OPTIONAL_LOCKS=0"}}
}

// out runs git and returns its trimmed stdout; a non-zero exit is an
// error.
func (r repo) out(args ...string) (string, error) {
	res, err := r.git(args...).check(r.ctx)
	return strings.TrimSpace(res.stdout), err
}

// try runs git and returns its trimmed stdout and whether it succeeded.
func (r repo) try(args ...string) (string, bool, error) {
	res, err := r.git(args...).run(r.ctx)
	return strings.TrimSpace(res.stdout), err == nil && res.code == 0, err
}

func newRepo(ctx *Context, a Attrs) repo {
	return repo{dir: ctx.hostPath(a.str("target")), mask: gitPassword(a.str("url")), ctx: ctx}
}

func verifyGitClone(ctx *Context, a Attrs) (Result, error) {
	r := newRepo(ctx, a)
	if _, err := os.Stat(filepath.Join(r.dir, ".git")); err != nil {
		return Result{NeedsUpdate: true, Reason: "not cloned"}, nil
	}
	origin, _, err := r.try("remote", "get-url", "origin")
	if err != nil {
		return Result{}, err
	}
	if origin != a.str("url") {
		return Result{NeedsUpdate: true, Reason: "the remote URL differs: " + maskGitURL(origin)}, nil
	}
	if !a.flag("vcs_update") {
		return Result{}, nil
	}
	if res, err := gitDirty(r, a); err != nil || res.NeedsUpdate {
		return res, err
	}
	return gitAtWanted(r, a)
}

// gitDirty fails on local changes unless clobber is set, then it asks
// for an update.
func gitDirty(r repo, a Attrs) (Result, error) {
	status, err := r.out("status", "--porcelain", "--untracked-files=all")
	if err != nil || status == "" {
		return Result{}, err
	}
	lines := strings.Split(status, "\n")
	if a.flag("clobber") {
		return Result{NeedsUpdate: true, Reason: plural(len(lines), "local change", "local changes") + " to throw away (clobber=True)",
			Diff: capLines(status + "\n")}, nil
	}
	return Result{}, fmt.Errorf("refusing to clobber the work tree %s with %s:\n  %s\nhint: commit or remove them, "+
		"or set clobber=True to throw them away", r.dir, plural(len(lines), "local change", "local changes"),
		strings.Join(lines[:min(len(lines), 10)], "\n  "))
}

// gitAtWanted compares HEAD with the wanted commit.
func gitAtWanted(r repo, a Attrs) (Result, error) {
	head, _, err := r.try("rev-parse", "--verify", "-q", "HEAD")
	if err != nil {
		return Result{}, err
	}
	want, reason, err := gitWanted(r, a, false)
	if err != nil || want == "" {
		return Result{NeedsUpdate: want == "" && err == nil, Reason: reason}, err
	}
	if b := a.str("branch"); b != "" {
		current, _, err := r.try("symbolic-ref", "--short", "-q", "HEAD")
		if err != nil {
			return Result{}, err
		}
		if current != b {
			return Result{NeedsUpdate: true, Reason: "on " + describeHead(current) + ", want branch " + b}, nil
		}
	} else if current, _, _ := r.try("symbolic-ref", "-q", "HEAD"); current != "" {
		return Result{NeedsUpdate: true, Reason: "on a branch, want a detached HEAD at " + short(want)}, nil
	}
	if head != want {
		return Result{NeedsUpdate: true, Reason: fmt.Sprintf("at %s, want %s", short(head), short(want))}, nil
	}
	return Result{}, nil
}

func describeHead(branch string) string {
	if branch == "" {
		return "a detached HEAD"
	}
	return "branch " + branch
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// gitWanted returns the commit the checkout should be at. For a branch it
// asks the remote. When the commit is not in the local repository (a
// revision or tag not fetched yet) it returns "" and a reason, unless
// fetched is true, when that is an error.
func gitWanted(r repo, a Attrs, fetched bool) (string, string, error) {
	if b := a.str("branch"); b != "" {
		out, err := r.out("ls-remote", "origin", "refs/heads/"+b)
		if err != nil {
			return "", "", fmt.Errorf("asking the remote for branch %s: %w", b, err)
		}
		sha, _, _ := strings.Cut(out, "\t")
		if sha == "" {
			return "", "", fmt.Errorf("the remote has no branch %s", b)
		}
		return sha, "", nil
	}
	ref, what := a.str("revision"), "revision "+a.str("revision")
	if t := a.str("tag"); t != "" {
		ref, what = "refs/tags/"+t, "tag "+t
	}
	sha, ok, err := r.try("rev-parse", "--verify", "-q", ref+"^{commit}")
	switch {
	case err != nil:
		return "", "", err
	case ok:
		return sha, "", nil
	case fetched:
		return "", "", fmt.Errorf("%s is not in the repository %s", what, maskGitURL(a.str("url")))
	}
	return "", what + " not fetched yet", nil
}

func updateGitClone(ctx *Context, a Attrs) error {
	r := newRepo(ctx, a)
	cloned, err := gitEnsureClone(r, a)
	if err != nil {
		return err
	}
	if !a.flag("vcs_update") && !cloned {
		return gitSetURL(r, a)
	}
	if err := gitSetURL(r, a); err != nil {
		return err
	}
	if !cloned {
		if _, err := r.out("fetch", "--tags", "--force", "origin"); err != nil {
			return err
		}
	}
	if a.flag("clobber") {
		if err := gitClean(r); err != nil {
			return err
		}
	}
	if err := gitCheckout(r, a); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(r.dir, ".gitmodules")); err == nil {
		_, err = r.out("submodule", "update", "--init", "--recursive")
		return err
	}
	return nil
}

// gitEnsureClone clones when there is no checkout yet; it reports whether
// it did.
func gitEnsureClone(r repo, a Attrs) (bool, error) {
	if _, err := os.Stat(filepath.Join(r.dir, ".git")); err == nil {
		return false, nil
	}
	entries, err := os.ReadDir(r.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(r.dir, 0o755); err != nil {
			return false, fmt.Errorf("creating %s: %w", r.dir, err)
		}
	case err != nil:
		return false, fmt.Errorf("reading %s: %w", r.dir, err)
	case len(entries) > 0 && !a.flag("clobber"):
		return false, fmt.Errorf("%s is not empty and not a git checkout; hint: remove it, or set clobber=True to replace its content", r.dir)
	}
	for _, e := range entries {
		if err := removeAny(filepath.Join(r.dir, e.Name())); err != nil {
			return false, err
		}
	}
	parent := repo{dir: filepath.Dir(r.dir), mask: r.mask}
	if _, err := parent.out("clone", "--no-checkout", "--", a.str("url"), r.dir); err != nil {
		return false, err
	}
	return true, nil
}

func gitSetURL(r repo, a Attrs) error {
	origin, _, err := r.try("remote", "get-url", "origin")
	if err != nil || origin == a.str("url") {
		return err
	}
	if origin == "" {
		_, err = r.out("remote", "add", "origin", a.str("url"))
	} else {
		_, err = r.out("remote", "set-url", "origin", a.str("url"))
	}
	if err == nil && !a.flag("vcs_update") {
		return nil
	}
	if err == nil {
		_, err = r.out("fetch", "--tags", "--force", "origin")
	}
	return err
}

// gitClean throws away local changes and untracked files (ignored files
// stay).
func gitClean(r repo) error {
	if _, ok, err := r.try("rev-parse", "--verify", "-q", "HEAD"); err != nil || !ok {
		return err
	}
	if _, err := r.out("reset", "--hard", "-q"); err != nil {
		return err
	}
	_, err := r.out("clean", "-d", "--force", "-q")
	return err
}

func gitCheckout(r repo, a Attrs) error {
	want, _, err := gitWanted(r, a, true)
	if err != nil {
		return err
	}
	if b := a.str("branch"); b != "" {
		if _, err := r.out("checkout", "-q", "--force", "-B", b, want); err != nil {
			return err
		}
		_, _, err := r.try("branch", "-q", "--set-upstream-to=origin/"+b, b)
		return err
	}
	_, err = r.out("checkout", "-q", "--force", "--detach", want)
	return err
}
