package components

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

func directoryKind() *Kind {
	return &Kind{
		Name:    "Directory",
		Namevar: "path",
		Doc: "Directory makes sure a directory exists; whatever else stands at the path is removed " +
			"first. With source= it also copies a directory of the project into it (natively, no rsync): " +
			"files get the source's content and permission bits, symlinks are copied as links, and with " +
			"delete=True entries that are not in the source are removed. Files are written atomically " +
			"and only when they differ.",
		Attrs: []Attr{
			pathAttr("the directory; relative paths are relative to the workdir"),
			leadingAttr(),
			{Name: "source", Type: TypeStr, Default: "", Doc: "a directory of the project, relative to the definition directory, to copy into path"},
			{Name: "exclude", Type: TypeList, Doc: "a list of glob patterns (*, ?, [...]) of entries not to copy, delete or check, " +
				"matched against the slash-separated path relative to the directory and against the entry's name; " +
				"an excluded directory excludes everything below it"},
			{Name: "delete", Type: TypeBool, Default: false, Doc: "remove entries of the directory that are not in source (except excluded ones)"},
		},
		Expand: expandDirectory,
		Verify: verifyDirectory,
		Update: updateDirectory,
		Writes: "path",
	}
}

func expandDirectory(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, _, err := normPath(ctx, a, "path")
	if err != nil {
		return nil, nil, err
	}
	exclude, err := excludePatterns(out["exclude"])
	if err != nil {
		return nil, nil, err
	}
	source, err := out.strOrNil("source")
	if err != nil {
		return nil, nil, err
	}
	if source == "" {
		if out.flag("delete") {
			return nil, nil, errors.New("delete=True needs source= (the directory to copy)")
		}
		return out, nil, nil
	}
	tree, err := ctx.ReadTree(source)
	if err != nil {
		return nil, nil, fmt.Errorf("source %s: %w", source, err)
	}
	out["files"] = treeAttr(tree, exclude)
	return out, nil, nil
}

// excludePatterns checks and returns the exclude list.
func excludePatterns(v any) ([]string, error) {
	list, ok := v.([]any)
	if v != nil && !ok {
		return nil, fmt.Errorf("exclude must be a list of patterns, not %s", typeName(v))
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		p, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("exclude: pattern must be a string, not %s", typeName(x))
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("exclude: invalid pattern %q: %w", p, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// excluded reports whether rel (slash separated) or one of its parent
// directories matches a pattern, by path or by name.
func excluded(rel string, patterns []string) bool {
	if len(patterns) == 0 {
		return false
	}
	for p := rel; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		for _, pat := range patterns {
			if m, _ := path.Match(pat, p); m {
				return true
			}
			if m, _ := path.Match(pat, path.Base(p)); m {
				return true
			}
		}
	}
	return false
}

// treeAttr turns the project tree into the files attribute: a list of
// {"path", "mode", "dir", "link", "data"} dicts in lexical order of path;
// a file larger than InlineMax has "blob" instead of "data".
func treeAttr(tree []TreeEntry, exclude []string) []any {
	sorted := append([]TreeEntry(nil), tree...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	out := []any{}
	for _, e := range sorted {
		if excluded(e.Path, exclude) {
			continue
		}
		m := map[string]any{"path": e.Path, "mode": int64(e.Mode & 0o7777), "dir": e.Dir, "link": e.Link}
		switch {
		case e.Dir || e.Link != "":
		case e.Blob != nil:
			m["blob"] = *e.Blob
		default:
			m["data"] = append([]byte{}, e.Data...)
		}
		out = append(out, m)
	}
	return out
}

func verifyDirectory(ctx *Context, a Attrs) (Result, error) {
	p := ctx.hostPath(a.str("path"))
	info, err := os.Stat(p)
	reason := ""
	switch {
	case err != nil && missing(ctx, err):
		reason = "directory missing"
	case err != nil:
		return Result{}, fmt.Errorf("checking directory %s: %w", p, err)
	case !info.IsDir():
		reason = "not a directory: " + describe(info)
	}
	t := newTreeSync(ctx, p, a)
	if reason != "" {
		t.allNew()
		return Result{NeedsUpdate: true, Reason: reason, Diff: t.listing()}, nil
	}
	if err := t.scan(); err != nil {
		return Result{}, err
	}
	if len(t.changes) == 0 {
		return Result{}, nil
	}
	return Result{NeedsUpdate: true, Reason: t.summary(), Diff: t.listing()}, nil
}

func updateDirectory(ctx *Context, a Attrs) error {
	p := ctx.hostPath(a.str("path"))
	if err := ensureDir(p, a.flag("leading")); err != nil {
		return err
	}
	t := newTreeSync(ctx, p, a)
	if err := t.scan(); err != nil {
		return err
	}
	return t.apply()
}

// ensureDir makes p a directory (a symlink to one will do), replacing
// anything else that stands there.
func ensureDir(p string, leading bool) error {
	if info, err := os.Stat(p); err == nil && info.IsDir() {
		return nil
	}
	if err := removeAny(p); err != nil {
		return err
	}
	if leading {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return fmt.Errorf("creating directory %s: %w", p, err)
		}
		return nil
	}
	err := os.Mkdir(p, 0o755)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("creating directory %s: parent directory %s does not exist (hint: leading=True creates it): %w",
			p, filepath.Dir(p), err)
	}
	if err != nil {
		return fmt.Errorf("creating directory %s: %w", p, err)
	}
	return nil
}

// plural formats a count with a noun: "1 entry", "3 entries".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// joinRel joins a slash-separated relative path to a directory.
func joinRel(dir, rel string) string {
	return filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(rel, "/")))
}
