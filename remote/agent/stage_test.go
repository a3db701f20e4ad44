package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/batou-go/batou/runtime/plan"
)

// twoCores makes the agents of the test (in this process and started by
// it) use two cores at least, as writing ahead needs them.
func twoCores(t *testing.T) {
	t.Setenv("GOMAXPROCS", "2") // for agent processes
	if n := runtime.GOMAXPROCS(0); n < 2 {
		runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(n) })
	}
}

// filePlan returns a plan with one root of Files (a Presence and a Content
// each, as File expands), in the order of names, each file in target.
func filePlan(target string, names []string, content func(i int) string) *plan.Plan {
	top := &plan.Node{ID: 1, Kind: "Files", Label: "Files"}
	id := 1
	for i, name := range names {
		p := filepath.Join(target, name)
		file := &plan.Node{ID: id + 1, Kind: "File", Label: fmt.Sprintf("File('%s')", name),
			Attrs: plan.Attrs{"path": p, "content": content(i)}}
		file.Children = []*plan.Node{
			{ID: id + 2, Kind: "Presence", Label: fmt.Sprintf("Presence('%s')", name), Attrs: plan.Attrs{"path": p}},
			{ID: id + 3, Kind: "Content", Label: fmt.Sprintf("Content('%s')", name),
				Attrs: plan.Attrs{"path": p, "content": content(i), "encoding": "utf-8", "sensitive_data": nil}},
		}
		top.Children = append(top.Children, file)
		id += 3
	}
	return &plan.Plan{Format: plan.Format, Version: testVersion, Host: plan.HostInfo{Name: "localhost", FQDN: "localhost"},
		TargetDirectory: target, Roots: []*plan.Root{{Name: "files", Workdir: filepath.Join(target, "work", "files"), Node: top}}}
}

// aheadContent is the content of the i-th File of the tests' runs. The
// first is large: the deploy writes it itself (finding it missing starts
// the writers) and takes milliseconds, while the writers go ahead, so
// that what is written ahead is there to see whatever the machine's load.
func aheadContent(i int) string {
	if i == 0 {
		return strings.Repeat("large\n", 700_000) // 4 MB
	}
	return strings.Repeat(fmt.Sprintf("line %d\n", i), 50)
}

// seeAhead starts a deploy of p and watches, until the root is finished,
// for the temporary file of tmp (a new file written ahead of the deploy).
// It returns the events and whether it saw the file.
func seeAhead(t *testing.T, p *plan.Plan, tmp string) ([]plan.Event, bool) {
	t.Helper()
	cmd, sc, enc := startAgent(t, p)
	var seen, ended atomic.Bool
	go func() {
		for !ended.Load() {
			if _, err := os.Lstat(tmp); err == nil {
				seen.Store(true)
				return
			}
		}
	}()
	var events []plan.Event
	for sc.Scan() {
		var e plan.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("bad event %s: %v", sc.Bytes(), err)
		}
		events = append(events, e)
		if e.Type == plan.EventRootFinish {
			break
		}
	}
	ended.Store(true)
	_ = enc.Encode(plan.Request{Type: "stop"})
	waitFor(t, sc, `"type":"bye"`)
	agentExited(t, cmd)
	return events, seen.Load()
}

// A first deploy of many Files writes new files ahead of the deploy
// (components.Stage). When one of them fails, the deploy stops there as
// ever: the Files before it are deployed, the ones after it are not
// created, and nothing written ahead is left behind. A run counts when a
// file after the failing one was seen written ahead.
func TestWriteAheadStopsAtFailure(t *testing.T) {
	twoCores(t)
	const n, bad = 200, 20
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("f%03d.conf", i)
	}
	names[bad] = "missing-dir/" + names[bad]
	content := aheadContent
	for attempt := 1; ; attempt++ {
		target := t.TempDir()
		events, seen := seeAhead(t, filePlan(target, names, content), filepath.Join(target, "."+names[bad+1]+".batou-tmp"))
		var failed []string
		for _, e := range events {
			if e.Type == plan.EventError {
				failed = append(failed, e.Path+": "+e.Message)
			}
		}
		if len(failed) != 1 || !strings.Contains(failed[0], "Presence('missing-dir/f020.conf')") || !strings.Contains(failed[0], "does not exist") {
			t.Fatalf("errors %q, want the one of %s", failed, names[bad])
		}
		if finish := events[len(events)-1]; finish.Status != "failed" {
			t.Fatalf("root finished %q", finish.Status)
		}
		for i, name := range names {
			data, err := os.ReadFile(filepath.Join(target, name))
			switch {
			case i < bad && (err != nil || string(data) != content(i)):
				t.Errorf("%s before the failure: %d bytes, %v", name, len(data), err)
			case i > bad && !os.IsNotExist(err):
				t.Errorf("%s after the failure: exists (%v)", name, err)
			}
		}
		checkAll(t, target, nil)
		if seen {
			t.Logf("attempt %d: saw the file after the failing one written ahead", attempt)
			return
		}
		if attempt == 10 {
			t.Fatalf("never saw a file written ahead in %d attempts", attempt)
		}
	}
}

// A deploy killed while new files are written ahead leaves temporary
// files; the next deploy removes them, says so, and completes.
func TestWriteAheadKilled(t *testing.T) {
	twoCores(t)
	const n = 300
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("f%03d.conf", i)
	}
	content := aheadContent
	watch := names[40] // written ahead while the deploy writes the first file
	for attempt := 1; ; attempt++ {
		target := t.TempDir()
		p := filePlan(target, names, content)
		cmd, sc, _ := startAgent(t, p)
		var ended atomic.Bool
		go func() {
			for sc.Scan() && !strings.Contains(sc.Text(), `"type":"root-finish"`) {
			}
			ended.Store(true)
		}()
		for !ended.Load() {
			if _, err := os.Lstat(filepath.Join(target, "."+watch+".batou-tmp")); err == nil {
				break
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		_, err := os.Lstat(filepath.Join(target, watch))
		tmps := tempFiles(t, target)
		if !os.IsNotExist(err) || len(tmps) < 2 {
			if attempt == 10 {
				t.Fatalf("no kill landed while files were written ahead in %d attempts", attempt)
			}
			continue
		}
		t.Logf("attempt %d: killed with %d files written ahead", attempt, len(tmps))
		want := map[string][]byte{}
		for i, name := range names {
			want[name] = []byte(content(i))
		}
		cmd, sc, enc := startAgent(t, p)
		var warnings []string
		for sc.Scan() {
			var e plan.Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("bad event %s: %v", sc.Bytes(), err)
			}
			if e.Type == plan.EventError {
				t.Errorf("deploy after the kill: %s", e.Message)
			}
			if e.Type == plan.EventWarning {
				warnings = append(warnings, e.Message)
			}
			if e.Type == plan.EventRootFinish {
				break
			}
		}
		_ = enc.Encode(plan.Request{Type: "stop"})
		waitFor(t, sc, `"type":"bye"`)
		agentExited(t, cmd)
		checkAll(t, target, want)
		if w := strings.Join(warnings, "\n"); !strings.Contains(w, "temporary file(s) that deploy left behind") {
			t.Errorf("warnings of the deploy after the kill:\n%s\nwant the removed temporary files", w)
		}
		return
	}
}

// deployFiles deploys p in this process (so that -race sees the writers)
// and returns the events of the root.
func deployFiles(t *testing.T, p *plan.Plan) []plan.Event {
	t.Helper()
	var in bytes.Buffer
	for _, r := range []plan.Request{{Type: "plan", Plan: p}, {Type: "run", Root: "files", Mode: "deploy"}, {Type: "stop"}} {
		if _, err := plan.WriteRequest(&in, r); err != nil {
			t.Fatal(err)
		}
	}
	events, err := agentEvents(t, in.Bytes(), true)
	if err != nil {
		t.Fatalf("agent: %v (%v)", err, events)
	}
	return events
}

// A File whose name is that of another File's temporary file
// (.NAME.batou-tmp) is deployed as without writing ahead: NAME gets its
// own content, not the other File's, and the other File is reported
// created. (Writing ahead had put NAME's content there first: the File
// found its file present, and NAME was then renamed from it.) The first
// file is large, so that the writers are far ahead of the deploy.
func TestWriteAheadFileNamedLikeATemporaryFile(t *testing.T) {
	twoCores(t)
	names := make([]string, 16)
	for i := range names {
		names[i] = fmt.Sprintf("f%02d.conf", i)
	}
	names[4] = ".f10.conf.batou-tmp"
	content := func(i int) string {
		if i == 0 {
			return strings.Repeat("large\n", 700_000) // 4 MB
		}
		return fmt.Sprintf("%s\n", names[i])
	}
	for range 3 {
		target := t.TempDir()
		events := deployFiles(t, filePlan(target, names, content))
		var created bool
		for _, e := range events {
			if e.Type == plan.EventError {
				t.Fatalf("error: %s: %s", e.Path, e.Message)
			}
			created = created || (e.Type == plan.EventComponent && strings.HasSuffix(e.Path, "Presence('.f10.conf.batou-tmp')"))
		}
		if !created {
			t.Errorf("the File named like a temporary file was not reported created")
		}
		if data, err := os.ReadFile(filepath.Join(target, "f10.conf")); err != nil || string(data) != content(10) {
			t.Fatalf("f10.conf: %q (%v), want %q", data, err, content(10))
		}
	}
}

// Files written ahead hold inodes (and space) that the deploy would
// otherwise have had for the File it updates the usual way: a file
// system that runs out must stop the deploy where it would have stopped
// without writing ahead, not at the first File that needs a new inode.
// Here the first file is large (the writers are far ahead when the
// deploy reaches the second), the second exists with other content
// (rewritten through a new temporary file) and the file system has
// inodes for only some of the new files. Needs root for a small tmpfs.
func TestWriteAheadGivesWayWhenTheFileSystemIsFull(t *testing.T) {
	twoCores(t)
	target := t.TempDir()
	if err := syscall.Mount("tmpfs", target, "tmpfs", 0, "nr_inodes=24"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(target, 0) })
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprintf("f%02d.conf", i)
	}
	content := func(i int) string {
		if i == 0 {
			return strings.Repeat("large\n", 700_000) // 4 MB
		}
		return names[i] + "\n"
	}
	if err := os.WriteFile(filepath.Join(target, names[1]), []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	events := deployFiles(t, filePlan(target, names, content))
	var failed []string
	for _, e := range events {
		if e.Type == plan.EventError {
			failed = append(failed, e.Path+": "+e.Message)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0], "no space left on device") {
		t.Fatalf("errors %q, want one of a full file system", failed)
	}
	for i, name := range names[:10] {
		if data, err := os.ReadFile(filepath.Join(target, name)); err != nil || string(data) != content(i) {
			t.Errorf("%s: %d bytes (%v), want it deployed (the file system has room for it)", name, len(data), err)
		}
	}
	checkAll(t, target, nil)
}

// A deploy that writes files ahead (two cores) reports the same events and
// leaves the same files as one that does not (one core): new files, one
// there with the same content, one with other content (which ends writing
// ahead), an empty one, binary content, and Files after the run.
func TestWriteAheadChangesNothingElse(t *testing.T) {
	names := make([]string, 120)
	for i := range names {
		names[i] = fmt.Sprintf("f%03d.conf", i)
	}
	content := func(i int) string {
		switch i {
		case 80:
			return ""
		case 90:
			return "\x00\xff binary\n"
		}
		return fmt.Sprintf("line %d\n", i)
	}
	deploy := func(cores int) ([]string, map[string]string) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cores))
		target := t.TempDir()
		for i, c := range map[int]string{30: content(30), 60: "old\n"} {
			if err := os.WriteFile(filepath.Join(target, names[i]), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var events []string
		for _, e := range deployFiles(t, filePlan(target, names, content)) {
			if e.Type == plan.EventComponent || e.Type == plan.EventError || e.Type == plan.EventRootFinish {
				line := fmt.Sprintf("%s %s %s %s %s %s %v", e.Type, e.Path, e.Action, e.Message, e.Status, e.Diff, e.Changed != nil && *e.Changed)
				events = append(events, strings.ReplaceAll(line, target, "$TARGET"))
			}
		}
		files := map[string]string{}
		for _, name := range names {
			data, err := os.ReadFile(filepath.Join(target, name))
			info, _ := os.Stat(filepath.Join(target, name))
			files[name] = fmt.Sprintf("%q %v %v", data, err, info.Mode())
		}
		if tmps := tempFiles(t, target); len(tmps) > 0 {
			t.Errorf("%d cores: temporary files left: %v", cores, tmps)
		}
		return events, files
	}
	events1, files1 := deploy(1)
	events2, files2 := deploy(2)
	if strings.Join(events1, "\n") != strings.Join(events2, "\n") {
		t.Errorf("events differ:\none core:\n%s\ntwo cores:\n%s", strings.Join(events1, "\n"), strings.Join(events2, "\n"))
	}
	for _, name := range names {
		if files1[name] != files2[name] {
			t.Errorf("%s: one core %s, two cores %s", name, files1[name], files2[name])
		}
	}
}
