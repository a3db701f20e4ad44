package runtime

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/batou-go/batou/environments"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"go.starlark.net/starlark"
)

// Configure runs configure for every root of every host (ignored ones
// too), repeating roots whose required values changed until nothing
// changes. It returns every configuration and resolution error, sorted.
// After load errors it still configures what loaded, to show its errors
// too, but leaves out resolution errors (values may come from what did
// not load) and the model cannot be compiled.
func (m *Model) Configure() Errors {
	return m.ConfigureWith(ConfigureOptions{})
}

// ConfigureWith is Configure with a way to stop it and to watch it.
func (m *Model) ConfigureWith(o ConfigureOptions) Errors {
	stop := m.watchConfigure(o)
	defer stop()
	reg := newRegistry(m)
	m.resolution = reg
	m.Project.Session.Resources = reg
	// The first round configures every root; it is not remembered as a
	// working set, so needing every root again once is not yet a loop.
	working := make([]bool, len(m.Roots))
	for i := range working {
		working[i] = true
	}
	for {
		m.Rounds++
		for i, r := range m.Roots {
			if working[i] && !m.stopped() {
				m.configureRoot(r, reg)
			}
		}
		if m.stopped() {
			return Errors{m.interruptedError()}
		}
		next := reg.dirtyRoots()
		if !anyTrue(next) {
			break
		}
		if reg.seen(next) {
			reg.notSettling(next)
			break
		}
		reg.remember(next)
		working = next
	}
	m.configured = !m.incomplete
	errs := m.rootErrors()
	if !m.incomplete {
		reg.diagnoseWaiting()
		errs = append(errs, reg.errors()...)
		errs = append(errs, m.pathConflicts()...)
	}
	m.Warnings = append(m.Warnings, m.unusedInstances()...)
	errs = errs.dedup()
	errs.Sort()
	return errs
}

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

func (m *Model) envInfo() plan.EnvInfo {
	return plan.EnvInfo{Name: m.Env.Name, HostDomain: m.Env.HostDomain, Platform: m.Env.Platform,
		TargetDirectory: m.Env.TargetDirectory, ConnectMethod: m.Env.ConnectMethod}
}

// configureRoot configures one root with a fresh instance.
func (m *Model) configureRoot(r *Root, reg *registry) {
	s := m.Project.Session
	envInfo := m.envInfo()
	envInfo.TargetDirectory = r.Host.TargetDirectory
	reg.reset(r)
	m.busy.Store(&busyRoot{root: r, since: time.Now(), round: m.Rounds})
	defer m.busy.Store(nil)
	sr := s.NewRoot(r.Name, starlib.NewHost(r.Host.Info), starlib.NewEnvironment(envInfo, m.SecretFiles), r.Workdir())
	sr.DefdirRel = filepath.ToSlash(filepath.Dir(r.Def.File()))
	sr.Defdir = filepath.Join(m.Project.Dir, filepath.FromSlash(sr.DefdirRel))
	sr.Instantiate(r.Def)
	r.current = sr
	reg.byRoot[sr] = r
	thread := s.NewThread(r.ID(), starlib.PhaseConfigure)
	defer s.Done(thread)
	r.err = m.applyOverrides(r, thread)
	if r.err == nil {
		r.err = sr.Configure(thread)
		if serr := starlib.StepsError(thread, r.err, s.MaxSteps); serr != nil {
			r.err = serr
		}
	}
}

func (m *Model) applyOverrides(r *Root, thread *starlark.Thread) error {
	var errs Errors
	for _, o := range r.Overrides {
		err := r.current.ApplyOverride(thread, o.Key, o.Value, overrideOrigin(o))
		var unknown *starlib.UnknownAttrError
		if err == nil || errors.As(err, &unknown) {
			continue // unknown attributes are reported once, at load
		}
		msg := fmt.Sprintf("cannot convert %s = %s: %s", o.Key, o.Value, starlib.Message(err))
		if o.Secret { // the value and messages quoting it stay hidden
			msg = fmt.Sprintf("cannot convert the secret value of %s to %s", o.Key, r.Def.Spec(o.Key).Kind)
		}
		errs = append(errs, &Error{File: o.Pos.File, Line: o.Pos.Line, Host: r.Host.Name, Component: r.Def.Name(),
			Attribute: o.Key, Msg: msg, Hint: fmt.Sprintf("%s.%s is declared as %s", r.Def.Name(), o.Key, r.Def.Spec(o.Key).Kind)})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// overrideOrigin says where an override is written: in the environment
// file or in the secrets.
func overrideOrigin(o *environments.Setting) starlib.Origin {
	kind := starlib.FromEnvironment
	if o.Secret {
		kind = starlib.FromSecret
	}
	return starlib.Origin{Kind: kind, Pos: starlib.EnvPosition(o.Pos.File, o.Pos.Line)}
}

// rootErrors collects the errors of each root's last configure.
func (m *Model) rootErrors() Errors {
	var out Errors
	for _, r := range m.Roots {
		if r.err == nil || errors.Is(r.err, errWaiting) {
			continue
		}
		var list Errors
		if errors.As(r.err, &list) {
			out = append(out, list...)
			continue
		}
		out = append(out, configureError(r, r.err))
	}
	return out
}

// configureError describes an error raised by configure code.
func configureError(r *Root, err error) *Error {
	e := &Error{Host: r.Host.Name, Component: r.Def.Name(), Msg: starlib.Message(err), Detail: starlib.Backtrace(err),
		Hint: starlib.HintOf(err)}
	if f, l := starlib.Where(err); f != "" {
		e.File, e.Line = f, l
	} else {
		e.File, e.Line = r.Def.File(), int(r.Def.Pos().Line)
	}
	e.Msg = strings.TrimPrefix(e.Msg, "fail: ")
	return e
}

// unusedInstances warns about components created but never added.
func (m *Model) unusedInstances() Errors {
	var out Errors
	for _, r := range m.Roots {
		if r.current == nil {
			continue
		}
		for _, c := range r.current.Unused() {
			out = append(out, &Error{Warning: true, Host: r.Host.Name, Component: r.Def.Name(),
				File: c.Pos().Filename(), Line: int(c.Pos().Line),
				Msg:  fmt.Sprintf("%s was created but never added", c.Label()),
				Hint: "add it with self += ... or remove it"})
		}
	}
	return out.dedup()
}

// ConfigureLogs returns the messages components logged in configure, per
// root in environment order.
func (m *Model) ConfigureLogs() []plan.Event {
	var out []plan.Event
	for _, r := range m.Roots {
		if r.current == nil {
			continue
		}
		for _, l := range r.current.Logs() {
			out = append(out, plan.Event{Type: plan.EventLog, Host: r.Host.Name, Path: l.Path, Message: l.Msg})
		}
	}
	return out
}
