package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"

	"github.com/batou-go/batou/starlib"
)

// newSession returns the Starlark session for the project at dir.
func newSession(dir string) *starlib.Session {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return starlib.NewSession(abs, templates())
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func jsonString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it into place.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
