package starlib

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batou-go/batou/components"
)

// Every kind of observation holds while nothing changes and fails when
// what it covers changes.
func TestInputsObservationsHold(t *testing.T) {
	dir := t.TempDir()
	put := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("a.txt", "a")
	put("tree/x", "x")
	put("big", strings.Repeat("b", components.InlineMax+1))
	if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	// record makes each kind of observation of the files as they are now.
	record := func() *Inputs {
		in := &Inputs{}
		s := &Session{Inputs: in}
		data, err := os.ReadFile(filepath.Join(dir, "a.txt"))
		in.File(filepath.Join(dir, "a.txt"), data, err)
		_, err = os.ReadFile(filepath.Join(dir, "missing"))
		in.File(filepath.Join(dir, "missing"), nil, err)
		s.resolve(filepath.Join(dir, "link"))
		entries, err := s.readTree(filepath.Join(dir, "tree"), "tree")
		in.Tree(filepath.Join(dir, "tree"), entries, err)
		b, err := s.largeFile(filepath.Join(dir, "big"), "big")
		in.Large(filepath.Join(dir, "big"), b, err)
		return in
	}
	holds := func(in *Inputs) map[string]bool {
		out := map[string]bool{}
		for _, o := range in.List() {
			out[o.Kind+" "+filepath.Base(o.Path)] = o.Holds()
		}
		return out
	}
	in := record()
	if got := len(in.List()); got != 5 {
		t.Fatalf("%d observations, want 5", got)
	}
	for k, ok := range holds(in) {
		if !ok {
			t.Errorf("%s does not hold with nothing changed", k)
		}
	}
	changes := []struct {
		what  string
		fails string
		do    func()
	}{
		{"a file's content", "file a.txt", func() { put("a.txt", "A") }},
		{"a missing file appears", "file missing", func() { put("missing", "") }},
		{"a symlink's target", "resolve link", func() {
			_ = os.Remove(filepath.Join(dir, "link"))
			_ = os.Symlink("missing", filepath.Join(dir, "link"))
		}},
		{"a file in a tree", "tree tree", func() { put("tree/y", "y") }},
		{"a mode in a tree", "tree tree", func() { _ = os.Chmod(filepath.Join(dir, "tree/x"), 0o600) }},
		{"a large file, same size", "large big", func() { put("big", strings.Repeat("c", components.InlineMax+1)) }},
	}
	for _, c := range changes {
		in := record()
		c.do()
		if holds(in)[c.fails] {
			t.Errorf("%s changed, but %s still holds", c.what, c.fails)
		}
	}
	if in.Reusable() != "" {
		t.Fatalf("reusable: %q", in.Reusable())
	}
	in.NotReusable("asked DNS")
	in.NotReusable("something else")
	if got := in.Reusable(); got != "asked DNS" {
		t.Errorf("reusable says %q, want the first reason", got)
	}
}
