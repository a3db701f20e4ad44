package components

import (
	"fmt"
	"os"
	"path"
	"strings"
	"sync"
)

// unitSuffixes are the unit types systemd.Unit accepts.
var unitSuffixes = []string{".service", ".timer", ".socket", ".target", ".path", ".mount", ".automount", ".slice", ".scope", ".swap", ".device"}

// unitAttrs are the attributes every systemd kind has.
func unitAttrs() []Attr {
	return []Attr{
		{Name: "scope", Type: TypeStr, Default: "system", Doc: `"system" (/etc/systemd/system, systemctl) or "user" (~/.config/systemd/user, systemctl --user)`},
		{Name: "unit_dir", Type: TypeStr, Default: "", Doc: "the directory of the unit file; default: by scope"},
		{Name: "enable", Type: TypeBool, Default: true, Doc: "True: enabled (systemctl enable); False: disabled; None: left alone"},
		{Name: "state", Type: TypeStr, Default: "started", Doc: `"started", "stopped", or None: left alone`},
		{Name: "restart_on_change", Type: TypeBool, Default: true, Doc: "restart a started unit when a component before it under the same parent changed in this deploy (a changed unit file always restarts it)"},
	}
}

func systemdUnitKind() *Kind {
	attrs := []Attr{{Name: "name", Type: TypeStr, Required: true, Doc: "the unit name with its type: app.service, backup.timer"}}
	for _, a := range contentAttrs()[1:] {
		if a.Name == "content" || a.Name == "source" || a.Name == "is_template" || a.Name == "template_args" {
			attrs = append(attrs, a)
		}
	}
	return &Kind{
		Name:    "systemd.Unit",
		Namevar: "name",
		Doc: "systemd.Unit writes a unit file (content=, source= or the file of the definition directory " +
			"named like the unit, rendered as a template) atomically and only when it differs, then " +
			"asks systemctl to enable and start it. After unit files changed, systemctl daemon-reload runs " +
			"once, right before the next systemctl command that needs it or at the end of the root. A " +
			"started unit is restarted when its file changed and, with restart_on_change (the default " +
			"except for timers), when a component before it under the same parent changed in this " +
			"deploy (its configuration, its code); at most once per deploy.",
		Attrs:     append(attrs, unitAttrs()...),
		Expand:    expandSystemdUnit,
		Verify:    verifyUnit,
		Update:    updateUnit,
		Finish:    finishSystemd,
		Writes:    "path",
		ReadAhead: "path",
	}
}

func expandSystemdUnit(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, err := unitBase(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	out["encoding"], out["sensitive_data"] = encUTF8, nil
	out[DisplayAttr] = out.str("name")
	data, err := finalContent(ctx, out, breadcrumb{"systemd.Unit", out.str("name")})
	if err != nil {
		return nil, nil, err
	}
	out["content"] = data
	return out, nil, nil
}

// unitBase checks the attributes all systemd kinds share and sets path,
// the unit file.
func unitBase(ctx ExpandContext, a Attrs) (Attrs, error) {
	out := Attrs{}
	for k, v := range a {
		out[k] = v
	}
	name := a.str("name")
	if name == "" || strings.ContainsAny(name, "/ ") || !hasUnitSuffix(name) {
		return nil, fmt.Errorf("name %q is not a unit name; hint: give the type too, as in app.service", name)
	}
	scope := a.str("scope")
	dir := a.str("unit_dir")
	switch scope {
	case "system":
		if dir == "" {
			dir = "/etc/systemd/system"
		}
	case "user":
		if dir == "" {
			dir = "~/.config/systemd/user"
		}
	default:
		return nil, fmt.Errorf(`scope must be "system" or "user", not %q`, scope)
	}
	switch s := a["state"].(type) {
	case nil:
	case string:
		if s != "started" && s != "stopped" {
			return nil, fmt.Errorf(`state must be "started", "stopped" or None, not %q`, s)
		}
	}
	out["path"] = ctx.Map(path.Join(dir, name))
	return out, nil
}

func hasUnitSuffix(name string) bool {
	for _, s := range unitSuffixes {
		if strings.HasSuffix(name, s) && len(name) > len(s) {
			return true
		}
	}
	return false
}

// systemdState is what the systemd kinds share in one deploy: whether a
// daemon-reload is due, and which units were (re)started.
type systemdState struct {
	mu        sync.Mutex
	reload    map[string]bool // by scope
	restarted map[string]bool // by scope + "/" + unit
}

func sdState(ctx *Context) *systemdState {
	return ctx.Shared.Value("systemd", func() any {
		return &systemdState{reload: map[string]bool{}, restarted: map[string]bool{}}
	}).(*systemdState)
}

func (s *systemdState) setReload(scope string, v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reload[scope] = v
}

func (s *systemdState) reloadDue(scope string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reload[scope]
}

func (s *systemdState) markRestarted(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restarted[key] = true
}

func (s *systemdState) wasRestarted(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarted[key]
}

// systemctl builds a systemctl run for the scope.
func systemctl(scope string, args ...string) toolCmd {
	if scope == "user" {
		args = append([]string{"--user"}, args...)
	}
	return toolCmd{name: "systemctl", args: args}
}

// unitStatus asks systemctl whether a unit is enabled and active.
type unitStatus struct{ enabled, active string }

func queryUnit(ctx *Context, scope, name string) (unitStatus, error) {
	var st unitStatus
	res, err := systemctl(scope, "is-enabled", name).run(ctx)
	if err != nil {
		return st, err
	}
	st.enabled = firstLine(res.stdout)
	res, err = systemctl(scope, "is-active", name).run(ctx)
	if err != nil {
		return st, err
	}
	st.active = firstLine(res.stdout)
	return st, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// enabledEnough reports whether an is-enabled answer counts as enabled:
// units without an [Install] section cannot be enabled further.
func enabledEnough(s string) bool {
	switch s {
	case "enabled", "enabled-runtime", "static", "indirect", "generated", "alias", "linked":
		return true
	}
	return false
}

func isActive(s string) bool { return s == "active" || s == "activating" || s == "reloading" }

// unitNeeds lists what a unit needs besides its file; file tells whether
// the file differs.
func unitNeeds(ctx *Context, a Attrs, file bool) ([]string, error) {
	scope, name := a.str("scope"), a.str("name")
	enable, state := a["enable"], a["state"]
	if enable == nil && state == nil {
		return nil, nil
	}
	st, err := queryUnit(ctx, scope, name)
	if err != nil {
		return nil, err
	}
	var needs []string
	switch {
	case enable == true && !enabledEnough(st.enabled):
		needs = append(needs, "enable (is "+st.enabled+")")
	case enable == false && st.enabled == "enabled":
		needs = append(needs, "disable")
	}
	switch {
	case state == "started" && !isActive(st.active):
		needs = append(needs, "start (is "+st.active+")")
	case state == "stopped" && isActive(st.active):
		needs = append(needs, "stop")
	case state == "started" && a.flag("restart_on_change") && !file && ctx.ParentChanged &&
		!sdState(ctx).wasRestarted(scope+"/"+name):
		needs = append(needs, "restart (a component before it changed)")
	}
	return needs, nil
}

func verifyUnit(ctx *Context, a Attrs) (Result, error) {
	res, err := verifyContent(ctx, a)
	if err != nil {
		return Result{}, err
	}
	needs, err := unitNeeds(ctx, a, res.NeedsUpdate)
	if err != nil {
		return Result{}, err
	}
	if len(needs) > 0 {
		reason := strings.Join(needs, ", ")
		if res.NeedsUpdate {
			reason = res.Reason + "; " + reason
		}
		res.NeedsUpdate, res.Reason = true, reason
	}
	return res, nil
}

func updateUnit(ctx *Context, a Attrs) error {
	scope, name := a.str("scope"), a.str("name")
	sd := sdState(ctx)
	file, err := verifyContent(ctx, a)
	if err != nil {
		return err
	}
	if file.NeedsUpdate {
		if err := mkdirParent(ctx.hostPath(a.str("path"))); err != nil {
			return err
		}
		if err := updateContent(ctx, a); err != nil {
			return err
		}
		sd.setReload(scope, true)
	}
	if a["enable"] == nil && a["state"] == nil {
		return nil
	}
	if err := reloadIfDue(ctx, sd, scope); err != nil {
		return err
	}
	st, err := queryUnit(ctx, scope, name)
	if err != nil {
		return err
	}
	if err := applyEnable(ctx, scope, name, a["enable"], st); err != nil {
		return err
	}
	return applyState(ctx, sd, a, st, file.NeedsUpdate)
}

func reloadIfDue(ctx *Context, sd *systemdState, scope string) error {
	if !sd.reloadDue(scope) {
		return nil
	}
	if _, err := systemctl(scope, "daemon-reload").check(ctx); err != nil {
		return err
	}
	sd.setReload(scope, false)
	return nil
}

func applyEnable(ctx *Context, scope, name string, enable any, st unitStatus) error {
	var err error
	switch {
	case enable == true && !enabledEnough(st.enabled):
		_, err = systemctl(scope, "enable", name).check(ctx)
	case enable == false && st.enabled == "enabled":
		_, err = systemctl(scope, "disable", name).check(ctx)
	}
	return err
}

func applyState(ctx *Context, sd *systemdState, a Attrs, st unitStatus, fileChanged bool) error {
	scope, name := a.str("scope"), a.str("name")
	key := scope + "/" + name
	var err error
	switch a["state"] {
	case "started":
		restart := (fileChanged || (a.flag("restart_on_change") && ctx.ParentChanged)) && !sd.wasRestarted(key)
		switch {
		case restart && isActive(st.active):
			_, err = systemctl(scope, "restart", name).check(ctx)
		case !isActive(st.active):
			_, err = systemctl(scope, "start", name).check(ctx)
		}
		if err == nil {
			sd.markRestarted(key)
		}
	case "stopped":
		if isActive(st.active) {
			_, err = systemctl(scope, "stop", name).check(ctx)
		}
	}
	return err
}

// finishSystemd runs the daemon-reload that unit files written without a
// later systemctl command still need.
func finishSystemd(ctx *Context) error {
	sd := sdState(ctx)
	for _, scope := range []string{"system", "user"} {
		if err := reloadIfDue(ctx, sd, scope); err != nil {
			return err
		}
	}
	return nil
}

// mkdirParent creates the directory of a file that is about to be
// written (a user's ~/.config/systemd/user may not exist yet).
func mkdirParent(p string) error {
	if err := os.MkdirAll(path.Dir(p), 0o755); err != nil {
		return fmt.Errorf("creating the directory of %s: %w", p, err)
	}
	return nil
}
