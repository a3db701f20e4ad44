package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledAnywhere stops `batou deploy` at a random moment, again and
// again, and checks what batou promises whenever it is stopped (SIGKILL,
// one Ctrl-C, two, SIGTERM, SIGHUP, SIGTERM and then SIGKILL as a service
// manager does, an output nobody reads any more, every process of the
// deploy killed at once):
//
//   - no process batou started is left once a grace has passed (an agent
//     notices that its batou is gone and ends, with its commands);
//   - nobody holds the lock of a target (a stale holder record may stay);
//   - while the deploy runs and after it was stopped, every managed file
//     and symlink holds its old or its new content, never a mix, never
//     empty;
//   - the next deploy succeeds, takes over a stale lock saying so and
//     naming its holder, and brings the hosts to the wanted state, with no
//     temporary file left (on the hosts, nor batou's own); and the deploy
//     after it changes nothing.
//
// The project has two local hosts (two agents at once): on one, hundreds
// of templated files in directories, symlinks, a file large enough to
// travel by digest and a Directory copied from the project; on both, a
// Command and a component whose update takes a moment. Each round deploys
// the next generation (every file changes), after removing some of what
// the last one deployed (so that files are also created). The moment of
// the stop is drawn from the stages of a deploy measured at the start, so
// that stops land in load, configure, connect, verify and update of each
// root, and while the agents close. Some rounds stop a second deploy
// before the one that must succeed (after a stale lock: by killing all
// as its agent takes that lock over), and some go back to the generation
// before, so that files whose writes were cut off are not written again.
//
// BATOU_CHAOS=N runs N rounds (default 12); BATOU_CHAOS_SEED=S replays
// the rounds of a failed run (its seed is logged); BATOU_CHAOS_STOPS
// takes only some ways to stop ("kill all,ctrl-c twice").
func TestKilledAnywhere(t *testing.T) {
	t.Parallel() // with TestKilledAnywhereSSH, after the other tests
	rounds, seed := chaosParams(t, 12)
	dir := t.TempDir()
	c := newChaos(t, seed, dir, t.TempDir())
	c.method, c.hosts = "local", localHosts(dir)
	c.play(rounds)
}

// TestKilledAnywhereSSH is TestKilledAnywhere over ssh, to a real sshd on
// a loopback port: two names of one machine, so that their agents share a
// connection (a relay). batou's end must reach the agents there through
// sshd, and its ssh master connections must end with it; no session may
// stay in sshd. Some rounds remove the agent from the host first, so that
// batou may be stopped while it uploads the agent, which must leave
// nothing behind once the next deploy is done. BATOU_CHAOS=N runs N
// rounds (default 1).
func TestKilledAnywhereSSH(t *testing.T) {
	if _, err := os.Stat(sshdPath); err != nil {
		t.Skipf("no sshd: %v", err)
	}
	t.Parallel()
	rounds, seed := chaosParams(t, 1)
	h := newBenchHarness(t)
	c := newChaos(t, seed, h.Getenv("WORK"), h.Getenv("HOME"))
	startSshdHost(h, "chaosbox")
	addAliases(h, 2, "web", "chaosbox")
	home := h.Getenv("CHAOSBOX_HOME")
	c.method, c.homes, c.agentCache = "ssh", []string{home}, filepath.Join(home, ".cache", "batou")
	pid, err := os.ReadFile(filepath.Join(h.Getenv("WORK"), ".harness", "chaosbox", "sshd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if c.sshd, err = strconv.Atoi(strings.TrimSpace(string(pid))); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"web01", "web02"} {
		c.hosts = append(c.hosts, chaosHost{name, "~/d/" + name, filepath.Join(home, "d", name), chaosRoots[min(i, 1)]})
	}
	c.play(rounds)
}

// chaosParams returns the number of rounds (BATOU_CHAOS, else def) and
// the seed.
func chaosParams(t *testing.T, def int) (int, uint64) {
	rounds := def
	if v := os.Getenv("BATOU_CHAOS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("BATOU_CHAOS=%q: want a number of rounds", v)
		}
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("BATOU_CHAOS_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("BATOU_CHAOS_SEED=%q: want a number", v)
		}
		seed = s
	}
	t.Logf("seed %d", seed)
	return rounds, seed
}

// chaos is the state of TestKilledAnywhere.
type chaos struct {
	t      *testing.T
	dir    string   // the project
	tmp    string   // $TMPDIR of every batou run
	stderr string   // where a batou run's stderr goes
	batou  string   // the batou command
	env    []string // of every batou run
	marker string   // in env: marks every process batou starts
	method string   // connect_method
	hosts  []chaosHost
	// homes are the homes of the ssh hosts: a process with one as its
	// $HOME runs there (sshd sets it); so does every process below sshd
	// (its pid), the sessions of batou's connections.
	homes []string
	sshd  int
	// agentCache is where the ssh hosts keep the agent; hostKilled is
	// set when this round killed processes on the hosts.
	agentCache string
	hostKilled bool
	seed       uint64
	gen        int            // the generation deployed last
	marks      []chaosMark    // the stages of a deploy (calibrate)
	points     map[string]int // how often a stop landed where
}

// newChaos writes the project into dir; batou runs with $HOME home.
func newChaos(t *testing.T, seed uint64, dir, home string) *chaos {
	batou, err := exec.LookPath("batou")
	if err != nil {
		t.Fatal(err)
	}
	c := &chaos{t: t, dir: dir, tmp: filepath.Join(home, "tmp"), stderr: filepath.Join(t.TempDir(), "stderr"),
		batou: batou, seed: seed, points: map[string]int{},
		marker: fmt.Sprintf("BATOU_CHAOS_MARK=%d-%s", os.Getpid(), t.Name())}
	if err := os.MkdirAll(c.tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	c.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"TMPDIR=" + c.tmp, c.marker}
	// Leave nothing running, whatever happened.
	t.Cleanup(func() {
		for _, pid := range c.procs() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	writeProject(t, dir)
	return c
}

// play deploys twice (a first deploy, and one that changes every file,
// for calibrate) and then plays rounds rounds.
func (c *chaos) play(rounds int) {
	t := c.t
	c.deploy(1)
	c.calibrate(2)
	locked := 0
	for i := 0; i < rounds && !t.Failed(); i++ {
		if c.round(i) {
			locked++
		}
	}
	if t.Failed() {
		t.Logf("replay with BATOU_CHAOS_SEED=%d BATOU_CHAOS=%d", c.seed, rounds)
	}
	t.Logf("seed %d, %d rounds, %d stopped batou while an agent held a lock; where the stops landed:\n%s", c.seed, rounds, locked, c.tally())
}

// deploy deploys generation gen, which must succeed.
func (c *chaos) deploy(gen int) {
	c.t.Helper()
	c.gen = gen
	writeEnv(c.t, c.dir, c.method, c.hosts, gen)
	run := c.run("deploy", "dev")
	if run.exited() != "exit 0" || !strings.Contains(run.output(), "DEPLOYMENT FINISHED") {
		c.t.Fatalf("deploy of generation %d: %s\n%s", gen, run.exited(), run.output())
	}
	c.checkState("deploy of generation", wantedState(c.hosts, gen))
}

// calibrate deploys generation gen and notes when the deploy reached each
// of its stages: its events, and when they came (of the components, only
// the first of each root).
func (c *chaos) calibrate(gen int) {
	c.t.Helper()
	c.gen = gen
	writeEnv(c.t, c.dir, c.method, c.hosts, gen)
	run := c.run("deploy", "dev", "--json")
	if run.exited() != "exit 0" {
		c.t.Fatalf("deploy of generation %d: %s\n%s", gen, run.exited(), run.output())
	}
	c.marks = []chaosMark{{}}
	for _, l := range run.seen() {
		var e chaosEvent
		_ = json.Unmarshal([]byte(l.text), &e)
		m := chaosMark{at: l.at, sig: e.sig()}
		if e.Type == "component" && slices.ContainsFunc(c.marks, func(o chaosMark) bool { return o.sig == m.sig }) {
			continue
		}
		c.marks = append(c.marks, m)
	}
	c.marks = append(c.marks, chaosMark{at: c.marks[len(c.marks)-1].at + 20*time.Millisecond})
	c.checkState("deploy of generation", wantedState(c.hosts, gen))
}

// chaosMark is a stage a deploy reached: an event (its sig) and when it
// came.
type chaosMark struct {
	at  time.Duration
	sig string
}

// moment draws when to stop a deploy: half the time a moment between two
// stages of the deploy calibrate measured, else a moment (up to 3 ms)
// after one of its events, which also hits short stages such as the end
// of a host's connection. It returns the moment and a function that waits
// for it in run.
func (c *chaos) moment(rng *rand.Rand) (string, func(run *chaosRun)) {
	k := rng.IntN(len(c.marks) - 1)
	if rng.IntN(2) == 0 || c.marks[k].sig == "" || strings.HasPrefix(c.marks[k].sig, "finish") {
		a, b := c.marks[k].at, c.marks[k+1].at
		delay := a + time.Duration(rng.Int64N(int64(b-a)+1))
		return delay.Round(100 * time.Microsecond).String(), func(run *chaosRun) { time.Sleep(delay - time.Since(run.start)) }
	}
	sig, delay := c.marks[k].sig, time.Duration(rng.Int64N(int64(3*time.Millisecond)))
	return fmt.Sprintf("%s after %s", delay.Round(100*time.Microsecond), sig), func(run *chaosRun) {
		run.waitEvent(sig)
		time.Sleep(delay)
	}
}

// run runs batou with args to its end; any process it leaves fails the
// test.
func (c *chaos) run(args ...string) *chaosRun {
	c.t.Helper()
	run := startBatou(c.t, c.batou, c.dir, c.env, c.stderr, args...)
	run.wait(c.t)
	c.checkGone(strings.Join(args, " "))
	return run
}

// chaosStop is a way to stop batou, and how batou may end then.
type chaosStop struct {
	name  string
	stop  func(run *chaosRun, rng *rand.Rand)
	exits []string
}

// soon waits up to max for a moment.
func soon(rng *rand.Rand, max time.Duration) { time.Sleep(time.Duration(rng.Int64N(int64(max)))) }

// sendSignal sends batou a signal.
func sendSignal(sig syscall.Signal) func(run *chaosRun, rng *rand.Rand) {
	return func(run *chaosRun, _ *rand.Rand) { _ = run.cmd.Process.Signal(sig) }
}

// chaosStops are the ways batou is stopped. A deploy that ended before
// the stop came exits with 0; a signal that comes before batou handles
// it (in its first milliseconds) ends batou.
var chaosStops = []chaosStop{
	{"kill", sendSignal(syscall.SIGKILL), []string{"exit 0", "signal KILL"}},
	{"ctrl-c", sendSignal(syscall.SIGINT), []string{"exit 0", "exit 1", "signal INT"}},
	{"ctrl-c twice", func(run *chaosRun, rng *rand.Rand) {
		sendSignal(syscall.SIGINT)(run, rng)
		soon(rng, 150*time.Millisecond)
		sendSignal(syscall.SIGINT)(run, rng)
	}, []string{"exit 0", "exit 1", "exit 130", "signal INT"}},
	{"term", sendSignal(syscall.SIGTERM), []string{"exit 0", "exit 1", "signal TERM"}},
	{"hup", sendSignal(syscall.SIGHUP), []string{"exit 0", "exit 1", "signal HUP"}},
	{"term, kill", func(run *chaosRun, rng *rand.Rand) {
		sendSignal(syscall.SIGTERM)(run, rng)
		soon(rng, 300*time.Millisecond)
		sendSignal(syscall.SIGKILL)(run, rng)
	}, []string{"exit 0", "exit 1", "signal TERM", "signal KILL"}},
	// Nobody reads the output any more (batou deploy | head).
	{"output gone", func(run *chaosRun, _ *rand.Rand) { run.closeOutput() }, []string{"exit 0", "exit 1", "signal PIPE"}},
	// Every process of the deploy at once, agents included, as a CI
	// runner that kills the job's cgroup does (or the OOM killer, or a
	// power cut): what the agents leave, the next deploy finds. batou
	// may see its agents killed and end before it is.
	{"kill all", func(run *chaosRun, _ *rand.Rand) { run.killAll() }, []string{"exit 0", "exit 1", "signal KILL"}},
}

// stops returns the ways to stop batou that BATOU_CHAOS_STOPS names (a
// comma-separated list), all when it is not set.
func (c *chaos) stops() []chaosStop {
	v := os.Getenv("BATOU_CHAOS_STOPS")
	if v == "" {
		return chaosStops
	}
	var out []chaosStop
	for _, name := range strings.Split(v, ",") {
		i := slices.IndexFunc(chaosStops, func(s chaosStop) bool { return s.name == strings.TrimSpace(name) })
		if i < 0 {
			c.t.Fatalf("BATOU_CHAOS_STOPS: no way to stop called %q", name)
		}
		out = append(out, chaosStops[i])
	}
	return out
}

// round deploys the next generation, stops batou at a random moment
// (sometimes twice, see below), and checks what that left and the
// deploys after it. It reports whether an agent held a lock when batou
// was stopped.
func (c *chaos) round(i int) bool {
	t := c.t
	rng := rand.New(rand.NewPCG(c.seed, uint64(i)))
	c.hostKilled = false
	old := wantedState(c.hosts, c.gen)
	removed := c.removeSome(rng, old)
	c.gen++
	writeEnv(t, c.dir, c.method, c.hosts, c.gen)
	what := fmt.Sprintf("round %d (generation %d, removed %v)", i, c.gen, removed)
	what, locked := c.stopOnce(rng, what, old, false)
	// Another deploy, stopped too: half the time after a stale lock, as
	// it takes that lock over; else a quarter of the time, anywhere.
	if len(c.lockRecords()) > 0 && rng.IntN(2) == 0 {
		what, _ = c.stopOnce(rng, what+"; again", old, true)
	} else if rng.IntN(4) == 0 {
		what, _ = c.stopOnce(rng, what+"; again", old, false)
	}
	// A third of the time, the next deploy goes back to the generation
	// before: files whose writes were cut off are old and not written
	// again, so their temporary files must go another way.
	if rng.IntN(3) == 0 {
		c.gen--
		writeEnv(t, c.dir, c.method, c.hosts, c.gen)
		what += fmt.Sprintf("; then back to generation %d", c.gen)
		c.points["then back to the generation before"]++
	}
	c.recover(what)
	return locked
}

// stopOnce deploys generation c.gen, where the managed paths held old,
// and stops batou at a random moment (with takeover, by killing all as
// an agent takes over a stale lock), then checks that every path holds
// its old or its new content, and that nothing runs or holds a lock. It
// returns what happened (after what) and whether an agent held a lock
// when batou was stopped.
func (c *chaos) stopOnce(rng *rand.Rand, what string, old map[string]wanted, takeover bool) (string, bool) {
	t := c.t
	want := wantedState(c.hosts, c.gen)
	stops := c.stops()
	how := stops[rng.IntN(len(stops))]
	moment, wait := c.moment(rng)
	if takeover {
		how, moment, wait = chaosStops[slices.IndexFunc(chaosStops, func(s chaosStop) bool { return s.name == "kill all" })],
			"the takeover of a stale lock", c.atTakeover
	}

	before := c.lockRecords()
	watch := watchFiles(old, want)
	run := startBatou(t, c.batou, c.dir, c.env, c.stderr, "deploy", "dev", "--json")
	run.procs, run.agents = c.procs, c.agents
	wait(run)
	evs, _ := events(run.seen())
	at := whereIn(evs)
	locked := len(c.lockRecords()) > 0
	how.stop(run, rng)
	c.hostKilled = c.hostKilled || how.name == "kill all"
	run.wait(t)
	seen := watch.stop()
	what = fmt.Sprintf("%s: %s at %s, in %s", what, how.name, moment, at)
	c.count(how.name, at)
	t.Log(what)
	if !slices.Contains(how.exits, run.exited()) {
		t.Errorf("%s: batou ended with %s, want one of %v\n%s", what, run.exited(), how.exits, run.output())
	}
	c.checkOutput(what, run)
	c.checkGone(what)
	c.checkLocksFree(what)
	for _, s := range seen {
		t.Errorf("%s: while the deploy ran: %s", what, s)
	}
	for p, w := range want {
		if got := oldOrNew(p, old[p], w); got != "" {
			t.Errorf("%s: %s holds %s: neither its old content (%s) nor its new", what, p, got, old[p])
		}
	}
	if after := c.lockRecords(); len(after) > 0 {
		for h, rec := range after {
			if rec != before[h] { // this deploy's, not one left before it
				c.points[fmt.Sprintf("%-12s  %s", how.name, "left a stale lock record")]++
				if how.name != "kill all" {
					t.Logf("%s: %s's agent %d ended without releasing its lock", what, h, rec.AgentPID)
				}
			}
		}
		if len(c.tempFiles()) > 0 {
			c.points[fmt.Sprintf("%-12s  %s", how.name, "left temporary files")]++
		}
	} else {
		// The agents ended in order: they removed their temporary
		// files themselves.
		c.checkState(what+": after it", nil)
	}
	return what, locked
}

// atTakeover waits until the agent of the first host (the one with most
// files) writes its record into its lock (taking over the stale record
// there), and kills it at once; or until batou ends.
func (c *chaos) atTakeover(run *chaosRun) {
	h := c.hosts[0].name
	stale := c.lockRecords()[h]
	for {
		if rec, ok := c.lockRecords()[h]; ok && rec != stale {
			if c.ours(rec.AgentPID) {
				_ = syscall.Kill(rec.AgentPID, syscall.SIGKILL)
			}
			return
		}
		select {
		case <-run.eof:
			return
		default:
		}
	}
}

// agents lists the agents that hold the hosts' locks (a record may be a
// stale one, whose pid is now another process's: only processes of this
// test count).
func (c *chaos) agents() []int {
	var pids []int
	for _, rec := range c.lockRecords() {
		if c.ours(rec.AgentPID) {
			pids = append(pids, rec.AgentPID)
		}
	}
	return pids
}

// ours reports whether the process pid is one that batou started for
// this test (here or on the ssh hosts).
func (c *chaos) ours(pid int) bool {
	markers := []string{c.marker}
	for _, home := range c.homes {
		markers = append(markers, "HOME="+home)
	}
	return pid > 0 && marked(pid, markers...)
}

// count counts a stop how at where.
func (c *chaos) count(how string, at chaosWhere) {
	c.points[fmt.Sprintf("%-12s  %s", how, at.stage)]++
	if at.stage != "deploy" {
		return
	}
	for h, p := range at.hosts {
		c.points[fmt.Sprintf("%-12s  %s", "(deploy)", h+": "+p)]++
	}
}

// tally lists how often stops landed where: by way and stage, and how
// often each host was in each phase of its deploy then.
func (c *chaos) tally() string {
	var lines []string
	for p, n := range c.points {
		lines = append(lines, fmt.Sprintf("%-40s %4d", p, n))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
