package runtime

import (
	"strings"
	"testing"

	"github.com/batou-go/batou/starlib"
)

const provenanceProject = `
def _app(self):
    self.address = "%s:%d" % (self.host.name, self.port)
    self.provide("app", self)

App = Component(configure = _app, attrs = {
    "port": Attribute(int, default = 8080, doc = "the port to listen on"),
    "name": Attribute(str, default = "app"),
    "mode": Attribute(str, default = "fast"),
})

def _set_mode(c):
    c.mode = "slow"

def _proxy(self):
    self.backends = self.require("app")
    self.names = [b.name for b in self.require("app")]
    self += File("upstreams", content = "x", is_template = False)
    _set_mode(self)

Proxy = Component(configure = _proxy, attrs = {"mode": Attribute(str, default = "fast")})
`

func provenanceModel(t *testing.T) *Model {
	dir := project(t, map[string]string{"components/c.star": provenanceProject,
		"environments/test/environment.cfg": env("h1 = app, proxy\nh2 = app") + "[component:app]\nport = 9000\n[component:proxy]\nmode = quick\n"})
	m, errs := configure(t, dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return m
}

func rootNamed(t *testing.T, m *Model, id string) *Root {
	t.Helper()
	for _, r := range m.Roots {
		if r.ID() == id {
			return r
		}
	}
	t.Fatalf("no root %s", id)
	return nil
}

func TestAttributeOrigins(t *testing.T) {
	m := provenanceModel(t)
	app, proxy := rootNamed(t, m, "app@h1").Top(), rootNamed(t, m, "proxy@h1").Top()
	file := proxy.Children()[0]
	for _, tc := range []struct {
		c    *starlib.Component
		attr string
		want string
	}{
		{app, "port", "environment environments/test/environment.cfg:7"},
		{app, "name", "default"},
		{app, "address", "set in configure at components/c.star:3"},
		{proxy, "backends", "set in configure at components/c.star:16"},
		{proxy, "mode", "set in configure at components/c.star:13 (replacing environment environments/test/environment.cfg:9)"},
		{file, "path", "argument at components/c.star:18"},
		{file, "content", "argument at components/c.star:18"},
		{file, "mode", "default"},
		{file.Children()[0], "path", "set by File('upstreams') at components/c.star:18"},
	} {
		info, ok := m.Attribute(tc.c, tc.attr)
		if !ok || info.Err != nil {
			t.Errorf("%s.%s: ok=%v err=%v", tc.c.Label(), tc.attr, ok, info.Err)
			continue
		}
		if got := info.Origin.String(); got != tc.want {
			t.Errorf("%s.%s: origin %q, want %q", tc.c.Label(), tc.attr, got, tc.want)
		}
	}
	info, _ := m.Attribute(proxy, "backends")
	if got := strings.Join(info.ProvidedBy, ","); got != "app@h1,app@h2" {
		t.Errorf("backends provided by %q", got)
	}
	// Provided values that are not components: the require() on the
	// line of the assignment says where they came from.
	info, _ = m.Attribute(proxy, "names")
	if got := strings.Join(info.ProvidedBy, ","); got != "app@h1,app@h2" || info.Value.String() != `["app", "app"]` {
		t.Errorf("names = %s provided by %q", info.Value, got)
	}
	if info, _ := m.Attribute(app, "port"); info.Doc != "the port to listen on" || info.Type != "int" {
		t.Errorf("port: doc %q type %q", info.Doc, info.Type)
	}
}

func TestSecretOriginIsMasked(t *testing.T) {
	m := provenanceModel(t)
	r := rootNamed(t, m, "app@h1")
	// A secret override, as the secrets file gives it.
	o := r.Overrides[0]
	o.Secret = true
	m.Sensitive.Add("9000")
	m2 := &Model{Project: m.Project, Env: m.Env, Hosts: m.Hosts, Roots: m.Roots, Sensitive: m.Sensitive}
	if errs := m2.Configure(); len(errs) > 0 {
		t.Fatal(errs)
	}
	info, _ := m2.Attribute(r.Top(), "port")
	if info.Origin.Kind != starlib.FromSecret || !info.Secret {
		t.Errorf("port: origin %v secret %v", info.Origin, info.Secret)
	}
	// The address shows the secret too: it is masked by value.
	info, _ = m2.Attribute(r.Top(), "address")
	if !info.Secret || m2.Mask(info.Value.String()) != `"h1:***"` {
		t.Errorf("address: secret %v, masked %s", info.Secret, m2.Mask(info.Value.String()))
	}
}

func TestResourcesAndDependencies(t *testing.T) {
	m := provenanceModel(t)
	res := m.Resources()
	if len(res) != 1 || res[0].Key != "app" {
		t.Fatalf("resources %+v", res)
	}
	var prov, req []string
	for _, p := range res[0].Provided {
		prov = append(prov, p.Root.ID())
	}
	for _, r := range res[0].Required {
		req = append(req, r.Root.ID())
		for _, p := range r.Providers {
			req = append(req, "<"+p.ID())
		}
	}
	if strings.Join(prov, ",") != "app@h1,app@h2" || strings.Join(req, ",") != "proxy@h1,<app@h1,<app@h2,proxy@h1,<app@h1,<app@h2" {
		t.Errorf("provided %v, required %v", prov, req)
	}
	var deps []string
	for _, r := range m.DependsOn(rootNamed(t, m, "proxy@h1")) {
		deps = append(deps, r.ID())
	}
	if strings.Join(deps, ",") != "app@h1,app@h2" {
		t.Errorf("proxy depends on %v", deps)
	}
}

// BenchmarkConfigureAssign measures configure code that assigns
// attributes (self.x = ..., c.name = ...), each recording where.
func BenchmarkConfigureAssign(b *testing.B) {
	dir := benchProject(b, 10000, "it = Item(index = i)\n        it.name = \"item-\" + str(i)\n        self += it\n        self.last = i")
	for b.Loop() {
		configureOnce(b, dir)
	}
}
