package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/batou-go/batou/starlib"
	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Project is the loaded components of a project.
type Project struct {
	Dir     string
	Session *starlib.Session
	// Defs maps component names (lower case) to definitions.
	Defs map[string]*starlib.Def
	// Sources maps project-relative .star paths to their text.
	Sources map[string]string

	loader *starlib.Loader
	errs   Errors
}

// LoadProject loads every components/*/component.star and components/*.star
// of the project at dir, in alphabetical order of path. All errors are
// collected.
func LoadProject(dir string, session *starlib.Session) (*Project, Errors) {
	p := &Project{Dir: dir, Session: session, Defs: map[string]*starlib.Def{}, Sources: map[string]string{}}
	p.loader = &starlib.Loader{Session: session, Read: p.read, OnError: p.onError, OnLoaded: p.register}
	files, err := componentFiles(dir)
	if err != nil {
		return p, Errors{{Msg: err.Error(), Hint: "run batou init to start a project"}}
	}
	for _, f := range files {
		_, _ = p.loader.Load(f) // errors are collected by onError
	}
	return p, p.errs
}

func (p *Project) read(rel string) ([]byte, error) {
	if src, ok := p.Sources[rel]; ok {
		return []byte(src), nil
	}
	full := filepath.Join(p.Dir, filepath.FromSlash(rel))
	if !p.Session.InProject(full) {
		return nil, fmt.Errorf("%s lies outside the project (through a symlink); only files of the project can be loaded", rel)
	}
	src, err := os.ReadFile(full)
	if err == nil {
		p.Sources[rel] = string(src)
	}
	return src, err
}

func (p *Project) onError(rel string, err error) { p.errs = append(p.errs, loadErrors(rel, err)...) }

func componentFiles(dir string) ([]string, error) {
	var files []string
	for _, pattern := range []string{"components/*/component.star", "components/*.star"} {
		m, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			rel, _ := filepath.Rel(dir, f)
			files = append(files, filepath.ToSlash(rel))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no components found in %s: a project needs components/<name>/component.star or components/<name>.star", dir)
	}
	return files, nil
}

// loadErrors turns the error of executing a file into Errors at file:line.
func loadErrors(rel string, err error) Errors {
	var rl resolve.ErrorList
	if errors.As(err, &rl) {
		out := make(Errors, len(rl))
		for i, e := range rl {
			out[i] = &Error{File: e.Pos.Filename(), Line: int(e.Pos.Line), Msg: e.Msg}
		}
		return out
	}
	var se syntax.Error
	if errors.As(err, &se) {
		line := int(se.Pos.Line)
		if strings.HasPrefix(se.Msg, "got newline") && se.Pos.Col == 1 && line > 1 {
			line-- // the scanner places the newline token on the next line
		}
		return Errors{{File: se.Pos.Filename(), Line: line, Msg: "syntax error: " + se.Msg}}
	}
	if os.IsNotExist(err) {
		return Errors{{File: rel, Msg: "cannot read component file: " + err.Error()}}
	}
	e := &Error{File: rel, Msg: starlib.Message(err), Detail: starlib.Backtrace(err), Hint: starlib.HintOf(err)}
	if f, l := starlib.Where(err); f != "" {
		e.File, e.Line = f, l
	}
	return Errors{e}
}

// register records the component definitions bound in file rel; two with
// the same name anywhere in the project are an error naming both.
func (p *Project) register(rel string, globals starlark.StringDict) {
	for _, name := range globals.Keys() {
		d, ok := globals[name].(*starlib.Def)
		if !ok || d.File() != rel || d.Name() != name {
			continue
		}
		key := d.Key()
		if other := p.Defs[key]; other != nil && other != d {
			p.errs = append(p.errs, &Error{File: rel, Line: int(d.Pos().Line),
				Msg:  fmt.Sprintf("component %s is defined twice: here and at %s:%d", name, other.File(), other.Pos().Line),
				Hint: "component names are case-insensitive and must be unique in the project; rename one"})
			continue
		}
		p.Defs[key] = d
	}
}

// Failed reports whether some component file did not load.
func (p *Project) Failed() bool { return len(p.errs) > 0 }

// DefNames returns the defined component names, sorted.
func (p *Project) DefNames() []string { return sortedKeys(p.Defs) }

// Closure adds file and every file it loads, directly or not, to into.
func (p *Project) Closure(file string, into map[string]string) {
	if _, done := into[file]; done {
		return
	}
	into[file] = p.Sources[file]
	for _, d := range p.loader.Deps(file) {
		p.Closure(d, into)
	}
}

// Limits of the files a plan carries for self.template on the host.
const (
	assetMaxFile  = 256 << 10
	assetMaxTotal = 4 << 20
)

// AddAssets adds the text files below the project-relative directory dir
// (not .star files, none over 256 KiB, at most 4 MiB in all) to assets.
func (p *Project) AddAssets(dir string, assets map[string]string) {
	total := 0
	for _, v := range assets {
		total += len(v)
	}
	root := filepath.Join(p.Dir, filepath.FromSlash(dir))
	p.Session.Inputs.Observe(starlib.ObserveTree, root)
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() || strings.HasSuffix(path, ".star") {
			return nil
		}
		rel, err := filepath.Rel(p.Dir, path)
		if err != nil {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if _, done := assets[rel]; done {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > assetMaxFile || total+int(info.Size()) > assetMaxTotal {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil || !utf8.Valid(data) {
			return nil
		}
		assets[rel] = string(data)
		total += len(data)
		return nil
	})
}
