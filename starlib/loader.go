package starlib

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// FileOptions is the Starlark dialect of .star files: sets, while loops,
// top-level if/for and recursion are allowed; top-level names are bound
// once.
var FileOptions = &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, Recursion: true}

// Loader executes .star modules of a project, each once, resolving load()
// statements. It binds the component definitions of each module to their
// names. The zero value is not usable; set Session and Read.
type Loader struct {
	Session *Session
	// Read returns the text of a project-relative file, or an error.
	Read func(rel string) ([]byte, error)
	// OnError, if set, is told about every module that fails.
	OnError func(rel string, err error)
	// OnLoaded, if set, is told about every module that loaded.
	OnLoaded func(rel string, globals starlark.StringDict)

	modules map[string]*loaded
	deps    map[string][]string
	// loading are the modules being loaded now, outermost first.
	loading []string
}

type loaded struct {
	globals starlark.StringDict
	err     error
	loading bool
}

// Load executes module rel (once) and returns its globals.
func (l *Loader) Load(rel string) (starlark.StringDict, error) {
	if l.modules == nil {
		l.modules, l.deps = map[string]*loaded{}, map[string][]string{}
	}
	if m := l.modules[rel]; m != nil {
		if m.loading {
			return nil, l.cycle(rel)
		}
		return m.globals, m.err
	}
	m := &loaded{loading: true}
	l.modules[rel] = m
	l.loading = append(l.loading, rel)
	m.globals, m.err = l.exec(rel)
	l.loading = l.loading[:len(l.loading)-1]
	m.loading = false
	if m.err != nil && l.OnError != nil {
		l.OnError(rel, m.err)
	}
	if m.err == nil && l.OnLoaded != nil {
		l.OnLoaded(rel, m.globals)
	}
	return m.globals, m.err
}

func (l *Loader) exec(rel string) (starlark.StringDict, error) {
	src, err := l.Read(rel)
	if err != nil {
		return nil, err
	}
	thread := l.Session.NewThread(rel, PhaseLoad)
	defer l.Session.Done(thread)
	thread.Load = func(t *starlark.Thread, name string) (starlark.StringDict, error) {
		target, err := ResolveLoad(rel, name)
		if err != nil {
			return nil, err
		}
		if _, err := l.Read(target); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("load(%q): %s does not exist in the project", name, target)
			}
			return nil, fmt.Errorf("load(%q): %v", name, err)
		}
		l.deps[rel] = append(l.deps[rel], target)
		g, err := l.Load(target)
		if _, closes := err.(*LoadCycleError); closes {
			return nil, err // said here, where the cycle closes (further out it comes wrapped)
		}
		if err != nil {
			return nil, fmt.Errorf("load(%q) failed (see the error in %s)", name, target)
		}
		return g, nil
	}
	g, err := starlark.ExecFileOptions(FileOptions, thread, rel, src, l.Session.predeclared())
	if err == nil {
		bindDefs(rel, g)
	}
	if serr := StepsError(thread, err, l.Session.MaxSteps); serr != nil {
		err = serr
	}
	return g, err
}

// cycle is the error of loading rel while it is being loaded: the files
// that load each other, from rel round to rel.
func (l *Loader) cycle(rel string) error {
	i := len(l.loading) - 1
	for i > 0 && l.loading[i] != rel {
		i--
	}
	return &LoadCycleError{Files: append(append([]string(nil), l.loading[i:]...), rel)}
}

// LoadCycleError is a file that loads itself, directly or through other
// files: Files goes from it round to it again.
type LoadCycleError struct {
	Files []string
}

func (e *LoadCycleError) Error() string {
	if len(e.Files) == 2 {
		return fmt.Sprintf("load cycle: %s loads itself", e.Files[0])
	}
	return fmt.Sprintf("load cycle: %s (each loads the next)", strings.Join(e.Files, " -> "))
}

// Hint says what to do.
func (e *LoadCycleError) Hint() string {
	if len(e.Files) == 2 {
		return "remove that load()"
	}
	return "move what these files share into a file that loads none of them"
}

// bindDefs names the anonymous definitions created in rel after the
// top-level names they are bound to (the first name, in sorted order).
func bindDefs(rel string, g starlark.StringDict) {
	for _, name := range g.Keys() {
		if d, ok := g[name].(*Def); ok {
			d.Bind(name, rel)
		}
	}
}

// Deps returns the files rel loads directly.
func (l *Loader) Deps(rel string) []string { return l.deps[rel] }

// Def returns the definition bound to name in module file, loading it.
func (l *Loader) Def(file, name string) (*Def, error) {
	g, err := l.Load(file)
	if err != nil {
		return nil, err
	}
	d, ok := g[name].(*Def)
	if !ok {
		return nil, fmt.Errorf("%s defines no component %s", file, name)
	}
	return d, nil
}

// ResolveLoad maps a load() name to a project-relative path: "//x.star" is
// relative to the project root, anything else to the loading file.
func ResolveLoad(from, name string) (string, error) {
	var target string
	if strings.HasPrefix(name, "//") {
		target = path.Clean(strings.TrimPrefix(name, "//"))
	} else {
		target = path.Clean(path.Join(path.Dir(from), name))
	}
	if target == ".." || strings.HasPrefix(target, "../") || path.IsAbs(target) {
		return "", fmt.Errorf("load(%q): only files of the project can be loaded; use \"//path/from/project/root.star\" or a path relative to %s", name, from)
	}
	if !strings.HasSuffix(target, ".star") {
		return "", fmt.Errorf("load(%q): only .star files can be loaded", name)
	}
	return target, nil
}
