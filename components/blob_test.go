package components

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostFetcher stands in for the controller in these tests: it serves a
// blob from where Expand found it (a file of the project, or the
// rendered text) and counts what it sent.
type hostFetcher struct {
	fetched []string
	bytes   int64
	alter   func([]byte) []byte // corrupts what is sent, when set
}

func (f *hostFetcher) Fetch(b Blob) (io.ReadCloser, error) {
	f.fetched = append(f.fetched, b.Name)
	data := []byte(b.Data)
	if b.Path != "" {
		var err error
		if data, err = os.ReadFile(b.Path); err != nil {
			return nil, err
		}
	}
	if f.alter != nil {
		data = f.alter(data)
	}
	f.bytes += int64(len(data))
	return io.NopCloser(bytes.NewReader(data)), nil
}

func blobCtx(p *testProject, f *hostFetcher) *Context {
	ctx := p.ctx(false)
	ctx.Blobs, ctx.Shared = f, NewShared()
	return ctx
}

// big is text larger than InlineMax.
func big(fill string) string { return strings.Repeat(fill+"\n", InlineMax/len(fill)+10) }

// TestLargeContentIsABlob: which content travels by digest.
func TestLargeContentIsABlob(t *testing.T) {
	p := newProject(t)
	p.asset("big.bin", big("raw bytes"))
	p.asset("big.tmpl", strings.Repeat("a line of a template, value={{ args.v }}\n", 3000))
	p.asset("small.bin", "small\n")
	for _, tc := range []struct {
		name  string
		attrs Attrs
		blob  string // "path": a Blob naming the project file, "data": one holding the content, "": inline
	}{
		{"raw source file", Attrs{"path": "a", "source": "big.bin", "is_template": false}, "path"},
		{"binary source file", Attrs{"path": "a", "source": "big.bin", "encoding": nil}, "path"},
		{"implicit source", Attrs{"path": "big.bin", "is_template": false}, "path"},
		{"rendered template", Attrs{"path": "a", "source": "big.tmpl", "template_args": map[string]any{"v": "x"}}, "data"},
		{"literal content", Attrs{"path": "a", "content": big("literal")}, "data"},
		{"small source", Attrs{"path": "a", "source": "small.bin", "is_template": false}, ""},
		{"sensitive_data", Attrs{"path": "a", "source": "big.bin", "is_template": false, "sensitive_data": true}, ""},
		{"content with a secret", Attrs{"path": "a", "content": big("SECRET")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := p.mustExpand("File", tc.attrs)
			content := n.children[len(n.children)-1].attrs["content"]
			b, isBlob := content.(Blob)
			switch {
			case tc.blob == "" && isBlob:
				t.Fatalf("want inline content, got a blob %+v", b)
			case tc.blob == "":
				return
			case !isBlob:
				t.Fatalf("want a blob, got %T", content)
			case tc.blob == "path" && (b.Path != filepath.Join(p.defdir, "big.bin") || b.Data != ""):
				t.Fatalf("want a blob naming the project file, not holding it: %+v", b)
			case tc.blob == "data" && (b.Path != "" || int64(len(b.Data)) != b.Size || b.Size <= InlineMax):
				t.Fatalf("want a blob holding the rendered content: path %q, %d bytes", b.Path, len(b.Data))
			}
		})
	}
}

// TestBlobFileDeploy: first deploy fetches, a no-op fetches nothing, a
// file changed on the host (same size) is repaired, predict fetches
// nothing, and a corrupted transfer leaves the file as it was.
func TestBlobFileDeploy(t *testing.T) {
	p := newProject(t)
	content := big("0123456789")
	p.asset("big.bin", content)
	n := p.mustExpand("File", Attrs{"path": "big.bin", "is_template": false, "mode": int64(0o600)})
	f := &hostFetcher{}
	mustDeploy(t, blobCtx(p, f), n)
	wantFile(t, p.work("big.bin"), content, 0o600)
	if len(f.fetched) != 1 || f.bytes != int64(len(content)) {
		t.Fatalf("first deploy fetched %v (%d bytes)", f.fetched, f.bytes)
	}

	f = &hostFetcher{}
	if changed := mustDeploy(t, blobCtx(p, f), n); len(changed) != 0 || len(f.fetched) != 0 {
		t.Fatalf("no-op deploy changed %v, fetched %v", changed, f.fetched)
	}

	drifted := strings.Replace(content, "5", "x", 1)
	writeFile(t, p.work("big.bin"), drifted, 0o600)
	ctx := blobCtx(p, f)
	ctx.Predict = true
	changed := mustDeploy(t, ctx, n)
	if fmt.Sprint(changed) != "[Content('big.bin')]" || len(f.fetched) != 0 {
		t.Fatalf("predict: changed %v, fetched %v", changed, f.fetched)
	}

	bad := &hostFetcher{alter: func(b []byte) []byte { return bytes.Replace(b, []byte("9"), []byte("!"), 1) }}
	if _, err := deploy(blobCtx(p, bad), n); err == nil || !strings.Contains(err.Error(), "received content does not match") {
		t.Fatalf("corrupted transfer: %v", err)
	}
	wantFile(t, p.work("big.bin"), drifted, 0o600)
	if tmps, _ := filepath.Glob(filepath.Join(p.workdir, ".*.batou-tmp")); len(tmps) > 0 {
		t.Fatalf("temporary files left: %v", tmps)
	}

	mustDeploy(t, blobCtx(p, f), n)
	wantFile(t, p.work("big.bin"), content, 0o600)
}

// TestBlobDirectory copies a project directory with a large file: it
// travels by digest, and only when it differs.
func TestBlobDirectory(t *testing.T) {
	p := newProject(t)
	content := big("directory data")
	writeFile(t, filepath.Join(p.defdir, "src", "small.txt"), "small\n", 0o644)
	writeFile(t, filepath.Join(p.defdir, "src", "sub", "big.dat"), content, 0o640)
	n := p.mustExpand("Directory", Attrs{"path": "dst", "source": "src"})
	f := &hostFetcher{}
	mustDeploy(t, blobCtx(p, f), n)
	wantFile(t, p.work("dst/sub/big.dat"), content, 0o640)
	wantFile(t, p.work("dst/small.txt"), "small\n", 0o644)
	if fmt.Sprint(f.fetched) != "[big.dat]" {
		t.Fatalf("fetched %v", f.fetched)
	}
	f = &hostFetcher{}
	if changed := mustDeploy(t, blobCtx(p, f), n); len(changed) != 0 || len(f.fetched) != 0 {
		t.Fatalf("no-op deploy changed %v, fetched %v", changed, f.fetched)
	}
	writeFile(t, p.work("dst/sub/big.dat"), strings.ToUpper(content), 0o640)
	res, err := n.kind.Verify(blobCtx(p, f), n.attrs)
	if err != nil || res.Diff != "~ sub/big.dat\n" {
		t.Fatalf("verify after drift: %v, %q", err, res.Diff)
	}
	mustDeploy(t, blobCtx(p, f), n)
	wantFile(t, p.work("dst/sub/big.dat"), content, 0o640)
	if len(f.fetched) != 1 {
		t.Fatalf("repair fetched %v", f.fetched)
	}
}

// TestBlobStructured: a large JSONContent travels by digest too.
func TestBlobStructured(t *testing.T) {
	p := newProject(t)
	items := make([]any, 0, 20000)
	for i := range 20000 {
		items = append(items, fmt.Sprintf("item %d", i))
	}
	n := p.mustExpand("JSONContent", Attrs{"path": "data.json", "data": map[string]any{"items": items}})
	if _, ok := n.attrs["content"].(Blob); !ok {
		t.Fatalf("content is %T, want a blob", n.attrs["content"])
	}
	f := &hostFetcher{}
	mustDeploy(t, blobCtx(p, f), n)
	if got := readFile(t, p.work("data.json")); !strings.HasPrefix(got, "{\n    \"items\": [\n        \"item 0\",") {
		t.Fatalf("data.json starts %q", got[:40])
	}
	if changed := mustDeploy(t, blobCtx(p, f), n); len(changed) != 0 || len(f.fetched) != 1 {
		t.Fatalf("second deploy changed %v; fetched %v in all", changed, f.fetched)
	}
}

// TestBlobWithoutController: a blob cannot be written without a
// controller to fetch it from, and the error says so.
func TestBlobWithoutController(t *testing.T) {
	p := newProject(t)
	p.asset("big.bin", big("x"))
	n := p.mustExpand("File", Attrs{"path": "big.bin", "is_template": false})
	_, err := deploy(p.ctx(false), n)
	wantErr(t, err, "big.bin", "no controller to fetch its content")
}
