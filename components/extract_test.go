package components

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tarEntry is one entry of a test archive.
type tarEntry struct {
	name, body, link string
	typ              byte // tar type flag
	mode             int64
}

func file(name, body string) tarEntry {
	return tarEntry{name: name, body: body, typ: tar.TypeReg, mode: 0o644}
}
func dir(name string) tarEntry { return tarEntry{name: name, typ: tar.TypeDir, mode: 0o755} }
func symlink(name, to string) tarEntry {
	return tarEntry{name: name, link: to, typ: tar.TypeSymlink, mode: 0o777}
}

var archiveTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func tarBytes(t *testing.T, entries []tarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.body)), ModTime: archiveTime}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeArchive writes entries as an archive of the format its name ends
// in; tar.bz2 and tar.xz are compressed by the bzip2 and xz programs.
func writeArchive(t *testing.T, path string, entries []tarEntry) {
	t.Helper()
	var data []byte
	switch {
	case strings.HasSuffix(path, ".zip"):
		data = zipBytes(t, entries)
	case strings.HasSuffix(path, ".tar.gz"):
		var buf bytes.Buffer
		z := gzip.NewWriter(&buf)
		z.Write(tarBytes(t, entries))
		z.Close()
		data = buf.Bytes()
	case strings.HasSuffix(path, ".tar.bz2"), strings.HasSuffix(path, ".tar.xz"):
		prog := map[bool]string{true: "bzip2", false: "xz"}[strings.HasSuffix(path, ".bz2")]
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("building a %s archive needs the %s program", filepath.Ext(path), prog)
		}
		cmd := exec.Command(prog, "-c")
		cmd.Stdin = bytes.NewReader(tarBytes(t, entries))
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		data = out
	default:
		data = tarBytes(t, entries)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func zipBytes(t *testing.T, entries []tarEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: archiveTime}
		switch e.typ {
		case tar.TypeDir:
			h.Name = strings.TrimSuffix(e.name, "/") + "/"
			h.SetMode(os.ModeDir | 0o755)
		case tar.TypeSymlink:
			h.SetMode(os.ModeSymlink | 0o777)
		default:
			h.SetMode(os.FileMode(e.mode))
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		body := e.body
		if e.typ == tar.TypeSymlink {
			body = e.link
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func releaseEntries() []tarEntry {
	run := file("app-1.0/bin/run", "#!/bin/sh\necho run\n")
	run.mode = 0o755
	return []tarEntry{dir("app-1.0/"), dir("app-1.0/bin/"), run, file("app-1.0/README", "read me\n"),
		symlink("app-1.0/current", "bin/run"), {name: "app-1.0/README.link", link: "app-1.0/README", typ: tar.TypeLink}}
}

func TestExtractFormats(t *testing.T) {
	for _, name := range []string{"app.tar.gz", "app.tar.bz2", "app.tar.xz", "app.tar", "app.zip"} {
		t.Run(name, func(t *testing.T) {
			p := newProject(t)
			entries := releaseEntries()
			if name == "app.zip" {
				entries = entries[:5] // zip has no hard links
			}
			writeArchive(t, p.work(name), entries)
			n := p.mustExpand("Extract", Attrs{"archive": name, "strip": int64(1)})
			if got := n.attrs.str("target"); got != p.work("app") {
				t.Fatalf("target %s", got)
			}
			if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 {
				t.Fatalf("first deploy changed %v", got)
			}
			if got := readFile(t, p.work("app/bin/run")); got != "#!/bin/sh\necho run\n" {
				t.Fatalf("bin/run holds %q", got)
			}
			if info, _ := os.Stat(p.work("app/bin/run")); info.Mode().Perm() != 0o755 || !info.ModTime().Equal(archiveTime) {
				t.Fatalf("bin/run: mode %v, time %v", info.Mode(), info.ModTime())
			}
			if link, _ := os.Readlink(p.work("app/current")); link != "bin/run" {
				t.Fatalf("current -> %q", link)
			}
			if got := mustDeploy(t, p.ctx(false), n); len(got) != 0 {
				t.Fatalf("second deploy changed %v", got)
			}
			// Drift: an edited file and a removed one are put back.
			writeFile(t, p.work("app/README"), "edited\n", 0o644)
			os.Remove(p.work("app/bin/run"))
			res, err := n.kind.Verify(p.ctx(true), n.attrs)
			if err != nil || !strings.HasSuffix(res.Reason, "entries changed or missing") ||
				!strings.Contains(res.Diff, "~ bin/run\n") || !strings.Contains(res.Diff, "~ README\n") {
				t.Fatalf("drift: %+v %v", res, err)
			}
			mustDeploy(t, p.ctx(false), n)
			if got := readFile(t, p.work("app/README")); got != "read me\n" {
				t.Fatalf("README holds %q", got)
			}
		})
	}
}

// A new archive replaces the old one's files; files only the old one had
// are removed, files nobody extracted stay.
func TestExtractNewVersion(t *testing.T) {
	p := newProject(t)
	writeArchive(t, p.work("r.tar.gz"), []tarEntry{file("old.txt", "old"), file("both.txt", "v1"), dir("gone/"), file("gone/x", "x")})
	n := p.mustExpand("Extract", Attrs{"archive": "r.tar.gz", "target": "out"})
	mustDeploy(t, p.ctx(false), n)
	writeFile(t, p.work("out/local.txt"), "mine", 0o644)
	time.Sleep(10 * time.Millisecond) // a new mtime for the archive
	writeArchive(t, p.work("r.tar.gz"), []tarEntry{file("both.txt", "v2"), file("new.txt", "new")})
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 {
		t.Fatalf("new archive: changed %v", got)
	}
	for name, want := range map[string]string{"both.txt": "v2", "new.txt": "new", "local.txt": "mine"} {
		if got := readFile(t, p.work("out/"+name)); got != want {
			t.Errorf("%s holds %q", name, got)
		}
	}
	for _, gone := range []string{"old.txt", "gone"} {
		if _, err := os.Lstat(p.work("out/" + gone)); !os.IsNotExist(err) {
			t.Errorf("%s is still there", gone)
		}
	}
}

// Malicious archives fail before anything is written, inside the target
// or outside it.
func TestExtractRefusesEscapes(t *testing.T) {
	cases := map[string]struct {
		entries []tarEntry
		msg     string
	}{
		"dotdot":       {[]tarEntry{file("ok.txt", "x"), file("../evil", "x")}, `entry "../evil": .. in a path is refused`},
		"deep dotdot":  {[]tarEntry{file("a/../../evil", "x")}, ".. in a path is refused"},
		"absolute":     {[]tarEntry{file("/tmp/evil", "x")}, "absolute paths are refused"},
		"abs symlink":  {[]tarEntry{symlink("etc", "/etc")}, "the symlink points to the absolute path /etc"},
		"up symlink":   {[]tarEntry{dir("a/"), symlink("a/up", "../../x")}, "the symlink points outside the target (../../x)"},
		"through link": {[]tarEntry{symlink("l", "."), file("l/x", "x")}, "it lies below the symlink l"},
		"hard link":    {[]tarEntry{{name: "h", link: "../../etc/passwd", typ: tar.TypeLink}}, "the hard link points to ../../etc/passwd"},
	}
	for name, tc := range cases {
		for _, ext := range []string{".tar.gz", ".zip"} {
			if tc.entries[len(tc.entries)-1].typ == tar.TypeLink && ext == ".zip" {
				continue
			}
			t.Run(name+ext, func(t *testing.T) {
				p := newProject(t)
				writeArchive(t, p.work("bad"+ext), tc.entries)
				n := p.mustExpand("Extract", Attrs{"archive": "bad" + ext, "target": "sub/out"})
				_, err := deploy(p.ctx(false), n)
				wantErr(t, err, tc.msg, "nothing was extracted")
				entries, _ := os.ReadDir(p.workdir)
				if len(entries) != 1 || entries[0].Name() != "bad"+ext {
					t.Fatalf("written: %v", entries)
				}
			})
		}
	}
}

// A symlink someone placed in the target is not written through.
func TestExtractDoesNotFollowPlantedSymlink(t *testing.T) {
	p := newProject(t)
	outside := t.TempDir()
	writeArchive(t, p.work("r.tar"), []tarEntry{dir("conf/"), file("conf/x", "x")})
	if err := os.MkdirAll(p.work("out"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, outside, p.work("out/conf"))
	n := p.mustExpand("Extract", Attrs{"archive": "r.tar", "target": "out"})
	_, err := deploy(p.ctx(false), n)
	wantErr(t, err, "is a symlink; refusing to write through it")
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written outside: %v", entries)
	}
}

func TestExtractErrors(t *testing.T) {
	p := newProject(t)
	for attrs, msg := range map[[2]string]string{
		{"app.rar", ""}:        "cannot tell the format of app.rar from its name; hint: set format=",
		{"app.bin", "tar.lz"}:  `format "tar.lz" is not supported`,
		{"app.bin", "tar.gz"}:  "target= is needed: app.bin has no archive ending to remove",
		{"app.tar.gz", "zip7"}: `format "zip7" is not supported`,
	} {
		_, err := p.expand("Extract", Attrs{"archive": attrs[0], "format": attrs[1]})
		wantErr(t, err, msg)
	}
	_, err := p.expand("Extract", Attrs{"archive": "a.zip", "strip": int64(-1)})
	wantErr(t, err, "strip must be 0 or more, not -1")

	n := p.mustExpand("Extract", Attrs{"archive": "missing.tar.gz"})
	if got := mustDeploy(t, p.ctx(true), n); len(got) != 1 {
		t.Fatalf("predict with a missing archive: %v", got)
	}
	_, err = deploy(p.ctx(false), n)
	wantErr(t, err, "archive "+p.work("missing.tar.gz"))
	writeFile(t, p.work("broken.tar.gz"), "this is not a gzip stream at all", 0o644)
	n = p.mustExpand("Extract", Attrs{"archive": "broken.tar.gz"})
	_, err = deploy(p.ctx(false), n)
	wantErr(t, err, "archive "+p.work("broken.tar.gz")+": gzip: invalid header")
}
