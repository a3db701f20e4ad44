package starlib

import (
	"fmt"
	"path"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Root is one root component on one host: the context its tree shares.
// During configure there is a fresh Root for every configure round.
type Root struct {
	// Name is the component's name in the environment (lower case).
	Name string
	// Host and Env are what components see as self.host and
	// self.environment.
	Host *Host
	Env  *Environment
	// Workdir is <target_directory>/work/<name> (may start with ~).
	Workdir string
	// Defdir is the absolute folder of the root's .star file, DefdirRel
	// the same relative to the project.
	Defdir, DefdirRel string
	// Top is the root's top component.
	Top *Component

	session *Session
	active  *starlark.Thread // the thread running configure, if any
	created []*Component
	logs    []LogLine
	// vars is the template context map the root's built-in kinds render
	// with, busy while a render uses it (see takeVars).
	vars     map[string]starlark.Value
	varsBusy bool
}

// NewRoot returns a root of session s.
func (s *Session) NewRoot(name string, host *Host, env *Environment, workdir string) *Root {
	return &Root{Name: name, Host: host, Env: env, Workdir: workdir, session: s}
}

// Session returns the session the root belongs to.
func (r *Root) Session() *Session { return r.session }

// configuring returns the thread that configures r right now, or nil.
func (r *Root) configuring() *starlark.Thread {
	if r == nil {
		return nil
	}
	return r.active
}

// thread returns the configuring thread, or a new one of the root's
// session for evaluating templates outside configure: in verify and
// update on the host, in compile (as hermetic as configure: no commands,
// no files outside the project) on the deploying machine.
func (r *Root) thread() *starlark.Thread {
	if r.active != nil {
		return r.active
	}
	phase := PhaseCompile
	if r.session.Host != nil {
		phase = PhaseHost
	}
	t := r.session.NewThread("template", phase)
	if path.IsAbs(r.Workdir) { // expanded: on the host
		SetWorkdir(t, r.Workdir)
	}
	return t
}

// LogLine is a message logged with self.log during configure.
type LogLine struct {
	Path string
	Msg  string
}

// Logs returns the messages logged during configure.
func (r *Root) Logs() []LogLine { return r.logs }

// Unused returns the components created while configuring r that were never
// added with self += ..., in creation order.
func (r *Root) Unused() []*Component {
	var out []*Component
	for _, c := range r.created {
		if !c.added {
			out = append(out, c)
		}
	}
	return out
}

const rootKey = "batou.root"

// SetRoot makes r the root that thread t configures.
func SetRoot(t *starlark.Thread, r *Root) { t.SetLocal(rootKey, r) }

func currentRoot(t *starlark.Thread) *Root {
	r, _ := t.Local(rootKey).(*Root)
	return r
}

// Instantiate creates the top component of r from def, as a root (no
// arguments), and makes it r.Top.
func (r *Root) Instantiate(def *Def) *Component {
	c := newComponent(def, def.pos)
	c.root, c.added = r, true
	r.Top = c
	return c
}

// ApplyOverride sets attribute name of the top component from an
// environment string, converting it by the attribute's type (expanding it
// first when the attribute says expand=True). from says where the string
// is written (FromEnvironment or FromSecret, with the file and line).
func (r *Root) ApplyOverride(thread *starlark.Thread, name, value string, from Origin) error {
	c := r.Top
	spec := c.def.attrs[name]
	if spec == nil {
		return &UnknownAttrError{Def: c.def, Name: name}
	}
	r.active = thread
	defer func() { r.active = nil }()
	v, err := c.convertString(thread, spec, value)
	if err != nil {
		return err
	}
	c.setValue(name, v)
	c.record(name, spec, from.Kind, from.Pos)
	return nil
}

// Configure runs the top component's configure (and its sub-components').
func (r *Root) Configure(thread *starlark.Thread) error {
	SetRoot(thread, r)
	r.active = thread
	defer func() { SetRoot(thread, nil); r.active = nil }()
	return r.Top.prepare(thread)
}

// UnknownAttrError is an override of an attribute the component does not
// declare.
type UnknownAttrError struct {
	Def  *Def
	Name string
}

func (e *UnknownAttrError) Error() string {
	return fmt.Sprintf("%s has no attribute %s%s", e.Def.Name(), e.Name, suggest(e.Name, e.Def.AttrNames()))
}

// Hint lists the attributes that can be overridden.
func (e *UnknownAttrError) Hint() string {
	names := e.Def.AttrNames()
	if len(names) == 0 {
		return fmt.Sprintf("%s declares no attributes; declare one with attrs={\"%s\": Attribute(str)}", e.Def.Name(), e.Name)
	}
	return "declared attributes: " + joinNames(names)
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}

// Pos returns where the definition was made.
func posString(p syntax.Position) string {
	if !p.IsValid() {
		return ""
	}
	return fmt.Sprintf("%s:%d", p.Filename(), p.Line)
}
