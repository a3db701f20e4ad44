package runtime

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"github.com/batou-go/batou/starlib/jinja"
)

// cachedRun loads and configures environment "test" of dir with its reads
// recorded, compiles its plans and sends them (to nowhere), keeping
// their wire form.
func cachedRun(t *testing.T, dir string, steps uint64) (*Model, []*plan.Plan, []*plan.Wire) {
	t.Helper()
	m := loaded(t, dir, steps)
	if errs := m.Configure(); len(errs) > 0 {
		t.Fatal(errs)
	}
	plans := compiled(t, m)
	wires := make([]*plan.Wire, len(plans))
	for i, p := range plans {
		wires[i] = &plan.Wire{}
		if _, err := plan.WriteRequest(io.Discard, plan.Request{Type: "plan", Plan: p, Keep: wires[i]}); err != nil {
			t.Fatal(err)
		}
	}
	return m, plans, wires
}

// loaded is environment "test" of dir loaded, not configured.
func loaded(t *testing.T, dir string, steps uint64) *Model {
	t.Helper()
	s := starlib.NewSession(dir, jinja.New())
	s.Inputs, s.MaxSteps = &starlib.Inputs{}, steps
	m, errs := Load(dir, "test", s)
	if len(errs) > 0 {
		t.Fatalf("load errors: %v", errs)
	}
	return m
}

func TestPlanCache(t *testing.T) {
	src := `
def _configure(self):
    for i in range(100):
        self += File("f%d" % i, source = "t.tmpl", template_args = {"i": i})
    self.log("configured")
    File("unused")
App = Component(configure = _configure)
`
	dir := project(t, map[string]string{"components/app/component.star": src,
		"components/app/t.tmpl":             "file {{ args.i }} on {{ host.name }}\n",
		"environments/test/environment.cfg": env("h1 = app\nh2 = app")})
	c := &PlanCache{Dir: filepath.Join(t.TempDir(), "plans"), Facts: []string{"batou", "1"}}
	m, plans, wires := cachedRun(t, dir, 0)
	if why := m.Project.Session.Inputs.Reusable(); why != "" {
		t.Fatalf("not reusable: %s", why)
	}
	if r, why := c.Lookup(loaded(t, dir, 0)); r != nil || why != "nothing kept" {
		t.Fatalf("empty cache: %v, %q", r, why)
	}
	logs, warnings := m.ConfigureLogs(), m.Warnings
	if len(logs) != 2 || len(warnings) != 2 {
		t.Fatalf("%d logs, %d warnings; the test wants 2 of each", len(logs), len(warnings))
	}
	if err := c.Store(m, plans, wires, m.Schedule(), logs, warnings); err != nil {
		t.Fatal(err)
	}
	r, why := c.Lookup(loaded(t, dir, 0))
	if r == nil {
		t.Fatalf("nothing changed, but the plans are not used: %s", why)
	}
	if len(r.Plans) != 2 || len(r.Logs) != 2 || len(r.Warnings) != 2 || len(r.Schedule.Roots) != 2 {
		t.Fatalf("kept %d plans, %d logs, %d warnings, %d roots", len(r.Plans), len(r.Logs), len(r.Warnings), len(r.Schedule.Roots))
	}
	for i, p := range r.Plans {
		if p.Host.Name != plans[i].Host.Name || p.Roots != nil || !bytes.Equal(p.Wire.Bytes(), wires[i].Bytes()) {
			t.Errorf("plan %d: host %s, wire differs: %v", i, p.Host.Name, !bytes.Equal(p.Wire.Bytes(), wires[i].Bytes()))
		}
	}
	var sent, want bytes.Buffer
	_, _ = plan.WriteRequest(&sent, plan.Request{Type: "plan", Plan: r.Plans[1]})
	p := *plans[1]
	p.Created = r.Plans[1].Created
	_, _ = plan.WriteRequest(&want, plan.Request{Type: "plan", Plan: &p})
	if !bytes.Equal(sent.Bytes(), want.Bytes()) {
		t.Errorf("the kept plan sends other bytes than the plan compiled")
	}

	// What the key covers: the binary, the step limit, the project's
	// place, the sources, the environment.
	other := *c
	other.Facts = []string{"batou", "2"}
	if r, _ := other.Lookup(loaded(t, dir, 0)); r != nil {
		t.Errorf("another batou binary used the plans")
	}
	if r, _ := c.Lookup(loaded(t, dir, 1000)); r != nil {
		t.Errorf("another step limit used the plans")
	}
	write(t, dir, "components/app/t.tmpl", "changed {{ args.i }}\n")
	if r, why := c.Lookup(loaded(t, dir, 0)); r != nil || !strings.Contains(why, "t.tmpl changed") {
		t.Errorf("a changed template: %v, %q", r, why)
	}
	write(t, dir, "components/app/t.tmpl", "file {{ args.i }} on {{ host.name }}\n")
	if r, why := c.Lookup(loaded(t, dir, 0)); r == nil {
		t.Errorf("the template is back as it was: %s", why)
	}
	write(t, dir, "environments/test/environment.cfg", env("h1 = app\nh2 = app")+"\n")
	if r, _ := c.Lookup(loaded(t, dir, 0)); r != nil {
		t.Errorf("a changed environment file used the plans")
	}
}

// storedOne keeps the plans of a project of one File and returns the
// project, the cache and the entry's file.
func storedOne(t *testing.T) (string, *PlanCache, string) {
	t.Helper()
	dir := project(t, map[string]string{"components/app/component.star": `
def _configure(self):
    self += File("f", content = "x")
App = Component(configure = _configure)
`, "environments/test/environment.cfg": env("h = app")})
	c := &PlanCache{Dir: filepath.Join(t.TempDir(), "plans")}
	m, plans, wires := cachedRun(t, dir, 0)
	if err := c.Store(m, plans, wires, m.Schedule(), nil, nil); err != nil {
		t.Fatal(err)
	}
	return dir, c, c.file(m)
}

func TestPlanCacheDamaged(t *testing.T) {
	dir, c, file := storedOne(t)
	m, plans, wires := cachedRun(t, dir, 0)
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"cut short":   good[:len(good)-3],
		"a byte flip": bytes.Replace(good, []byte(`"content"`), []byte(`"cOntent"`), 1),
		"empty":       nil,
		"other magic": bytes.Replace(good, []byte("cache 1"), []byte("cache 9"), 1),
	} {
		if err := os.WriteFile(file, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if r, why := c.Lookup(loaded(t, dir, 0)); r != nil {
			t.Errorf("%s: used", name)
		} else if why == "" {
			t.Errorf("%s: no reason given", name)
		}
	}
	// Entries not used for a month go when the next one is written.
	stale := filepath.Join(c.Dir, "0123")
	write(t, c.Dir, "0123", "old")
	old := time.Now().Add(-31 * 24 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(m, plans, wires, m.Schedule(), nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("a stale entry was kept")
	}
	if r, why := c.Lookup(loaded(t, dir, 0)); r == nil {
		t.Errorf("rewritten entry not used: %s", why)
	}
}

// What configure learnt in a way that cannot be checked again (a DNS
// answer), and a run with secrets, are never kept.
func TestPlanCacheKeepsNotEverything(t *testing.T) {
	dir := project(t, map[string]string{"components/app/component.star": `
def _configure(self):
    self += File("f", content = str(Address("localhost:1").listen))
App = Component(configure = _configure)
`, "environments/test/environment.cfg": env("h = app")})
	c := &PlanCache{Dir: filepath.Join(t.TempDir(), "plans")}
	m, plans, wires := cachedRun(t, dir, 0)
	if why := m.Project.Session.Inputs.Reusable(); !strings.Contains(why, "DNS") {
		t.Errorf("a DNS lookup: reusable says %q", why)
	}
	if err := c.Store(m, plans, wires, m.Schedule(), nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.file(m)); err == nil {
		t.Errorf("a run that asked DNS was kept")
	}
	m.Sensitive.Add("s3cret")
	if why := c.Usable(m); why == "" {
		t.Errorf("a run with secrets may be kept")
	}
}

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// An entry another user could have written is not used: plans run with
// the deploying user's rights on every host, and a cache directory may
// be shared (XDG_CACHE_HOME on a common disk).
func TestPlanCacheTrustsOnlyItsOwnEntries(t *testing.T) {
	dir, c, file := storedOne(t)
	if r, why := c.Lookup(loaded(t, dir, 0)); r == nil {
		t.Fatalf("own entry not used: %s", why)
	}
	if err := os.Chmod(file, 0o622); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Lookup(loaded(t, dir, 0)); r != nil {
		t.Errorf("an entry others may write was used")
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return // only root can give the entry to another user
	}
	if err := os.Chown(file, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Lookup(loaded(t, dir, 0)); r != nil {
		t.Errorf("another user's entry was used")
	}
}
