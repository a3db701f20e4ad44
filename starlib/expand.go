package starlib

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/batou-go/batou/components"
	"go.starlark.net/starlark"
)

// expandContext is the components.ExpandContext of one component. It is
// one pointer, so that passing it as the interface allocates nothing;
// templates render on the thread configuring the component's root (a
// kind is expanded only there).
type expandContext struct{ c *Component }

var _ components.ExpandContext = expandContext{}

// Final implements components.ExpandContext.
func (e expandContext) Final() bool { return e.c.final }

func (e expandContext) Map(p string) string { return e.c.mapPath(p) }

func (e expandContext) ReadAsset(p string) ([]byte, error) {
	full, err := e.c.root.assetPath(p)
	if err != nil {
		return nil, err
	}
	return e.c.root.readAsset(full)
}

func (e expandContext) ReadText(p, enc string) (string, error) {
	full, err := e.c.root.assetPath(p)
	if err != nil {
		return "", err
	}
	data, err := e.c.root.readAsset(full)
	if err != nil {
		return "", err
	}
	return e.c.root.session.assetText(full, enc, data)
}

// readAsset reads the project file full (found by assetPath).
func (r *Root) readAsset(full string) ([]byte, error) {
	data, err := r.session.readAsset(full)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", r.rel(full), unwrapPathError(err))
	}
	return data, nil
}

func (e expandContext) ReadTree(p string) ([]components.TreeEntry, error) {
	full, err := e.c.root.assetPath(p)
	if err != nil {
		return nil, err
	}
	entries, err := e.c.root.session.readTree(full, e.c.root.rel(full))
	e.c.root.session.Inputs.Tree(full, entries, err)
	return entries, err
}

func (e expandContext) Render(name, text string, args any) (string, error) {
	ctx := e.c.templateComponent()
	if ctx.root.session.Templates == nil {
		return "", fmt.Errorf("no template engine")
	}
	vars, shared := ctx.root.takeVars()
	if shared {
		defer ctx.root.doneVars()
	}
	ctx.setTemplateVars(vars, ctx)
	if args == nil {
		vars["args"] = starlark.NewDict(0)
	} else {
		vars["args"] = goToStarlark(args)
	}
	return ctx.root.session.renderTracked(e.c.root.configuring(), e.c.root.relName(name), text, vars)
}

// takeVars returns the map for the context of a template a built-in kind
// renders. Every File of a component renders one, with the same five
// names, and the engine only reads the map while it renders: a root
// keeps one map for all of them (shared is true; call doneVars when the
// render is over). A render that starts while that one is still running
// gets a map of its own.
func (r *Root) takeVars() (vars map[string]starlark.Value, shared bool) {
	if r.varsBusy {
		return make(map[string]starlark.Value, 5), false
	}
	if r.vars == nil {
		r.vars = make(map[string]starlark.Value, 5)
	}
	r.varsBusy = true
	return r.vars, true
}

// doneVars ends the use of the map takeVars shared.
func (r *Root) doneVars() { r.varsBusy = false }

// templateComponent is the component a File's template sees as
// `component`: the nearest enclosing component written in Starlark.
func (c *Component) templateComponent() *Component {
	x := c.parent
	for x != nil && x.def.kind != nil {
		x = x.parent
	}
	if x == nil {
		return c
	}
	return x
}

// assetPath resolves a path of the project: relative to the root's defdir;
// it must not lead outside the project, also not through a symlink.
func (r *Root) assetPath(p string) (string, error) {
	a := r.asset(p)
	return a.real, a.err
}

// assetKey names a project path as a component gave it.
type assetKey struct{ defdir, path string }

// assetInfo is what assetPath found out about a path: the real path and
// the project-relative one, or the error.
type assetInfo struct {
	real, rel string
	err       error
}

// asset resolves p once per session (many files use one template).
func (r *Root) asset(p string) assetInfo {
	s, key := r.session, assetKey{r.Defdir, p}
	s.mu.Lock()
	a, ok := s.assetPaths[key]
	s.mu.Unlock()
	if ok {
		return a
	}
	a.real, a.err = r.findAsset(p)
	if a.err == nil {
		a.rel = r.rel(a.real)
	}
	s.mu.Lock()
	if s.assetPaths == nil {
		s.assetPaths = map[assetKey]assetInfo{}
	}
	s.assetPaths[key] = a
	s.mu.Unlock()
	return a
}

func (r *Root) findAsset(p string) (string, error) {
	full := p
	if !filepath.IsAbs(p) {
		full = filepath.Join(r.Defdir, p)
	}
	real := r.session.resolve(filepath.Clean(full))
	if !within(r.session.realProject(), real) {
		return "", fmt.Errorf("%s lies outside the project; configure may only read files of the project (hint: put the file next to the component)", p)
	}
	return real, nil
}

// within reports whether p lies inside dir.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// rel returns a path relative to the project, for messages.
func (r *Root) rel(full string) string {
	proj := r.session.realProject()
	if rel, err := filepath.Rel(proj, full); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return full
}

// relName turns a template name that is a path relative to the defdir into
// a project-relative one; other names stay.
func (r *Root) relName(name string) string {
	if strings.HasPrefix(name, "<") {
		return name
	}
	if a := r.asset(name); a.err == nil {
		return a.rel
	}
	return name
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// readTree lists the project directory dir (named name for messages);
// files larger than components.InlineMax are hashed, not read.
func (s *Session) readTree(dir, name string) ([]components.TreeEntry, error) {
	var out []components.TreeEntry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p == dir && !d.IsDir() {
			// Walked, a file would be a tree of nothing: the copy would
			// do nothing and say nothing.
			return fmt.Errorf("%s is a file, not a directory (hint: Directory copies a directory of the project; copy one file with File)", name)
		}
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		e, err := s.treeEntry(p, filepath.ToSlash(rel), name, d)
		if err == nil {
			out = append(out, e)
		}
		return err
	})
	var pe *fs.PathError
	if errors.As(err, &pe) { // name the path in the project, as other messages do
		at := name
		if rel, rerr := filepath.Rel(dir, pe.Path); rerr == nil && rel != "." {
			at += "/" + filepath.ToSlash(rel)
		}
		err = fmt.Errorf("reading %s: %w", at, pe.Err)
	}
	return out, err
}

func (s *Session) treeEntry(p, rel, name string, d fs.DirEntry) (components.TreeEntry, error) {
	info, err := d.Info()
	if err != nil {
		return components.TreeEntry{}, err
	}
	e := components.TreeEntry{Path: rel, Mode: uint32(info.Mode().Perm()), Dir: d.IsDir()}
	switch {
	case d.Type()&fs.ModeSymlink != 0:
		e.Link, err = os.Readlink(p)
	case d.IsDir():
	case info.Size() > components.InlineMax:
		e.Blob, err = s.largeFile(p, name+"/"+rel)
	default:
		e.Data, err = os.ReadFile(p)
	}
	return e, err
}
