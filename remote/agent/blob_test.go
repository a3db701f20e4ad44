package agent

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batou-go/batou/runtime/plan"
)

// blobPlan returns a plan with one root whose Content writes content,
// which travels as a blob.
func blobPlan(target string, content []byte) *plan.Plan {
	sum := sha256.Sum256(content)
	p := contentPlan(target, map[string][]byte{"big": nil})
	n := p.Roots[0].Node.Children[0]
	n.Attrs["content"] = plan.Blob{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))}
	return p
}

// blobAgent is an agent process driven by the test as its controller.
type blobAgent struct {
	t   *testing.T
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startBlobAgent(t *testing.T, p *plan.Plan) *blobAgent {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BATOU_TEST_AGENT=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	a := &blobAgent{t: t, cmd: cmd, in: in, out: bufio.NewScanner(out)}
	a.send(plan.Request{Type: "plan", Plan: p}, nil)
	a.send(plan.Request{Type: "run", Root: "files", Mode: "deploy"}, nil)
	return a
}

// send writes a request and the raw bytes that follow it.
func (a *blobAgent) send(req plan.Request, data []byte) {
	a.t.Helper()
	line, err := plan.AppendRequest(nil, req)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.in.Write(append(line, data...)); err != nil {
		a.t.Fatalf("sending to the agent: %v", err)
	}
}

// next returns the next event of a type the test looks at (blob,
// component, error, root-finish).
func (a *blobAgent) next() plan.Event {
	a.t.Helper()
	for a.out.Scan() {
		var e plan.Event
		if err := json.Unmarshal(a.out.Bytes(), &e); err != nil {
			a.t.Fatalf("bad event %s: %v", a.out.Bytes(), err)
		}
		switch e.Type {
		case plan.EventBlob, plan.EventComponent, plan.EventError, plan.EventRootFinish:
			return e
		}
	}
	a.t.Fatal("the agent's output ended")
	return plan.Event{}
}

// chunks sends data as blob chunks of size n for transfer id, the last
// one ending the transfer.
func (a *blobAgent) chunks(id int, data []byte, n int) {
	for len(data) > 0 {
		k := min(n, len(data))
		a.send(plan.Request{Type: "blob", Blob: &plan.BlobChunk{Transfer: id, Size: k}}, data[:k])
		data = data[k:]
	}
	a.send(plan.Request{Type: "blob", Blob: &plan.BlobChunk{Transfer: id, End: true}}, nil)
}

// finish waits for the root to finish and returns its event.
func (a *blobAgent) finish() plan.Event {
	a.t.Helper()
	for {
		if e := a.next(); e.Type == plan.EventRootFinish {
			return e
		}
	}
}

// TestBlobSentOnlyWhenTheHostLacksIt deploys content held by digest: the
// agent asks for it when the file is missing or differs (also at the same
// size), receives it in chunks and writes it; when the file is right it
// asks for nothing.
func TestBlobSentOnlyWhenTheHostLacksIt(t *testing.T) {
	target := t.TempDir()
	content := bytes.Repeat([]byte("0123456789abcdef"), 200<<10) // 3.2 MB
	path := filepath.Join(target, "big")
	for _, tc := range []struct {
		name   string
		before []byte // nil: missing
	}{{"missing", nil}, {"same size, other bytes", bytes.ToUpper(content)}, {"shorter", content[:100]}} {
		t.Run(tc.name, func(t *testing.T) {
			_ = os.Remove(path)
			if tc.before != nil {
				if err := os.WriteFile(path, tc.before, 0o640); err != nil {
					t.Fatal(err)
				}
			}
			a := startBlobAgent(t, blobPlan(target, content))
			e := a.next()
			for e.Type == plan.EventComponent {
				e = a.next()
			}
			sum := sha256.Sum256(content)
			if e.Type != plan.EventBlob || e.Digest != hex.EncodeToString(sum[:]) || e.Bytes != int64(len(content)) {
				t.Fatalf("want a blob request for the content, got %+v", e)
			}
			a.chunks(e.Transfer, content, 1<<20)
			if f := a.finish(); f.Status != "ok" {
				t.Fatalf("root-finish %+v", f)
			}
			checkAll(t, target, map[string][]byte{"big": content})
			if info, _ := os.Stat(path); tc.before != nil && info.Mode().Perm() != 0o640 {
				t.Errorf("mode %v, want the file's 0640 kept", info.Mode().Perm())
			}
		})
	}
	t.Run("up to date", func(t *testing.T) {
		a := startBlobAgent(t, blobPlan(target, content))
		if e := a.next(); e.Type != plan.EventRootFinish || e.Status != "ok" || *e.Changed {
			t.Fatalf("want an unchanged root and no blob request, got %+v", e)
		}
	})
}

// TestBrokenTransferKeepsTheOldFile cuts a transfer off in several ways;
// each time the old file stays as it was, no temporary file is left, and
// the error says what happened.
func TestBrokenTransferKeepsTheOldFile(t *testing.T) {
	content := bytes.Repeat([]byte("new content "), 300<<10)
	old := []byte("old content\n")
	for _, tc := range []struct {
		name string
		send func(a *blobAgent, id int)
		want string
	}{
		{"controller gone", func(a *blobAgent, id int) {
			a.send(plan.Request{Type: "blob", Blob: &plan.BlobChunk{Transfer: id, Size: 1 << 20}}, content[:1<<20])
			a.send(plan.Request{Type: "blob", Blob: &plan.BlobChunk{Transfer: id, Size: 1 << 20}}, content[1<<20:3<<19])
			a.in.Close()
		}, "the controller went away while sending it"},
		{"cut inside a chunk", func(a *blobAgent, id int) {
			a.send(plan.Request{Type: "blob", Blob: &plan.BlobChunk{Transfer: id, Size: 1 << 20}}, content[:100000])
			a.in.Close()
		}, "the controller went away while sending it"},
		{"controller failed", func(a *blobAgent, id int) {
			a.send(plan.Request{Type: "blob", Blob: &plan.BlobChunk{Transfer: id, Size: 1 << 20}}, content[:1<<20])
			a.send(plan.Request{Type: "blob", Blob: &plan.BlobChunk{Transfer: id, Error: "big.bin changed"}}, nil)
		}, "the controller could not send it: big.bin changed"},
		{"other bytes", func(a *blobAgent, id int) {
			a.chunks(id, bytes.ToUpper(content), 1<<20)
		}, "received content does not match the plan"},
		{"too short", func(a *blobAgent, id int) {
			a.chunks(id, content[:len(content)-1], 1<<20)
		}, "received content does not match the plan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := t.TempDir()
			if err := os.WriteFile(filepath.Join(target, "big"), old, 0o644); err != nil {
				t.Fatal(err)
			}
			a := startBlobAgent(t, blobPlan(target, content))
			e := a.next()
			for e.Type == plan.EventComponent {
				e = a.next()
			}
			if e.Type != plan.EventBlob {
				t.Fatalf("want a blob request, got %+v", e)
			}
			tc.send(a, e.Transfer)
			e = a.next()
			if e.Type != plan.EventError || !strings.Contains(e.Message, tc.want) || !strings.Contains(e.Message, "big") {
				t.Fatalf("want an error naming the file and %q, got %+v", tc.want, e)
			}
			if f := a.finish(); f.Status != "failed" {
				t.Fatalf("root-finish %+v", f)
			}
			checkAll(t, target, map[string][]byte{"big": old})
		})
	}
}

// TestNewFileFromBrokenTransferLeavesNothing: a File whose large content
// comes as a blob is created whole by its Content; a transfer that fails
// leaves no file at its path (before, its Presence had created it empty,
// and the empty file stayed), and no temporary file. A transfer that
// completes gives the file, reported as Presence then Content.
func TestNewFileFromBrokenTransferLeavesNothing(t *testing.T) {
	content := bytes.Repeat([]byte("new content "), 300<<10)
	sum := sha256.Sum256(content)
	filePlan := func(target string) *plan.Plan {
		p := filepath.Join(target, "big")
		top := &plan.Node{ID: 1, Kind: "Files", Label: "Files", Children: []*plan.Node{{ID: 2, Kind: "File", Label: "File('big')",
			Attrs: plan.Attrs{"path": p}, Children: []*plan.Node{
				{ID: 3, Kind: "Presence", Label: "Presence('big')", Attrs: plan.Attrs{"path": p}},
				{ID: 4, Kind: "Content", Label: "Content('big')", Attrs: plan.Attrs{"path": p, "_display": "big", "encoding": nil, "sensitive_data": nil,
					"content": plan.Blob{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))}}},
			}}}}
		return &plan.Plan{Format: plan.Format, Version: testVersion, Host: plan.HostInfo{Name: "localhost", FQDN: "localhost"},
			TargetDirectory: target, Roots: []*plan.Root{{Name: "files", Workdir: filepath.Join(target, "work", "files"), Node: top}}}
	}
	for _, broken := range []bool{true, false} {
		target := t.TempDir()
		a := startBlobAgent(t, filePlan(target))
		var seen []string
		e := a.next()
		for ; e.Type == plan.EventComponent; e = a.next() {
			seen = append(seen, e.Path)
		}
		if e.Type != plan.EventBlob {
			t.Fatalf("want a blob request, got %+v", e)
		}
		if _, err := os.Lstat(filepath.Join(target, "big")); err == nil {
			t.Errorf("the file exists before its content came")
		}
		if broken {
			a.send(plan.Request{Type: "blob", Blob: &plan.BlobChunk{Transfer: e.Transfer, Size: 1 << 20}}, content[:1<<20])
			a.send(plan.Request{Type: "blob", Blob: &plan.BlobChunk{Transfer: e.Transfer, Error: "big.bin changed"}}, nil)
			if e = a.next(); e.Type != plan.EventError {
				t.Fatalf("want an error, got %+v", e)
			}
			if f := a.finish(); f.Status != "failed" {
				t.Fatalf("root-finish %+v", f)
			}
			checkAll(t, target, map[string][]byte{})
			if _, err := os.Lstat(filepath.Join(target, "big")); err == nil {
				t.Errorf("a failed transfer left a file at the path")
			}
			continue
		}
		a.chunks(e.Transfer, content, 1<<20)
		if f := a.finish(); f.Status != "ok" {
			t.Fatalf("root-finish %+v", f)
		}
		checkAll(t, target, map[string][]byte{"big": content})
		if strings.Join(seen, ", ") != "Files > File('big') > Presence('big'), Files > File('big') > Content('big')" {
			t.Errorf("reports %q", seen)
		}
	}
}
