package starlib

import (
	"fmt"
	"github.com/batou-go/batou/components"
	"os"
	"path"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// resolveHostPath expands ~ to home and joins relative paths to dir.
func resolveHostPath(dir, home, p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		return path.Join(home, strings.TrimPrefix(p, "~"))
	}
	if path.IsAbs(p) || dir == "" {
		return p
	}
	return path.Join(dir, p)
}

// hostFn wraps a host-only function of the fs and path modules.
func hostFn(module, name string, fn func(*starlark.Thread, string, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)) *starlark.Builtin {
	full := module + "." + name
	return starlark.NewBuiltin(full, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := needPhase(thread, full, PhaseHost); err != nil {
			return nil, err
		}
		return fn(thread, full, args, kwargs)
	})
}

// onePath unpacks a single path argument and resolves it on the host.
func onePath(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (string, error) {
	var p string
	if err := starlark.UnpackPositionalArgs(name, args, kwargs, 1, &p); err != nil {
		return "", err
	}
	return hostResolve(thread, p), nil
}

// hostAtomic is how fs.write writes files: through the session's writer,
// which the agent makes record its temporary files.
func hostAtomic(thread *starlark.Thread) components.Atomic {
	if s := SessionOf(thread); s != nil {
		return s.Atomic
	}
	return components.Atomic{}
}

func hostResolve(thread *starlark.Thread, p string) string {
	home := ""
	if s := SessionOf(thread); s != nil && s.Host != nil {
		home = s.Host.Home()
	}
	wd, _ := thread.Local(workdirKey).(string)
	if wd == "" {
		wd, _ = os.Getwd()
	}
	return resolveHostPath(wd, home, p)
}

const workdirKey = "batou.workdir"

// SetWorkdir makes dir the directory that the relative paths of thread
// t's fs and path functions are relative to: the workdir of the root the
// agent deploys (the process's own directory is not changed, so agents
// can share a process).
func SetWorkdir(t *starlark.Thread, dir string) { t.SetLocal(workdirKey, dir) }

func statFn(test func(os.FileInfo) bool) func(*starlark.Thread, string, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		p, err := onePath(thread, name, args, kwargs)
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(p)
		return starlark.Bool(err == nil && test(info)), nil
	}
}

func fsRead(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := onePath(thread, name, args, kwargs)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return starlark.String(data), nil
}

func fsWrite(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var p string
	var data starlark.Value
	if err := starlark.UnpackPositionalArgs(name, args, kwargs, 2, &p, &data); err != nil {
		return nil, err
	}
	text, ok := starlark.AsString(data)
	if !ok {
		return nil, fmt.Errorf("%s: data must be str or bytes, not %s", name, data.Type())
	}
	full := hostResolve(thread, p)
	perm := os.FileMode(0o644)
	if info, err := os.Stat(full); err == nil {
		perm = info.Mode().Perm()
	}
	if err := hostAtomic(thread).WriteFile(full, []byte(text), perm); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return starlark.None, nil
}

func fsRemove(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var p string
	recursive := false
	if err := starlark.UnpackArgs(name, args, kwargs, "path", &p, "recursive?", &recursive); err != nil {
		return nil, err
	}
	full := hostResolve(thread, p)
	var err error
	if recursive {
		err = os.RemoveAll(full)
	} else if err = os.Remove(full); os.IsNotExist(err) {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return starlark.None, nil
}

func fsMtime(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := onePath(thread, name, args, kwargs)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(p)
	if err != nil {
		return starlark.None, nil
	}
	return starlark.Float(float64(info.ModTime().UnixNano()) / 1e9), nil
}

func fsListdir(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := onePath(thread, name, args, kwargs)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	sort.Strings(names)
	return stringList(names), nil
}

func stringList(names []string) *starlark.List {
	items := make([]starlark.Value, len(names))
	for i, n := range names {
		items[i] = starlark.String(n)
	}
	return starlark.NewList(items)
}

func fsMakedirs(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := onePath(thread, name, args, kwargs)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return starlark.None, nil
}

func pathJoin(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	parts := make([]string, len(args))
	for i, a := range args {
		s, ok := starlark.AsString(a)
		if !ok {
			return nil, fmt.Errorf("%s: arguments must be strings, not %s", name, a.Type())
		}
		parts[i] = s
	}
	// Like Python: an absolute component discards what came before.
	for i := len(parts) - 1; i > 0; i-- {
		if path.IsAbs(parts[i]) {
			parts = parts[i:]
			break
		}
	}
	return starlark.String(path.Join(parts...)), nil
}

func pathOne(fn func(string) string) func(*starlark.Thread, string, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var p string
		if err := starlark.UnpackPositionalArgs(name, args, kwargs, 1, &p); err != nil {
			return nil, err
		}
		return starlark.String(fn(p)), nil
	}
}

func pathAbspath(thread *starlark.Thread, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := onePath(thread, name, args, kwargs)
	if err != nil {
		return nil, err
	}
	return starlark.String(path.Clean(p)), nil
}

func pyDirname(p string) string {
	i := strings.LastIndex(p, "/")
	if i < 0 {
		return ""
	}
	if i == 0 {
		return "/"
	}
	return strings.TrimRight(p[:i], "/")
}

func pyBasename(p string) string { return p[strings.LastIndex(p, "/")+1:] }

// fsModule and pathModule are the predeclared fs and path modules.
func fsModule() *starlarkstruct.Module {
	isdir := func(i os.FileInfo) bool { return i.IsDir() }
	isfile := func(i os.FileInfo) bool { return i.Mode().IsRegular() }
	return module("fs", map[string]func(*starlark.Thread, string, starlark.Tuple, []starlark.Tuple) (starlark.Value, error){
		"exists": statFn(func(os.FileInfo) bool { return true }), "isdir": statFn(isdir),
		"isfile": statFn(isfile), "read": fsRead, "write": fsWrite, "remove": fsRemove,
		"mtime": fsMtime, "listdir": fsListdir, "makedirs": fsMakedirs,
	})
}

func pathModule() *starlarkstruct.Module {
	return module("path", map[string]func(*starlark.Thread, string, starlark.Tuple, []starlark.Tuple) (starlark.Value, error){
		"join": pathJoin, "basename": pathOne(pyBasename), "dirname": pathOne(pyDirname), "abspath": pathAbspath,
	})
}

func module(name string, fns map[string]func(*starlark.Thread, string, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)) *starlarkstruct.Module {
	m := &starlarkstruct.Module{Name: name, Members: starlark.StringDict{}}
	for n, fn := range fns {
		m.Members[n] = hostFn(name, n, fn)
	}
	return m
}
