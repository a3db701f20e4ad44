package environments

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// layouts are the two places an environment file may be.
var layouts = []struct{ name, path string }{
	{"dir", "environments/dev/environment.cfg"},
	{"file", "environments/dev.cfg"},
}

// project writes files (path -> content) into a new temporary project.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// load loads environment name and fails on errors other than Errors.
func load(t *testing.T, dir, name string) (*Environment, Errors) {
	t.Helper()
	env, err := Load(dir, name)
	if err == nil {
		return env, nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load: %v", err)
	}
	if env == nil {
		t.Fatal("Load returned Errors without an Environment")
	}
	return env, errs
}

// eachLayout runs fn with the environment dev written in both layouts.
func eachLayout(t *testing.T, content string, fn func(t *testing.T, env *Environment, errs Errors, file string)) {
	t.Helper()
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			env, errs := load(t, project(t, map[string]string{l.path: content}), "dev")
			fn(t, env, errs, l.path)
		})
	}
}

// rendered returns "line: msg" for each error, without the file.
func rendered(es []*Error) []string {
	var out []string
	for _, e := range es {
		out = append(out, strings.TrimPrefix(e.Error(), e.Pos.File+":"))
	}
	return out
}

// firstLines returns the first line of each rendered error.
func firstLines(es []*Error) []string {
	var out []string
	for _, s := range rendered(es) {
		out = append(out, strings.SplitN(s, "\n", 2)[0])
	}
	return out
}

// minimal is a valid environment body with one host.
const minimal = "[hosts]\nweb1 = app\n"
