package components

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContentVerifyDiffs(t *testing.T) {
	tests := []struct {
		name       string
		old        *string // nil: the file is missing
		content    any
		reason     string
		diff       string // with PATH for the file's path
		sensitive  bool
		attrsExtra Attrs
	}{
		{name: "new file", content: "a\nb\n", reason: "file missing",
			diff: "--- PATH\n+++ PATH\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{name: "changed", old: ptr("a\nb\nc\n"), content: "a\nB\nc\n", reason: "content differs",
			diff: "--- PATH\n+++ PATH\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{name: "no trailing newline", old: ptr("a\nb\n"), content: "a\nb", reason: "content differs",
			diff: "--- PATH\n+++ PATH\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n"},
		{name: "emptied", old: ptr("x\n"), content: "", reason: "content differs",
			diff: "--- PATH\n+++ PATH\n@@ -1 +0,0 @@\n-x\n"},
		{name: "binary", old: ptr("\x00\x01"), content: []byte("\x00\x02"), reason: "binary content differs"},
		{name: "invalid utf-8", old: ptr("caf\xe9"), content: "cafe", reason: "binary content differs"},
		{name: "encoding None", old: ptr("a"), content: []byte("b"), reason: "binary content differs",
			attrsExtra: Attrs{"encoding": nil}},
		{name: "latin-1 diff", old: ptr("caf\xe9\n"), content: []byte("the\xe9\n"), reason: "content differs",
			diff: "--- PATH\n+++ PATH\n@@ -1 +1 @@\n-caf\u00e9\n+the\u00e9\n", attrsExtra: Attrs{"encoding": "latin-1"}},
		{name: "sensitive", old: ptr("secret1\n"), content: "secret2\n", reason: "content differs",
			diff: sensitiveNote, sensitive: true, attrsExtra: Attrs{"sensitive_data": true}},
		{name: "same", old: ptr("same\n"), content: "same\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t)
			path := p.work("f.txt")
			if tt.old != nil {
				writeFile(t, path, *tt.old, 0o644)
			}
			a := Attrs{"path": path, "content": tt.content, "encoding": "utf-8"}
			for k, v := range tt.attrsExtra {
				a[k] = v
			}
			res, err := contentKind().Verify(p.ctx(false), a)
			if err != nil {
				t.Fatal(err)
			}
			want := Result{NeedsUpdate: tt.reason != "", Reason: tt.reason,
				Diff: strings.ReplaceAll(tt.diff, "PATH", path), Sensitive: tt.sensitive}
			if res != want {
				t.Fatalf("verify:\n got %#v\nwant %#v", res, want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestContentLongDiffIsCut(t *testing.T) {
	p := newProject(t)
	var old, new strings.Builder
	for i := range 300 {
		old.WriteString("old line\n")
		new.WriteString("new line\n")
		_ = i
	}
	writeFile(t, p.work("long"), old.String(), 0o644)
	res, err := contentKind().Verify(p.ctx(false), Attrs{"path": p.work("long"), "content": new.String(), "encoding": "utf-8"})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(res.Diff, "\n"), "\n")
	if len(lines) != 101 || !strings.Contains(res.Diff, "[... 503 lines not shown ...]") {
		t.Fatalf("cut diff has %d lines:\n%s", len(lines), res.Diff)
	}
}

func TestContentPredictMissingParent(t *testing.T) {
	p := newProject(t)
	writeFile(t, p.work("file"), "", 0o644)
	for _, path := range []string{p.work("no/such/dir/f"), p.work("file/f")} {
		a := Attrs{"path": path, "content": "x", "encoding": "utf-8"}
		res, err := contentKind().Verify(p.ctx(true), a)
		if err != nil || !res.NeedsUpdate || res.Reason != "file missing" {
			t.Fatalf("predict %s: %+v, %v", path, res, err)
		}
	}
}

func TestContentUpdateErrors(t *testing.T) {
	p := newProject(t)
	path := p.work("no/parent/f")
	err := contentKind().Update(p.ctx(false), Attrs{"path": path, "content": "x"})
	wantErr(t, err, "writing "+path)
	dir := p.work("adir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = contentKind().Verify(p.ctx(false), Attrs{"path": dir, "content": "x"})
	wantErr(t, err, "checking content of "+dir, "is a directory")
}

func TestContentKeepsModeAndFollowsLink(t *testing.T) {
	p := newProject(t)
	real := p.work("real.conf")
	writeFile(t, real, "old", 0o640)
	link := p.work("link.conf")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	n := p.mustExpand("Content", Attrs{"path": "link.conf", "content": "new"})
	if got := n.label(); got != "Content('link.conf')" {
		t.Fatalf("label %s", got)
	}
	mustDeploy(t, p.ctx(false), n)
	info, err := os.Lstat(link)
	if err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", info, err)
	}
	info, _ = os.Stat(real)
	if got := readFile(t, real); got != "new" || info.Mode().Perm() != 0o640 {
		t.Fatalf("target holds %q with mode %v", got, info.Mode())
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := (Atomic{}).WriteFile(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "one", 0o600)
	if err := os.Chmod(path, 0o750|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	writeFile(t, tmpName(path), "leftover from a killed run, longer than the new content", 0o644)
	if err := (Atomic{}).WriteFile(path, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "two", 0o750|os.ModeSetuid)
	if _, err := os.Lstat(tmpName(path)); !os.IsNotExist(err) {
		t.Fatalf("temporary file left behind: %v", err)
	}
	err := (Atomic{}).WriteFile(filepath.Join(dir, "missing", "f"), nil, 0o644)
	wantErr(t, err, "creating temporary file", filepath.Join(dir, "missing", ".f.batou-tmp"))
}

func TestWriteFileAtomicKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to change owners")
	}
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, "old", 0o644)
	if err := os.Chown(path, 12345, 23456); err != nil {
		t.Fatal(err)
	}
	if err := (Atomic{}).WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	if uid, gid, _ := fileOwner(info); uid != 12345 || gid != 23456 {
		t.Fatalf("owner %d:%d after write", uid, gid)
	}
}

func wantFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != content || info.Mode() != mode {
		t.Fatalf("%s holds %q with mode %v, want %q with %v", path, got, info.Mode(), content, mode)
	}
}
