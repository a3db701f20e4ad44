package components

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"syscall"
)

func commandKind() *Kind {
	return &Kind{
		Name:    "Command",
		Namevar: "cmd",
		Doc: "Command runs a shell command (/bin/sh -c) when a guard says it is needed: creates= (a path " +
			"that the command makes; it runs while the path is missing), unless= (a command; it runs " +
			"while that fails) or onlyif= (a command; it runs while that succeeds). One guard is " +
			"required, so that a second deploy does nothing; after the command the guard must be " +
			"satisfied, otherwise the component fails as not converging. A failing command fails the " +
			"component with the end of its output.",
		Attrs: []Attr{
			{Name: "cmd", Type: TypeStr, Required: true, Doc: "the command, run with /bin/sh -c"},
			{Name: "creates", Type: TypeStr, Doc: "a path the command creates; relative paths are relative to the workdir"},
			{Name: "unless", Type: TypeStr, Doc: "a command; cmd runs when it exits non-zero"},
			{Name: "onlyif", Type: TypeStr, Doc: "a command; cmd runs when it exits zero"},
			{Name: "cwd", Type: TypeStr, Doc: "the directory to run in (cmd and the guards); default: the workdir"},
			{Name: "env", Type: TypeDict, Doc: "environment variables added for cmd and the guards"},
			{Name: "user", Type: TypeStr, Doc: "run cmd and the guards as this user (name or uid; the agent must run as root)"},
		},
		Expand: expandCommand,
		Verify: verifyCommand,
		Update: updateCommand,
	}
}

func expandCommand(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	if a.str("cmd") == "" {
		return nil, nil, errors.New("cmd must not be empty")
	}
	out := Attrs{}
	for k, v := range a {
		out[k] = v
	}
	if a.str("creates") == "" && a.str("unless") == "" && a.str("onlyif") == "" {
		return nil, nil, errors.New("Command needs a guard: creates=, unless= or onlyif=; without one it would " +
			"run on every deploy (hint: unless=\"test -e /some/result\" if nothing else fits)")
	}
	for _, name := range []string{"creates", "cwd"} {
		if p := a.str(name); p != "" {
			out[name] = ctx.Map(p)
		}
	}
	if _, err := commandEnv(a); err != nil {
		return nil, nil, err
	}
	return out, nil, nil
}

// commandEnv turns the env attribute into NAME=value strings, sorted.
func commandEnv(a Attrs) ([]string, error) {
	m, _ := a["env"].(map[string]any)
	out := make([]string, 0, len(m))
	for k, v := range m {
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case int64:
			s = strconv.FormatInt(v, 10)
		case bool:
			s = strconv.FormatBool(v)
		default:
			return nil, fmt.Errorf("env: the value of %s must be a string or a number, not %s", k, typeName(v))
		}
		out = append(out, k+"="+s)
	}
	sort.Strings(out)
	return out, nil
}

// shell builds the run of a shell command of a Command component; what
// names it in errors ("command", "unless command").
func (c *Context) shell(a Attrs, script, what string) (toolCmd, error) {
	env, err := commandEnv(a)
	if err != nil {
		return toolCmd{}, err
	}
	dir := c.Workdir
	if cwd := a.str("cwd"); cwd != "" {
		dir = c.hostPath(cwd)
	}
	t := toolCmd{name: "/bin/sh", args: []string{"-c", script}, dir: dir, env: env, show: what}
	if u := a.str("user"); u != "" {
		cred, err := credentialOf(u)
		if err != nil {
			return toolCmd{}, err
		}
		t.cred = cred
	}
	return t, nil
}

// credentialOf looks up a user for running a command as that user.
func credentialOf(name string) (*syscall.Credential, error) {
	u, err := userDB{}.user(name)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", name, err)
	}
	if os.Geteuid() != 0 && u.uid != os.Geteuid() {
		return nil, fmt.Errorf("running a command as %s needs root; the agent runs as uid %d", name, os.Geteuid())
	}
	return &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid)}, nil
}

func verifyCommand(ctx *Context, a Attrs) (Result, error) {
	if p := a.str("creates"); p != "" {
		_, err := os.Lstat(ctx.hostPath(p))
		switch {
		case err == nil:
			return Result{}, nil
		case !missing(ctx, err):
			return Result{}, fmt.Errorf("checking creates=%s: %w", p, err)
		}
		return Result{NeedsUpdate: true, Reason: "missing: " + p}, nil
	}
	guard, wantZero := a.str("unless"), true
	if guard == "" {
		guard, wantZero = a.str("onlyif"), false
	}
	t, err := ctx.shell(a, guard, "guard")
	if err != nil {
		return Result{}, err
	}
	res, err := t.run(ctx)
	if err != nil {
		return Result{}, err
	}
	if (res.code == 0) == wantZero {
		return Result{}, nil
	}
	if wantZero {
		return Result{NeedsUpdate: true, Reason: fmt.Sprintf("unless command exited %d", res.code)}, nil
	}
	return Result{NeedsUpdate: true, Reason: "onlyif command succeeded"}, nil
}

func updateCommand(ctx *Context, a Attrs) error {
	t, err := ctx.shell(a, a.str("cmd"), "command")
	if err != nil {
		return err
	}
	_, err = t.check(ctx)
	return err
}
