package agent

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/batou-go/batou/runtime/plan"
)

// TestKilledTakingOverAStaleLock: a deploy is killed while it writes a
// file, so it leaves a temporary file and a lock that lists its
// directory; the next one is killed too, while it takes that stale lock
// over (strace kills its agent when it syncs its record of the lock, the
// moment a kill -9 or a power cut may come). The lock must still list the
// first deploy's directory, so that a third deploy removes the temporary
// file left there, although it writes no file there itself.
func TestKilledTakingOverAStaleLock(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed (it kills the agent at the moment this test needs)")
	}
	target := t.TempDir()
	files := map[string][]byte{"a": []byte("a\n")}
	redeploy(t, target, files, true)
	leftover := filepath.Join(target, ".a.batou-tmp")
	dead := `{"user":"u","host":"h","pid":2147483646,"started":"2020-01-01T00:00:00Z","agent_pid":2147483646}`
	for p, text := range map[string]string{leftover: "partial", filepath.Join(target, LockFile): dead + "\n" + strconv.Quote(target) + "\n"} {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	_ = enc.Encode(plan.Request{Type: "plan", Plan: contentPlan(target, files)})
	_ = enc.Encode(plan.Request{Type: "run", Root: "files", Mode: "deploy"})
	cmd := exec.Command(strace, "-f", "-qq", "-o", os.DevNull, "-e", "trace=fsync", "-e", "inject=fsync:signal=KILL:when=1", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BATOU_TEST_AGENT=1")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err == nil || strings.Contains(string(out), `"type":"ready"`) {
		t.Fatalf("the agent was not killed while it took the lock (%v):\n%s", err, out)
	}
	data, _ := os.ReadFile(filepath.Join(target, LockFile))
	if h, ok := parseHolder(data); !ok || h.PID == 2147483646 {
		t.Fatalf("the killed agent had not begun to take the lock over: the lock holds %q", data)
	}

	warnings := redeploy(t, target, files, false)
	checkAll(t, target, files)
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, "removed 1 temporary file(s) that deploy left behind: "+leftover) {
		t.Errorf("warnings of the deploy after the kills:\n%s\nwant the removed %s", w, leftover)
	}
}
