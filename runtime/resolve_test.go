package runtime

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"github.com/batou-go/batou/starlib/jinja"
	"go.starlark.net/starlark"
)

// project writes files into a new project directory.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// configure loads and configures environment "test" of dir.
func configure(t *testing.T, dir string) (*Model, Errors) {
	t.Helper()
	m, errs := Load(dir, "test", starlib.NewSession(dir, jinja.New()))
	if len(errs) > 0 {
		t.Fatalf("load errors: %v", errs)
	}
	return m, m.Configure()
}

// compiled compiles the plans of the configured model m.
func compiled(t *testing.T, m *Model) []*plan.Plan {
	t.Helper()
	plans, err := m.Plans(CompileOptions{Version: "v", Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return plans
}

func env(hosts string) string {
	return "[environment]\nconnect_method = local\n[hosts]\n" + hosts + "\n"
}

// value returns attribute name of the top component of root name@host.
func value(t *testing.T, m *Model, host, name, attr string) string {
	t.Helper()
	for _, r := range m.Roots {
		if r.Host.Name == host && r.Name == name {
			v, err := r.current.Top.Attr(attr)
			if err != nil {
				t.Fatal(err)
			}
			if s, ok := v.(starlark.String); ok {
				return string(s)
			}
			return v.String()
		}
	}
	t.Fatalf("no root %s@%s", name, host)
	return ""
}

const providerConsumer = `
def _provide(self):
    self.provide("k", "v-" + self.host.name)
Provider = Component(configure = _provide)

def _consume(self):
    self.got = ",".join(self.require("k"))
Consumer = Component(configure = _consume)
`

func TestConsumerBeforeProvider(t *testing.T) {
	dir := project(t, map[string]string{"components/pc.star": providerConsumer,
		"environments/test/environment.cfg": env("h1 = consumer, provider")})
	m, errs := configure(t, dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := value(t, m, "h1", "consumer", "got"); got != "v-h1" {
		t.Errorf("consumer got %q, want v-h1", got)
	}
	if m.Rounds != 2 {
		t.Errorf("took %d rounds, want 2 (the consumer is configured again)", m.Rounds)
	}
	if deps := m.Schedule().Roots[0].After; len(deps) != 1 || deps[0] != 1 {
		t.Errorf("consumer should wait for the provider, got after=%v", deps)
	}
}

func TestProviderBeforeConsumer(t *testing.T) {
	dir := project(t, map[string]string{"components/pc.star": providerConsumer,
		"environments/test/environment.cfg": env("h1 = provider, consumer")})
	m, errs := configure(t, dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := value(t, m, "h1", "consumer", "got"); got != "v-h1" {
		t.Errorf("consumer got %q", got)
	}
	if m.Rounds != 1 {
		t.Errorf("took %d rounds, want 1", m.Rounds)
	}
}

const mutual = `
def _c1(self):
    self.a = self.require("a")
    self.provide("b", "from c1")
C1 = Component(configure = _c1)

def _c2(self):
    self.b = self.require("b")
    self.provide("a", "from c2")
C2 = Component(configure = _c2)
`

func TestMutualRequirement(t *testing.T) {
	dir := project(t, map[string]string{"components/m.star": mutual,
		"environments/test/environment.cfg": env("h1 = c1, c2")})
	_, errs := configure(t, dir)
	if len(errs) != 2 {
		t.Fatalf("want exactly 2 errors (cycle, not settling), got %d:\n%v", len(errs), errs)
	}
	text := errs.Error()
	for _, want := range []string{"dependency cycle: c1@h1 -> c2@h1 -> c1@h1", "configuration does not settle", "c1@h1, c2@h1"} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
	for _, e := range errs {
		if e.File != "components/m.star" || e.Line == 0 {
			t.Errorf("error without file:line: %v", e)
		}
	}
}

func TestDirtyReverseBreaksCycle(t *testing.T) {
	src := strings.Replace(mutual, `self.require("a")`, `self.require("a", reverse = True, dirty = True)`, 1)
	dir := project(t, map[string]string{"components/m.star": src,
		"environments/test/environment.cfg": env("h1 = c1, c2")})
	m, errs := configure(t, dir)
	if len(errs) > 0 {
		t.Fatalf("dirty + reverse should converge without errors: %v", errs)
	}
	after := m.Schedule().Roots
	if len(after[0].After) != 0 || len(after[1].After) != 1 || after[1].After[0] != 0 {
		t.Errorf("c2 should wait for c1 (both edges point that way): %+v", after)
	}
}

func TestHostFilter(t *testing.T) {
	src := strings.Replace(providerConsumer, `self.require("k")`, `self.require("k", host = self.host)`, 1)
	dir := project(t, map[string]string{"components/pc.star": src,
		"environments/test/environment.cfg": env("h1 = provider, consumer\nh2 = consumer, provider")})
	m, errs := configure(t, dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, h := range []string{"h1", "h2"} {
		if got := value(t, m, h, "consumer", "got"); got != "v-"+h {
			t.Errorf("consumer on %s got %q, want only its own host's value", h, got)
		}
	}
	// A host-filtered requirement without a provider on that host is
	// reported, naming the requiring component.
	dir = project(t, map[string]string{"components/pc.star": src,
		"environments/test/environment.cfg": env("h1 = provider, consumer\nh2 = consumer")})
	_, errs = configure(t, dir)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, `nobody provides "k" on host h2; required by consumer@h2 (components/pc.star:7)`) {
		t.Errorf("want one unsatisfied error for h2, got %v", errs)
	}
}

func TestRequireOne(t *testing.T) {
	one := `
def _p(self):
    self.provide("k", self.host.name)
P = Component(configure = _p)

def _c(self):
    self.got = str(self.require_one("k", strict = %s))
C = Component(configure = _c)
`
	for _, tc := range []struct {
		hosts, strict, want, err string
	}{
		{"h1 = c", "True", "", `nobody provides "k"; required by c@h1 (components/o.star:7)`},
		{"h1 = c", "False", "None", ""},
		{"h1 = p, c", "True", "h1", ""},
		{"h1 = p, c\nh2 = p", "True", "", `require_one("k") found 2 values, from p@h1, p@h2`},
	} {
		dir := project(t, map[string]string{"components/o.star": fmt.Sprintf(one, tc.strict),
			"environments/test/environment.cfg": env(tc.hosts)})
		m, errs := configure(t, dir)
		if tc.err != "" {
			if len(errs) != 1 || !strings.Contains(errs.Error(), tc.err) {
				t.Errorf("%s strict=%s: want one error %q, got %v", tc.hosts, tc.strict, tc.err, errs)
			}
			continue
		}
		if len(errs) > 0 {
			t.Errorf("%s strict=%s: %v", tc.hosts, tc.strict, errs)
		} else if got := value(t, m, "h1", "c", "got"); got != tc.want {
			t.Errorf("%s strict=%s: got %q, want %q", tc.hosts, tc.strict, got, tc.want)
		}
	}
}

func TestUnusedProvide(t *testing.T) {
	dir := project(t, map[string]string{"components/pc.star": providerConsumer,
		"environments/test/environment.cfg": env("h1 = provider")})
	_, errs := configure(t, dir)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, `nobody requires "k"; provided by provider@h1 (components/pc.star:3)`) {
		t.Errorf("want one unused error, got %v", errs)
	}
}

func TestSelfRequirementIsNoCycle(t *testing.T) {
	dir := project(t, map[string]string{"components/s.star": `
def _c(self):
    self.provide("k", 1)
    self.got = self.require("k")
S = Component(configure = _c)
`, "environments/test/environment.cfg": env("h1 = s")})
	_, errs := configure(t, dir)
	if len(errs) > 0 {
		t.Errorf("a root requiring its own key is not a cycle: %v", errs)
	}
}

// The require may come before the provide, also with another provider
// of the key: the root's own value never makes it configure again, and
// it sees what it provided before the require (here: nothing).
func TestSelfRequirementBeforeProvide(t *testing.T) {
	dir := project(t, map[string]string{"components/s.star": `
def _c(self):
    self.got = ",".join(self.require("k"))
    self.provide("k", self.host.name)
S = Component(configure = _c)

def _p(self):
    self.provide("k", "p-" + self.host.name)
P = Component(configure = _p)
`, "environments/test/environment.cfg": env("h1 = s\nh2 = p")})
	m, errs := configure(t, dir)
	if len(errs) > 0 {
		t.Fatalf("a root requiring its own key is not a cycle: %v", errs)
	}
	if got := value(t, m, "h1", "s", "got"); got != "p-h2" {
		t.Errorf("s@h1 got %q, want p-h2", got)
	}
	if m.Rounds != 2 {
		t.Errorf("took %d rounds, want 2 (s again once p has provided)", m.Rounds)
	}
}

// Two roots whose require_one waits for what the other provides after its
// own require_one: a cycle, named as such, not "nobody provides".
func TestMutualRequireOne(t *testing.T) {
	dir := project(t, map[string]string{"components/w.star": `
def _a(self):
    self.y = self.require_one("y")
    self.provide("x", 1)
A = Component(configure = _a)

def _b(self):
    self.x = self.require_one("x")
    self.provide("y", 2)
B = Component(configure = _b)
`, "environments/test/environment.cfg": env("h1 = a\nh2 = b")})
	_, errs := configure(t, dir)
	if len(errs) != 2 {
		t.Fatalf("want 2 errors (one per waiting requirement), got %d:\n%v", len(errs), errs)
	}
	text := errs.Error()
	for _, want := range []string{
		`dependency cycle: "x" is provided by a@h1 only after a require_one() there is satisfied, which waits in turn; required by b@h2 (components/w.star:8)`,
		`dependency cycle: "y" is provided by b@h2 only after a require_one() there is satisfied, which waits in turn; required by a@h1 (components/w.star:3)`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "nobody provides") {
		t.Errorf("both keys are provided; errors say otherwise:\n%s", text)
	}
}

// Views are read-only all the way down: a consumer cannot change a list it
// reads from a provided component.
func TestViewValuesAreFrozen(t *testing.T) {
	dir := project(t, map[string]string{"components/v.star": `
def _p(self):
    self.items = [1]
    self.provide("p", self)
P = Component(configure = _p)

def _c(self):
    v = self.require_one("p")
    v.items.append(2)
C = Component(configure = _c)
`, "environments/test/environment.cfg": env("h1 = p, c")})
	m, errs := configure(t, dir)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "frozen") || errs[0].Line != 9 {
		t.Fatalf("want one error at line 9 about a frozen list, got %v", errs)
	}
	if got := value(t, m, "h1", "p", "items"); got != "[1]" {
		t.Errorf("provider's list changed through a view: %s", got)
	}
}

// Unsatisfied, unused and cycle errors come together, in the same order on
// every run, and the not-settling error names the requirements of its loop.
func TestResolutionErrorsTogether(t *testing.T) {
	src := mutual + `
def _lonely(self):
    self.need = self.require("nobody")
    self.provide("spare", 1)
Lonely = Component(configure = _lonely)
`
	dir := project(t, map[string]string{"components/m.star": src,
		"environments/test/environment.cfg": env("h1 = c1, c2, lonely")})
	var first string
	for i := 0; i < 20; i++ {
		_, errs := configure(t, dir)
		text := errs.Error()
		if i == 0 {
			first = text
			if len(errs) != 4 {
				t.Fatalf("want 4 errors (unsatisfied, unused, cycle, not settling), got %d:\n%s", len(errs), text)
			}
			for _, want := range []string{`nobody provides "nobody"`, `nobody requires "spare"`, "dependency cycle: c1@h1 -> c2@h1 -> c1@h1",
				`configuration does not settle`, `c1@h1 requires "a" (components/m.star:3) from c2@h1`} {
				if !strings.Contains(text, want) {
					t.Errorf("errors lack %q:\n%s", want, text)
				}
			}
		} else if text != first {
			t.Fatalf("run %d reported the errors differently:\n%s\nfirst:\n%s", i, text, first)
		}
	}
}

// TestStablePlans configures an environment whose host list was shuffled
// 20 times, each order 20 times, and wants the same plans byte for byte for
// the same order: nothing depends on map iteration order.
func TestStablePlans(t *testing.T) {
	src := `
def _app(self):
    self.provide("backend", self.host.name + ":8080")
App = Component(configure = _app)

def _lb(self):
    self += File("backends", content = "\n".join(self.require("backend")) + "\n", is_template = False)
Lb = Component(configure = _lb)
`
	hosts := []string{"a1 = app", "a2 = app", "a3 = app", "a4 = app", "lb = lb", "a5 = app, lb"}
	rng := rand.New(rand.NewSource(1))
	for shuffle := 0; shuffle < 20; shuffle++ {
		rng.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
		dir := project(t, map[string]string{"components/x.star": src,
			"environments/test/environment.cfg": env(strings.Join(hosts, "\n"))})
		first := ""
		for run := 0; run < 20; run++ {
			got := plansText(t, dir)
			if run == 0 {
				first = got
			} else if got != first {
				t.Fatalf("order %v, run %d: plans differ", hosts, run)
			}
		}
	}
}

func plansText(t *testing.T, dir string) string {
	m, errs := configure(t, dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var b strings.Builder
	for _, p := range compiled(t, m) {
		data, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String() + fmt.Sprint(m.Schedule())
}
