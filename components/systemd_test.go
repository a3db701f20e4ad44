package components

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSystemctl puts the stand-in systemctl of testdata first on PATH (no
// systemd runs in the test machine) and returns a function that returns
// the calls made since the last time it was called.
func fakeSystemctl(t *testing.T) func() []string {
	t.Helper()
	bin, state := t.TempDir(), t.TempDir()
	script, err := os.ReadFile("testdata/systemctl")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(bin, "systemctl"), string(script), 0o755)
	log := filepath.Join(t.TempDir(), "calls")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("SYSTEMCTL_LOG", log)
	t.Setenv("SYSTEMCTL_STATE", state)
	return func() []string {
		data, _ := os.ReadFile(log)
		os.Remove(log)
		return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(data)), " ", "_"))
	}
}

// golden compares got with testdata/systemd/name; BATOU_UPDATE_GOLDEN=1
// rewrites the file.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "systemd", name)
	if os.Getenv("BATOU_UPDATE_GOLDEN") == "1" {
		writeFile(t, p, got, 0o644)
	}
	if want := readFile(t, p); got != want {
		t.Fatalf("%s differs from its golden file:\n got %q\nwant %q", name, got, want)
	}
}

// deployCtx is the context of one deploy: a fresh Shared store.
func (p *testProject) deployCtx() *Context {
	c := p.ctx(false)
	c.Shared = NewShared()
	return c
}

func TestSystemdService(t *testing.T) {
	calls := fakeSystemctl(t)
	p := newProject(t)
	n := p.mustExpand("systemd.Service", Attrs{"name": "app", "exec_start": "/srv/app/bin/run --port 8080",
		"user": "app", "working_directory": "/srv/app", "unit_dir": "units",
		"environment": map[string]any{"PORT": int64(8080), "GREETING": `hello "world" 100%`},
		"extra":       map[string]any{"Service_LimitNOFILE": int64(65536), "Unit_Requires": "db.service", "ExecStartPre": []any{"/bin/true", "/bin/true x"}}})
	if n.label() != "systemd.Service('app.service')" {
		t.Fatalf("label %s", n.label())
	}
	golden(t, "app.service", n.attrs.str("content"))
	if got := mustDeploy(t, p.deployCtx(), n); len(got) != 1 {
		t.Fatalf("first deploy changed %v", got)
	}
	if got := readFile(t, p.work("units/app.service")); got != n.attrs.str("content") {
		t.Fatalf("unit file %q", got)
	}
	want := "is-enabled_app.service is-active_app.service daemon-reload is-enabled_app.service is-active_app.service " +
		"enable_app.service start_app.service is-enabled_app.service is-active_app.service"
	if got := strings.Join(calls(), " "); got != want {
		t.Fatalf("calls:\n got %s\nwant %s", got, want)
	}
	if got := mustDeploy(t, p.deployCtx(), n); len(got) != 0 {
		t.Fatalf("second deploy changed %v", got)
	}
	calls()

	// A component before it changed: restarted once in that deploy.
	ctx := p.deployCtx()
	ctx.ParentChanged = true
	res, err := n.kind.Verify(ctx, n.attrs)
	if err != nil || res.Reason != "restart (a component before it changed)" {
		t.Fatalf("parent changed: %+v %v", res, err)
	}
	if got := mustDeploy(t, ctx, n); len(got) != 1 || !contains(calls(), "restart_app.service") {
		t.Fatalf("parent changed: changed %v", got)
	}

	// Drift: the unit file edited and the service stopped by hand.
	writeFile(t, p.work("units/app.service"), "[Service]\nExecStart=/bin/false\n", 0o644)
	if got := mustDeploy(t, p.deployCtx(), n); len(got) != 1 {
		t.Fatalf("drift: changed %v", got)
	}
	if got := calls(); !contains(got, "daemon-reload") || !contains(got, "restart_app.service") {
		t.Fatalf("drift: calls %v", got)
	}
	os.Remove(filepath.Join(os.Getenv("SYSTEMCTL_STATE"), "app.service.active"))
	mustDeploy(t, p.deployCtx(), n)
	if got := calls(); !contains(got, "start_app.service") || contains(got, "daemon-reload") {
		t.Fatalf("stopped by hand: calls %v", got)
	}
}

// A timer writes its service (not enabled, not started) and itself, with
// one daemon-reload before the timer is started.
func TestSystemdTimer(t *testing.T) {
	calls := fakeSystemctl(t)
	p := newProject(t)
	n := p.mustExpand("systemd.Timer", Attrs{"name": "backup", "on_calendar": "*-*-* 03:00:00", "command": "/srv/app/bin/backup",
		"user": "app", "persistent": true, "unit_dir": "units", "service_extra": map[string]any{"TimeoutStartSec": "1h"}})
	golden(t, "backup.timer", n.attrs.str("content"))
	if len(n.children) != 1 || n.children[0].label() != "systemd.Unit('backup.service')" {
		t.Fatalf("children %v", kinds(n))
	}
	golden(t, "backup.service", n.children[0].attrs.str("content"))
	if got := mustDeploy(t, p.deployCtx(), n); len(got) != 2 {
		t.Fatalf("first deploy changed %v", got)
	}
	want := "is-enabled_backup.timer is-active_backup.timer daemon-reload is-enabled_backup.timer is-active_backup.timer " +
		"enable_backup.timer start_backup.timer is-enabled_backup.timer is-active_backup.timer"
	if got := strings.Join(calls(), " "); got != want {
		t.Fatalf("calls:\n got %s\nwant %s", got, want)
	}
	if got := mustDeploy(t, p.deployCtx(), n); len(got) != 0 {
		t.Fatalf("second deploy changed %v", got)
	}
}

// A unit file nothing starts afterwards gets its daemon-reload from
// Finish, at the end of the root.
func TestSystemdUnitFinish(t *testing.T) {
	calls := fakeSystemctl(t)
	p := newProject(t)
	p.asset("app.socket", "[Socket]\nListenStream={{ args.port }}\n")
	n := p.mustExpand("systemd.Unit", Attrs{"name": "app.socket", "unit_dir": "units", "enable": nil, "state": nil,
		"template_args": map[string]any{"port": int64(8080)}})
	ctx := p.deployCtx()
	if got := mustDeploy(t, ctx, n); len(got) != 1 || len(calls()) != 0 {
		t.Fatalf("deploy changed %v", got)
	}
	if got := readFile(t, p.work("units/app.socket")); got != "[Socket]\nListenStream=8080\n" {
		t.Fatalf("unit file %q", got)
	}
	if err := n.kind.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.kind.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if got := calls(); strings.Join(got, " ") != "daemon-reload" {
		t.Fatalf("finish: calls %v", got)
	}
}

func TestSystemdErrors(t *testing.T) {
	p := newProject(t)
	for _, tc := range []struct {
		kind  string
		attrs Attrs
		msg   string
	}{
		{"systemd.Unit", Attrs{"name": "app", "content": "x"}, `name "app" is not a unit name; hint: give the type too, as in app.service`},
		{"systemd.Unit", Attrs{"name": "a.service", "content": "x", "scope": "global"}, `scope must be "system" or "user", not "global"`},
		{"systemd.Unit", Attrs{"name": "a.service", "content": "x", "state": "running"}, `state must be "started", "stopped" or None, not "running"`},
		{"systemd.Unit", Attrs{"name": "a.service"}, "missing implicit template file a.service"},
		{"systemd.Service", Attrs{"name": "a"}, "exec_start is required"},
		{"systemd.Service", Attrs{"name": "a", "exec_start": "x", "environment": map[string]any{"A": []any{}}}, "environment: the value of A must be a string or a number"},
		{"systemd.Service", Attrs{"name": "a", "exec_start": "x", "extra": map[string]any{"Unit_After": map[string]any{}}}, "extra: Unit_After: a dict cannot be a unit file value"},
		{"systemd.Timer", Attrs{"name": "a", "command": "x"}, "on_calendar is required"},
		{"systemd.Timer", Attrs{"name": "a", "on_calendar": "daily"}, "command is required"},
		{"systemd.Timer", Attrs{"name": "a", "on_calendar": "daily", "command": "x", "service_extra": map[string]any{"X": 1.5}}, "service_extra: X: a float cannot be a unit file value"},
	} {
		_, err := p.expand(tc.kind, tc.attrs)
		wantErr(t, err, tc.msg)
	}
}
