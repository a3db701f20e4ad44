package main

// The checks of TestKilledAnywhere.

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/batou-go/batou/components"
)

// removeSome removes a few of the paths the last deploy created (none up
// to two: directories of files, single files, a whole workdir), so that
// the next deploy creates them; old, what the paths hold, learns it.
func (c *chaos) removeSome(rng *rand.Rand, old map[string]wanted) []string {
	tree := filepath.Join(c.hosts[0].dir, "work", "tree")
	candidates := []string{tree, filepath.Join(tree, "static"), filepath.Join(tree, "big.dat"),
		filepath.Join(tree, "tree", "link003"), filepath.Join(c.hosts[1].dir, "work", "slow", "slow.txt")}
	if c.agentCache != "" {
		candidates = append(candidates, c.agentCache, c.agentCache)
	}
	for d := 0; d < chaosDirs; d++ {
		candidates = append(candidates, filepath.Join(tree, "tree", fmt.Sprintf("d%03d", d)))
	}
	var removed []string
	for n := rng.IntN(3); n > 0; n-- {
		p := candidates[rng.IntN(len(candidates))]
		if err := os.RemoveAll(p); err != nil {
			c.t.Fatal(err)
		}
		for q := range old {
			if q == p || strings.HasPrefix(q, p+"/") {
				old[q] = wanted{missing: true}
			}
		}
		rel, _ := filepath.Rel(filepath.Dir(c.hosts[0].dir), p)
		removed = append(removed, rel)
	}
	return removed
}

// agentName is the name of an agent in a host's cache.
var agentName = regexp.MustCompile(`^batou-agent-[0-9a-f]+$`)

// checkOutput checks the --json output of a batou that ended in order
// (not killed, nor ended at once by a second Ctrl-C) and whose output
// was read to the end: only events, the last one the finish.
func (c *chaos) checkOutput(what string, run *chaosRun) {
	if e := run.exited(); e != "exit 0" && e != "exit 1" || run.closed {
		return
	}
	evs, err := events(run.seen())
	if err != nil {
		c.t.Errorf("%s: %v\n%s", what, err, run.output())
	} else if len(evs) == 0 || evs[len(evs)-1].Type != "finish" {
		c.t.Errorf("%s: the output does not end with the finish\n%s", what, run.output())
	}
}

// recover runs the deploy after a stopped one, which must succeed,
// saying so when it takes over a stale lock, and leave the wanted state
// and no temporary file; then a deploy that changes nothing.
func (c *chaos) recover(what string) {
	t := c.t
	records := c.lockRecords()
	run := c.run("deploy", "dev")
	out := run.output()
	if run.exited() != "exit 0" || !strings.Contains(out, "DEPLOYMENT FINISHED") {
		t.Fatalf("%s: the next deploy: %s\n%s", what, run.exited(), out)
	}
	for _, h := range c.hosts {
		prefix := fmt.Sprintf("WARNING: %s: taking over a stale lock %s: the deploy of ", h.name, filepath.Join(h.dir, ".batou-lock"))
		rec, stale := records[h.name]
		switch {
		case stale && !strings.Contains(out, prefix) || stale && !strings.Contains(out, fmt.Sprintf("(pid %d, agent pid %d here, since ", rec.PID, rec.AgentPID)):
			t.Errorf("%s: the next deploy did not take over the stale lock of %s naming its holder %+v:\n%s", what, h.name, rec, out)
		case !stale && strings.Contains(out, fmt.Sprintf("WARNING: %s: taking over a stale lock", h.name)):
			t.Errorf("%s: the next deploy took over a stale lock of %s, but the lock had no holder:\n%s", what, h.name, out)
		}
	}
	c.checkState(what+": the next deploy", wantedState(c.hosts, c.gen))
	c.checkLocksFree(what + ": the next deploy")
	if left, _ := filepath.Glob(filepath.Join(c.tmp, "*")); len(left) > 0 {
		t.Errorf("%s: after the next deploy, batou's temporary files are left: %v", what, left)
	}
	c.checkAgentCache(what)

	run = c.run("deploy", "dev", "--json")
	evs, err := events(run.seen())
	if run.exited() != "exit 0" || err != nil {
		t.Fatalf("%s: the deploy after the next: %s %v\n%s", what, run.exited(), err, run.output())
	}
	for _, e := range evs {
		if e.Type == "component" || e.Type == "warning" || e.Type == "finish" && (e.Counts == nil || e.Counts.Changed != 0) {
			t.Errorf("%s: the deploy after the next changed something or warned:\n%s", what, run.output())
			break
		}
	}
	if len(c.lockRecords()) != 0 {
		t.Errorf("%s: a deploy that ended well left its holder record in the lock: %v", what, c.lockRecords())
	}
}

// checkAgentCache checks that the ssh hosts' agent caches hold agents
// only: an upload that batou's end cut off leaves nothing. One whose
// shell on the host was killed too (kill all, as a crash of the host
// would) leaves its partial file there for good: that is counted (and
// the file removed), not failed, as it is outside the target.
func (c *chaos) checkAgentCache(what string) {
	if c.agentCache == "" {
		return
	}
	entries, _ := os.ReadDir(c.agentCache)
	for _, e := range entries {
		switch {
		case agentName.MatchString(e.Name()):
		case c.hostKilled:
			c.points["an upload killed on the host left its partial agent"]++
			_ = os.Remove(filepath.Join(c.agentCache, e.Name()))
		default:
			c.t.Errorf("%s: after the next deploy, the host's agent cache holds %s", what, e.Name())
		}
	}
}

// checkState checks that the hosts hold want and no temporary file.
func (c *chaos) checkState(what string, want map[string]wanted) {
	for p, w := range want {
		if got, err := look(p); err != nil || got != w {
			c.t.Errorf("%s: %s holds %s (%v), want %s", what, p, got, err, w)
		}
	}
	for _, p := range c.tempFiles() {
		c.t.Errorf("%s: a temporary file is left: %s", what, p)
	}
}

// tempFiles lists the temporary files of atomic replacements in the
// hosts' targets.
func (c *chaos) tempFiles() []string {
	var out []string
	for _, h := range c.hosts {
		_ = filepath.WalkDir(h.dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && components.IsTempName(p) {
				out = append(out, p)
			}
			return err
		})
	}
	return out
}

// checkGone waits until no process batou started is left, and fails the
// test (ending them) if that does not happen within chaosGrace.
func (c *chaos) checkGone(what string) {
	deadline := time.Now().Add(chaosGrace)
	left := c.procs()
	for len(left) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		left = c.procs()
	}
	if len(left) > 0 {
		c.t.Errorf("%s: processes still running after %s: %s", what, chaosGrace, describeProcs(left))
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// procs lists the processes batou started, here and on the hosts.
func (c *chaos) procs() []int {
	pids := markedProcs(c.marker)
	for _, home := range c.homes {
		pids = append(pids, markedProcs("HOME="+home)...)
	}
	if c.sshd > 0 {
		for _, pid := range descendants(c.sshd) {
			if alive(pid) && !slices.Contains(pids, pid) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// checkLocksFree checks that nobody holds a target's lock (call it when
// no batou runs), waiting up to chaosGrace for it: a killed process whose
// main thread has ended may still be closing its files in another one (a
// thread in the kernel's syncfs, say).
func (c *chaos) checkLocksFree(what string) {
	deadline := time.Now().Add(chaosGrace)
	for _, h := range c.hosts {
		p := filepath.Join(h.dir, ".batou-lock")
		held, err := lockHeld(p)
		for held && err == nil && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			held, err = lockHeld(p)
		}
		if held || err != nil {
			c.t.Errorf("%s: the lock %s is still held after %s (%v)", what, p, chaosGrace, err)
		} else if waited := chaosGrace - time.Until(deadline); waited > 100*time.Millisecond {
			c.t.Logf("%s: the lock %s was free only after %s", what, p, waited.Round(time.Millisecond))
		}
	}
}

// chaosHolder is the holder record of a lock.
type chaosHolder struct {
	PID      int `json:"pid"`
	AgentPID int `json:"agent_pid"`
}

// lockRecords returns the holder records left in the hosts' locks.
func (c *chaos) lockRecords() map[string]chaosHolder {
	out := map[string]chaosHolder{}
	for _, h := range c.hosts {
		data, err := os.ReadFile(filepath.Join(h.dir, ".batou-lock"))
		first, _, _ := strings.Cut(string(data), "\n")
		if err != nil || first == "" {
			continue
		}
		var rec chaosHolder
		if err := json.Unmarshal([]byte(first), &rec); err != nil {
			c.t.Errorf("the lock of %s holds %q: %v", h.name, data, err)
		}
		out[h.name] = rec
	}
	return out
}

// fileWatch reads the managed files again and again while a deploy runs.
type fileWatch struct {
	done chan struct{}
	wg   sync.WaitGroup
	bad  []string
}

// watchFiles starts checking that every path of want holds its old
// content or its new one (want) until stop.
func watchFiles(old, want map[string]wanted) *fileWatch {
	w := &fileWatch{done: make(chan struct{})}
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	reported := map[string]bool{}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			for _, p := range paths {
				select {
				case <-w.done:
					return
				default:
				}
				if got := oldOrNew(p, old[p], want[p]); got != "" && !reported[p] {
					reported[p] = true
					w.bad = append(w.bad, fmt.Sprintf("%s held %s: neither its old content (%s) nor its new", p, got, old[p]))
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	return w
}

// stop ends the watch and returns what it saw wrong.
func (w *fileWatch) stop() []string {
	close(w.done)
	w.wg.Wait()
	return w.bad
}
