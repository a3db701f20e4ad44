package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/reference/ from the code")

// TestReferenceDocs fails when a page of docs/reference/ differs from what
// the code documents (the kinds' attributes, the commands' flags): the
// reference cannot drift from the code. -update-docs rewrites the pages.
func TestReferenceDocs(t *testing.T) {
	for name, want := range referencePages() {
		path := filepath.Join("docs", "reference", name)
		if *updateDocs {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := writeFileAtomic(path, []byte(want)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v; hint: go test -run TestReferenceDocs -update-docs . writes it", err)
		}
		if string(got) != want {
			t.Errorf("%s differs from what the code documents; hint: regenerate it with go test -run TestReferenceDocs -update-docs .\n%s",
				path, firstDifference(string(got), want))
		}
	}
}

// firstDifference shows the first line where the file and the code differ.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  file: %s\n  code: %s", i+1, gl, wl)
		}
	}
	return ""
}
