package components

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func sha256Hex(data string) string {
	s := sha256.Sum256([]byte(data))
	return hex.EncodeToString(s[:])
}

// fileServer serves files by path, with basic auth for /private/ (user
// "deploy", password "s3cret"), and counts the requests.
func fileServer(t *testing.T, files map[string]string) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if strings.HasPrefix(r.URL.Path, "/private/") {
			if u, p, ok := r.BasicAuth(); !ok || u != "deploy" || p != "s3cret" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
		}
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(data))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestDownload(t *testing.T) {
	const release = "release 1.0\n"
	srv, hits := fileServer(t, map[string]string{"/app-1.0.tar.gz": release})
	p := newProject(t)
	n := p.mustExpand("Download", Attrs{"url": srv.URL + "/app-1.0.tar.gz", "checksum": "sha256:" + sha256Hex(release)})
	if got := n.attrs.str("target"); got != p.work("app-1.0.tar.gz") {
		t.Fatalf("target %s", got)
	}
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 {
		t.Fatalf("first deploy changed %v", got)
	}
	if got := readFile(t, p.work("app-1.0.tar.gz")); got != release {
		t.Fatalf("downloaded %q", got)
	}
	if got := mustDeploy(t, p.ctx(false), n); len(got) != 0 || hits.Load() != 1 {
		t.Fatalf("second deploy changed %v after %d requests", got, hits.Load())
	}
	writeFile(t, p.work("app-1.0.tar.gz"), "corrupted", 0o644)
	res, err := n.kind.Verify(p.ctx(true), n.attrs)
	if err != nil || !strings.HasPrefix(res.Reason, "checksum differs") {
		t.Fatalf("drift not seen: %+v %v", res, err)
	}
	mustDeploy(t, p.ctx(false), n)
	os.Remove(p.work("app-1.0.tar.gz"))
	mustDeploy(t, p.ctx(false), n)
	if got := readFile(t, p.work("app-1.0.tar.gz")); got != release || hits.Load() != 3 {
		t.Fatalf("drift not repaired: %q after %d requests", got, hits.Load())
	}
}

func TestDownloadChecksumMismatchLeavesNothing(t *testing.T) {
	srv, _ := fileServer(t, map[string]string{"/x.bin": "tampered"})
	p := newProject(t)
	want := sha512.Sum512([]byte("original"))
	n := p.mustExpand("Download", Attrs{"url": srv.URL + "/x.bin", "target": "dl/x.bin",
		"checksum": "sha512:" + hex.EncodeToString(want[:])})
	if err := os.Mkdir(p.work("dl"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := deploy(p.ctx(false), n)
	wantErr(t, err, "checksum mismatch for "+srv.URL+"/x.bin: expected sha512:"+hex.EncodeToString(want[:]),
		"got sha512:", "nothing was written")
	if entries, _ := os.ReadDir(p.work("dl")); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestDownloadCredentialsMasked(t *testing.T) {
	srv, _ := fileServer(t, map[string]string{"/private/key": "k"})
	p := newProject(t)
	base := strings.Replace(srv.URL, "http://", "http://deploy:s3cret@", 1)
	n := p.mustExpand("Download", Attrs{"url": base + "/private/key", "checksum": "sha256:" + sha256Hex("k")})
	if got := n.label(); strings.Contains(got, "s3cret") || !strings.Contains(got, "deploy:***@") {
		t.Fatalf("label %s", got)
	}
	mustDeploy(t, p.ctx(false), n)
	if got := readFile(t, p.work("key")); got != "k" {
		t.Fatalf("got %q", got)
	}
	wrong := strings.Replace(srv.URL, "http://", "http://deploy:wrongpass@", 1)
	n = p.mustExpand("Download", Attrs{"url": wrong + "/private/key", "target": "k2", "checksum": "sha256:" + sha256Hex("k")})
	_, err := deploy(p.ctx(false), n)
	wantErr(t, err, "deploy:***@", "the server answered 401 Unauthorized")
	if strings.Contains(err.Error(), "wrongpass") {
		t.Fatalf("password in error: %v", err)
	}
	_, err = p.expand("Download", Attrs{"url": "http://u:pw@[::1", "checksum": "sha256:" + sha256Hex("k")})
	if err == nil || strings.Contains(err.Error(), "pw") {
		t.Fatalf("bad URL error %v", err)
	}
}

func TestDownloadFileURLAndErrors(t *testing.T) {
	p := newProject(t)
	src := filepath.Join(t.TempDir(), "local.txt")
	writeFile(t, src, "local", 0o644)
	_, err := p.expand("Download", Attrs{"url": "file://" + src, "checksum": "SHA256:" + sha256Hex("local")})
	wantErr(t, err, "checksum must look like")
	n := p.mustExpand("Download", Attrs{"url": "file://" + src, "target": "copy.txt", "checksum": "sha256:" + strings.ToUpper(sha256Hex("local"))})
	mustDeploy(t, p.ctx(false), n)
	if got := readFile(t, p.work("copy.txt")); got != "local" {
		t.Fatalf("got %q", got)
	}
	n = p.mustExpand("Download", Attrs{"url": "file://" + src, "target": "no/such/dir/copy.txt", "checksum": "sha256:" + sha256Hex("local")})
	_, err = deploy(p.ctx(false), n)
	wantErr(t, err, "downloading to "+p.work("no/such/dir/copy.txt"), "hint: a Directory(..., leading=True)")
	srv, _ := fileServer(t, nil)
	n = p.mustExpand("Download", Attrs{"url": srv.URL + "/missing.tgz", "checksum": "sha256:" + sha256Hex("")})
	_, err = deploy(p.ctx(false), n)
	wantErr(t, err, "downloading "+srv.URL+"/missing.tgz: the server answered 404 Not Found")

	for attrs, msg := range map[[2]string]string{
		{"ftp://example.org/x", "sha256:" + sha256Hex("")}:     `url: scheme "ftp" is not supported`,
		{"https://example.org/", "sha256:" + sha256Hex("")}:    "target= is needed: the URL https://example.org/ has no file name",
		{"https://example.org/x", "crc32:1234"}:                `checksum must look like "sha256:<hex>"`,
		{"https://example.org/x", "sha256:abc"}:                `checksum: "abc" is not a sha256 digest (64 hex digits)`,
		{"https://example.org/x", "md5:" + sha256Hex("")[:32]}: "",
	} {
		_, err := p.expand("Download", Attrs{"url": attrs[0], "checksum": attrs[1]})
		if msg == "" {
			if err != nil {
				t.Errorf("%v: %v", attrs, err)
			}
			continue
		}
		wantErr(t, err, msg)
	}
}
