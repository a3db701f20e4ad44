package components

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// syncEntry is one entry of a Directory's files attribute.
type syncEntry struct {
	rel  string // slash separated, relative to the directory
	mode int64
	dir  bool
	link string
	data []byte
	blob *Blob // the content, when it travels by digest (data is empty)
}

// Change operations of a directory sync.
const (
	opCreate = '+'
	opChange = '~'
	opDelete = '-'
)

// syncChange is one difference between the source tree and the directory.
type syncChange struct {
	op    byte
	rel   string
	entry syncEntry // for opCreate and opChange
	isDir bool
}

// treeSync compares and copies a Directory's source tree into root.
type treeSync struct {
	ctx     *Context
	atomic  Atomic
	root    string
	files   []syncEntry
	exclude []string
	delete  bool
	changes []syncChange
}

func newTreeSync(ctx *Context, root string, a Attrs) *treeSync {
	exclude, _ := excludePatterns(a["exclude"])
	return &treeSync{ctx: ctx, atomic: ctx.Atomic, root: root, files: parseFiles(a.list("files")), exclude: exclude, delete: a.flag("delete")}
}

// parseFiles reads the files attribute written by treeAttr; entries whose
// path is not a clean relative path (no "..") are ignored.
func parseFiles(list []any) []syncEntry {
	out := make([]syncEntry, 0, len(list))
	for _, x := range list {
		m, _ := x.(map[string]any)
		e := syncEntry{rel: Attrs(m).str("path"), dir: Attrs(m).flag("dir"), link: Attrs(m).str("link"), data: contentBytes(m["data"])}
		if b, ok := m["blob"].(Blob); ok {
			e.blob = &b
		}
		switch v := m["mode"].(type) {
		case int64:
			e.mode = v
		case float64:
			e.mode = int64(v)
		}
		if fs.ValidPath(e.rel) && e.rel != "." {
			out = append(out, e)
		}
	}
	return out
}

// allNew records every source entry as to be created (the directory is
// missing).
func (t *treeSync) allNew() {
	for _, e := range t.files {
		t.changes = append(t.changes, syncChange{op: opCreate, rel: e.rel, entry: e, isDir: e.dir})
	}
}

// scan records the differences between the source and the directory.
func (t *treeSync) scan() error {
	for _, e := range t.files {
		op, err := t.compare(e)
		if err != nil {
			return err
		}
		if op != 0 {
			t.changes = append(t.changes, syncChange{op: op, rel: e.rel, entry: e, isDir: e.dir})
		}
	}
	if !t.delete {
		return nil
	}
	return t.scanExtras()
}

// compare tells whether e must be created, changed or is fine (0).
func (t *treeSync) compare(e syncEntry) (byte, error) {
	full := joinRel(t.root, e.rel)
	info, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return opCreate, nil
	}
	if err != nil {
		return 0, fmt.Errorf("checking %s: %w", full, err)
	}
	same, err := t.sameEntry(full, info, e)
	if err != nil || same {
		return 0, err
	}
	return opChange, nil
}

// sameEntry reports whether the file at full, described by info, matches e.
func (t *treeSync) sameEntry(full string, info fs.FileInfo, e syncEntry) (bool, error) {
	m := info.Mode()
	switch {
	case e.link != "":
		if m&fs.ModeSymlink == 0 {
			return false, nil
		}
		target, err := os.Readlink(full)
		if err != nil {
			return false, fmt.Errorf("reading symlink %s: %w", full, err)
		}
		return target == e.link, nil
	case e.dir:
		return m.IsDir() && unixMode(m) == e.mode, nil
	case !m.IsRegular() || unixMode(m) != e.mode || info.Size() != e.size():
		return false, nil
	case e.blob != nil:
		return t.ctx.fileHasBlob(full, *e.blob)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return false, fmt.Errorf("checking %s: %w", full, err)
	}
	return string(data) == string(e.data), nil
}

// scanExtras records entries of the directory that are not in the source
// and not excluded, for deletion.
func (t *treeSync) scanExtras() error {
	known := make(map[string]bool, len(t.files))
	for _, e := range t.files {
		known[e.rel] = e.dir
	}
	root, err := filepath.EvalSymlinks(t.root)
	if err != nil {
		return fmt.Errorf("listing %s: %w", t.root, err)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("listing %s: %w", p, err)
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		return t.visitExtra(rel, d, known)
	})
}

func (t *treeSync) visitExtra(rel string, d fs.DirEntry, known map[string]bool) error {
	if rel == "." {
		return nil
	}
	srcDir, inSource := known[rel]
	switch {
	case inSource && srcDir:
		return nil
	case !inSource && !excluded(rel, t.exclude):
		t.changes = append(t.changes, syncChange{op: opDelete, rel: rel, isDir: d.IsDir()})
	}
	if d.IsDir() {
		return fs.SkipDir
	}
	return nil
}

// summary is the Reason of a directory that differs.
func (t *treeSync) summary() string {
	var n [3]int
	for _, c := range t.changes {
		n[strings.IndexByte("+~-", c.op)]++
	}
	var parts []string
	for i, word := range []string{"to create", "to change", "to delete"} {
		if n[i] > 0 {
			parts = append(parts, plural(n[i], "entry", "entries")+" "+word)
		}
	}
	return "directory content differs: " + strings.Join(parts, ", ")
}

// listing is the Diff of a directory that differs: one line per entry,
// "+ new", "~ changed", "- deleted"; directories end in a slash.
func (t *treeSync) listing() string {
	var b strings.Builder
	for _, c := range t.changes {
		slash := ""
		if c.isDir {
			slash = "/"
		}
		fmt.Fprintf(&b, "%c %s%s\n", c.op, c.rel, slash)
	}
	if b.Len() == 0 {
		return ""
	}
	return capLines(b.String())
}

// apply makes the directory match the source: it creates and changes
// entries in lexical order (parents first), then deletes extras. The modes
// of directories are set last, so that a read-only source directory can
// still be filled.
func (t *treeSync) apply() error {
	var dirs []syncEntry
	for _, c := range t.changes {
		var err error
		switch {
		case c.op == opDelete:
			err = removeAny(joinRel(t.root, c.rel))
		case c.entry.link != "":
			err = t.atomic.replaceSymlink(joinRel(t.root, c.rel), c.entry.link)
		case c.entry.dir:
			err = makeSubdir(joinRel(t.root, c.rel))
			dirs = append(dirs, c.entry)
		default:
			err = t.writeEntry(c.entry)
		}
		if err != nil {
			return err
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		full := joinRel(t.root, dirs[i].rel)
		if err := os.Chmod(full, fileMode(dirs[i].mode)); err != nil {
			return fmt.Errorf("setting mode of %s: %w", full, err)
		}
	}
	return nil
}

// makeSubdir makes full a real directory, replacing anything else there.
func makeSubdir(full string) error {
	if info, err := os.Lstat(full); err == nil && info.IsDir() {
		return nil
	}
	if err := removeAny(full); err != nil {
		return err
	}
	if err := os.Mkdir(full, 0o700); err != nil {
		return fmt.Errorf("creating directory %s: %w", full, err)
	}
	return nil
}

// writeEntry writes one file of the source atomically with its mode.
func (t *treeSync) writeEntry(e syncEntry) error {
	full := joinRel(t.root, e.rel)
	if info, err := os.Lstat(full); err == nil && !info.Mode().IsRegular() {
		if err := removeAny(full); err != nil {
			return err
		}
	}
	if e.blob != nil {
		return t.ctx.writeBlob(full, *e.blob, fileMode(e.mode), false)
	}
	if err := t.atomic.write(full, e.data, fileMode(e.mode), false); err != nil {
		return fmt.Errorf("writing %s: %w", full, err)
	}
	return nil
}

// size is the length of the entry's content.
func (e syncEntry) size() int64 {
	if e.blob != nil {
		return e.blob.Size
	}
	return int64(len(e.data))
}
