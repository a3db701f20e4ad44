package starlib

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/batou-go/batou/components"
	"go.starlark.net/starlark"
)

// cmdArgs are the arguments of self.cmd and self.assert_cmd.
type cmdArgs struct {
	line             string
	silent, ignoreRC bool
	env              *starlark.Dict
	expand           bool
}

func unpackCmd(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (cmdArgs, error) {
	var a cmdArgs
	var env starlark.Value = starlark.None
	err := starlark.UnpackArgs(b.Name(), args, kwargs, "cmdline", &a.line, "silent?", &a.silent,
		"ignore_returncode?", &a.ignoreRC, "env?", &env, "expand?", &a.expand)
	if err != nil {
		return a, err
	}
	switch e := env.(type) {
	case starlark.NoneType:
	case *starlark.Dict:
		a.env = e
	default:
		return a, fmt.Errorf("%s: env must be a dict or None, not %s", b.Name(), env.Type())
	}
	return a, nil
}

// run executes the command with /bin/sh in the workdir.
func (c *Component) run(thread *starlark.Thread, a cmdArgs) (string, string, error) {
	line := a.line
	if a.expand {
		out, err := c.render(thread, "<command>", line, c, nil)
		if err != nil {
			return "", "", err
		}
		line = out
	}
	cmd := c.command(line)
	ctx := c.root.session.Context
	cmd.Dir = c.root.Workdir
	cmd.Env = os.Environ()
	if a.env != nil {
		for _, kv := range a.env.Items() {
			k, _ := starlark.AsString(kv[0])
			v, _ := starlark.AsString(kv[1])
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if a.ignoreRC {
			err = nil
		} else {
			err = &CmdError{Cmd: line, ExitCode: exit.ExitCode(), Stdout: c.outputTail(stdout.String()), Stderr: c.outputTail(stderr.String())}
		}
	} else if errors.Is(err, exec.ErrWaitDelay) && (ctx == nil || ctx.Err() == nil) { // it exited 0
		err = components.HeldOutputError("`" + line + "`")
	} else if err != nil {
		err = fmt.Errorf("running %s: %w", line, err)
	}
	return stdout.String(), stderr.String(), err
}

// cmdTailLines is how many of the last lines of a failed command's
// stdout and stderr its error quotes.
const cmdTailLines = 40

// outputTail is the end of a failed command's output, for its error:
// masked whole before it is cut, so that no part of a secret is left.
func (c *Component) outputTail(out string) string {
	return components.OutputTail(c.root.session.Sensitive.Mask(out), cmdTailLines)
}

func cmdMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := needPhase(thread, "self.cmd", PhaseHost); err != nil {
		return nil, err
	}
	a, err := unpackCmd(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	out, errOut, err := receiver(b).run(thread, a)
	if err != nil {
		return nil, err
	}
	return starlark.Tuple{starlark.String(out), starlark.String(errOut)}, nil
}

func assertCmdMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := needPhase(thread, "self.assert_cmd", PhaseHost); err != nil {
		return nil, err
	}
	a, err := unpackCmd(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	if _, _, err := receiver(b).run(thread, a); err != nil {
		var ce *CmdError
		if errors.As(err, &ce) {
			return nil, &UpdateNeeded{Reason: fmt.Sprintf("%s exited with %d", ce.Cmd, ce.ExitCode)}
		}
		return nil, err
	}
	return starlark.None, nil
}

// mtime returns the modification time of p, relative to the workdir.
func (c *Component) mtime(p string) (time.Time, bool) {
	info, err := os.Stat(c.hostPath(p))
	if err != nil {
		return time.Time{}, false
	}
	return info.ModTime(), true
}

// hostPath resolves p on the host: ~ to the home directory, relative paths
// against the workdir.
func (c *Component) hostPath(p string) string {
	home := ""
	if h := c.root.session.Host; h != nil {
		home = h.Home()
	}
	return resolveHostPath(c.root.Workdir, home, p)
}

func assertFileIsCurrent(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := needPhase(thread, "self.assert_file_is_current", PhaseHost); err != nil {
		return nil, err
	}
	var p string
	var reqs *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &p, "requirements?", &reqs); err != nil {
		return nil, err
	}
	c := receiver(b)
	ref, ok := c.mtime(p)
	if !ok {
		return nil, &UpdateNeeded{Reason: p + " does not exist"}
	}
	for i := 0; reqs != nil && i < reqs.Len(); i++ {
		r, _ := starlark.AsString(reqs.Index(i))
		if t, ok := c.mtime(r); ok && t.After(ref) {
			return nil, &UpdateNeeded{Reason: fmt.Sprintf("%s is newer than %s", r, p)}
		}
	}
	return starlark.None, nil
}

// lastUpdated returns when c was last updated: its last_updated function,
// or the mtime of its path attribute.
func (c *Component) lastUpdated(thread *starlark.Thread) (time.Time, bool, error) {
	if c.def.lastUpdated != nil {
		v, err := starlark.Call(thread, c.def.lastUpdated, starlark.Tuple{c}, nil)
		if err != nil || v == starlark.None {
			return time.Time{}, false, err
		}
		f, ok := starlark.AsFloat(v)
		if !ok {
			return time.Time{}, false, fmt.Errorf("%s: last_updated must return a number (seconds) or None, not %s", c.Label(), v.Type())
		}
		return time.Unix(0, int64(f*1e9)), true, nil
	}
	if p, ok := c.stringValue("path"); ok {
		t, ok := c.mtime(p)
		return t, ok, nil
	}
	return time.Time{}, false, fmt.Errorf("%s has no last_updated and no path", c.Label())
}

func assertComponentIsCurrent(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := needPhase(thread, "self.assert_component_is_current", PhaseHost); err != nil {
		return nil, err
	}
	var reqs starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "components", &reqs); err != nil {
		return nil, err
	}
	c := receiver(b)
	self, ok, err := c.lastUpdated(thread)
	if err != nil || !ok {
		return nil, orUpdate(err, c.Label()+" was never updated")
	}
	for _, r := range componentList(reqs) {
		t, ok, err := r.lastUpdated(thread)
		if err != nil {
			return nil, err
		}
		if ok && t.After(self) {
			return nil, &UpdateNeeded{Reason: r.Label() + " is newer"}
		}
	}
	return starlark.None, nil
}

func orUpdate(err error, reason string) error {
	if err != nil {
		return err
	}
	return &UpdateNeeded{Reason: reason}
}

func componentList(v starlark.Value) []*Component {
	if c, ok := v.(*Component); ok {
		return []*Component{c}
	}
	var out []*Component
	if l, ok := v.(starlark.Indexable); ok {
		for i := 0; i < l.Len(); i++ {
			if c, ok := l.Index(i).(*Component); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

func assertNoSubcomponentChanges(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := needPhase(thread, "self.assert_no_subcomponent_changes", PhaseHost); err != nil {
		return nil, err
	}
	for _, ch := range receiver(b).children {
		if ch.Changed {
			return nil, &UpdateNeeded{Reason: ch.Label() + " changed"}
		}
	}
	return starlark.None, nil
}

func assertNoChanges(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := needPhase(thread, "self.assert_no_changes", PhaseHost); err != nil {
		return nil, err
	}
	if receiver(b).Changed {
		return nil, &UpdateNeeded{Reason: "changed"}
	}
	return assertNoSubcomponentChanges(thread, b, args, kwargs)
}

func touchMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := needPhase(thread, "self.touch", PhaseHost); err != nil {
		return nil, err
	}
	var p string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &p); err != nil {
		return nil, err
	}
	full := receiver(b).hostPath(p)
	now := time.Now()
	if err := os.Chtimes(full, now, now); err == nil {
		return starlark.None, nil
	}
	f, err := os.OpenFile(full, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("touch %s: %w", p, unwrapPathError(err))
	}
	return starlark.None, f.Close()
}

// command prepares /bin/sh -c line. Its output is read for at most
// components.OutputGrace after it ended (a process it left in the
// background may hold it open). With a session context, the command runs
// in a process group of its own that is killed when the context is done
// (the agent's controller went away), so nothing it started lingers.
func (c *Component) command(line string) *exec.Cmd {
	ctx := c.root.session.Context
	if ctx == nil {
		cmd := exec.Command("/bin/sh", "-c", line)
		cmd.WaitDelay = components.OutputGrace
		return cmd
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", line)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = components.OutputGrace
	return cmd
}
