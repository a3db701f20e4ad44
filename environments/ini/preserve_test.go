package ini

import (
	"slices"
	"strings"
	"testing"
)

// lines returns the physical lines of f, with their endings.
func (f *File) lines() []string {
	var out []string
	f.walk(func(l line) { out = append(out, l.text+l.eol) })
	return out
}

// changedBlock returns the part of before and of after between their
// common first and last lines: what an edit replaced.
func changedBlock(before, after []string) (old, new []string) {
	p := 0
	for p < len(before) && p < len(after) && before[p] == after[p] {
		p++
	}
	s := 0
	for s < len(before)-p && s < len(after)-p && before[len(before)-1-s] == after[len(after)-1-s] {
		s++
	}
	return before[p : len(before)-s], after[p : len(after)-s]
}

// values returns section/key -> value of every key of f.
func values(f *File) map[string]string {
	out := map[string]string{}
	for _, s := range f.Sections() {
		for _, k := range s.Keys() {
			out[s.Name+"\x00"+k.Name] = k.Value
		}
	}
	return out
}

// FuzzEditPreservesTheRest edits one key the way batou secrets edits the
// members (Set, and Delete), and checks that every other line of the
// file, comments and spacing included, stays as it was, and every other
// key keeps its value.
func FuzzEditPreservesTheRest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "members", "age1abc,\nssh-ed25519 AAAA bob", false)
		f.Add([]byte(s), "k", "v", true)
	}
	f.Add([]byte("[batou]\n# who\nmembers = a,\n  b ; c\n\n[component:app]\npassword = x\n"), "members", "a", false)
	f.Fuzz(func(t *testing.T, data []byte, key, value string, del bool) {
		file, err := Parse("f.cfg", data)
		if err != nil || len(file.Sections()) == 0 {
			return
		}
		sec := file.Sections()[0]
		var oldLines []string
		if k := sec.Key(key); k != nil {
			for _, l := range k.lines {
				oldLines = append(oldLines, l.text+l.eol)
			}
		}
		before, beforeValues := file.lines(), values(file)
		if del {
			err = sec.Delete(key)
		} else {
			err = sec.Set(key, value)
		}
		if err != nil {
			if !slices.Equal(file.lines(), before) {
				t.Fatalf("a failed edit changed the file: %v", err)
			}
			return
		}
		checkOnlyKeyChanged(t, file, before, oldLines, sec.Name, key, beforeValues)
	})
}

// checkOnlyKeyChanged checks that the edit replaced exactly the key's
// old lines (nothing when it is new) and that the other keys read back
// with their old values.
func checkOnlyKeyChanged(t *testing.T, file *File, before, oldLines []string, section, key string, beforeValues map[string]string) {
	t.Helper()
	removed, _ := changedBlock(before, file.lines())
	if !isSubBlock(removed, oldLines) {
		t.Fatalf("the edit of %s changed other lines: %q (the key had %q)", key, removed, oldLines)
	}
	g, err := Parse("f.cfg", file.Bytes())
	if err != nil {
		t.Fatalf("the edited file does not parse: %v", err)
	}
	after := values(g)
	for k, v := range beforeValues {
		if k == section+"\x00"+key {
			continue
		}
		if after[k] != v {
			t.Fatalf("%q changed from %q to %q", strings.ReplaceAll(k, "\x00", "."), v, after[k])
		}
	}
}

// isSubBlock reports whether block is a run of consecutive lines of
// lines (an empty block always is).
func isSubBlock(block, lines []string) bool {
	if len(block) == 0 {
		return true
	}
	for i := 0; i+len(block) <= len(lines); i++ {
		if slices.Equal(lines[i:i+len(block)], block) {
			return true
		}
	}
	return false
}
