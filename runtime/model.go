package runtime

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/batou-go/batou/environments"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
)

// Model is a project with one environment: its hosts and their roots.
type Model struct {
	Project *Project
	Env     *environments.Environment
	Hosts   []*Host
	// Roots lists every root of every host in environment order.
	Roots    []*Root
	Warnings Errors
	// Sensitive holds the values of the secrets and every string
	// computed from them; they must never be shown (the session's).
	Sensitive *plan.Masker
	// SecretFiles maps the names of the environment's secret files to
	// their content.
	SecretFiles map[string]string
	// secrets is set when the environment has secrets (a secrets file or
	// secret files), whatever their values.
	secrets bool

	// Rounds is how many configure rounds the fixed point took.
	Rounds int
	// incomplete is set when loading failed: configure then reports only
	// what each root's own code says, not missing or unused values.
	incomplete bool

	configured bool
	resolution *registry
	// busy is the root whose configure runs now (for progress reports).
	busy atomic.Pointer[busyRoot]
}

// Host is a host of the environment with its roots.
type Host struct {
	Name   string
	Ignore bool
	Info   plan.HostInfo
	// TargetDirectory is where work/ lives on the host.
	TargetDirectory string
	ConnectMethod   string
	// ServiceUser and RequireSudo say how the agent reaches its user.
	ServiceUser string
	RequireSudo bool
	Roots       []*Root
}

// Root is one component on one host.
type Root struct {
	Host      *Host
	Name      string
	Def       *starlib.Def
	Ignore    bool
	Overrides []*environments.Setting
	index     int
	current   *starlib.Root
	err       error
}

// ID returns "name@host".
func (r *Root) ID() string { return r.Name + "@" + r.Host.Name }

// Ignored reports whether the root is configured but not deployed (the
// root or its host is marked with !).
func (r *Root) Ignored() bool { return r.Ignore || r.Host.Ignore }

// Workdir returns <target_directory>/work/<name>.
func (r *Root) Workdir() string { return path.Join(r.Host.TargetDirectory, "work", r.Name) }

// Load reads the environment envName of the project at dir and the
// project's components. It returns every load error at once.
func Load(dir, envName string, session *starlib.Session) (*Model, Errors) {
	return LoadWith(dir, envName, session, LoadOptions{})
}

// LoadWith is Load with options.
func LoadWith(dir, envName string, session *starlib.Session, opts LoadOptions) (*Model, Errors) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, Errors{{Msg: err.Error()}}
	}
	env, envErr := environments.Load(abs, envName)
	if env == nil {
		return nil, envErrors(envErr)
	}
	if session == nil {
		session = starlib.NewSession(abs, nil)
	}
	session.Resolver = resolverTable(env)
	if session.Sensitive == nil {
		session.Sensitive = &plan.Masker{}
	}
	proj, errs := LoadProject(abs, session)
	m := &Model{Project: proj, Env: env, Sensitive: session.Sensitive}
	errs = append(errs, envErrors(envErr)...)
	errs = append(errs, m.loadSecrets(opts.Keys)...)
	for _, w := range env.Warnings {
		m.Warnings = append(m.Warnings, &Error{File: w.Pos.File, Line: w.Pos.Line, Msg: w.Msg, Hint: w.Hint, Warning: true})
	}
	errs = append(errs, m.buildHosts()...)
	errs = append(errs, m.checkOverrides()...)
	m.incomplete = len(errs) > 0
	return m, errs
}

// envErrors converts the environment package's errors.
func envErrors(err error) Errors {
	if err == nil {
		return nil
	}
	list, ok := err.(environments.Errors)
	if !ok {
		e := &Error{Msg: err.Error()}
		if h, ok := err.(interface{ Hint() string }); ok {
			e.Hint = h.Hint()
		}
		return Errors{e}
	}
	out := make(Errors, len(list))
	for i, e := range list {
		out[i] = &Error{File: e.Pos.File, Line: e.Pos.Line, Msg: e.Msg, Hint: e.Hint}
	}
	return out
}

func (m *Model) buildHosts() Errors {
	var errs Errors
	for _, eh := range m.Env.Hosts {
		h := m.newHost(eh)
		m.Hosts = append(m.Hosts, h)
		for _, hc := range eh.Components {
			def := m.Project.Defs[hc.Name]
			if def == nil {
				if !m.Project.Failed() { // else the definition may be in a file that did not load
					errs = append(errs, m.unknownComponent(hc.Name, eh.Name, hc.Pos))
				}
				continue
			}
			r := &Root{Host: h, Name: hc.Name, Def: def, Ignore: hc.Ignore, Overrides: m.Env.Overrides[hc.Name], index: len(m.Roots)}
			h.Roots = append(h.Roots, r)
			m.Roots = append(m.Roots, r)
		}
	}
	return errs
}

func (m *Model) newHost(eh *environments.Host) *Host {
	h := &Host{Name: eh.Name, Ignore: eh.Ignore, ConnectMethod: m.Env.ConnectMethod,
		ServiceUser: eh.ServiceUser, RequireSudo: eh.RequireSudo,
		Info: plan.HostInfo{Name: eh.Name, FQDN: eh.FQDN(), Platform: eh.Platform, Data: eh.Data}}
	h.TargetDirectory = eh.TargetDirectory
	if h.TargetDirectory == "" && m.Env.ConnectMethod == environments.ConnectLocal {
		h.TargetDirectory = m.Project.Dir
	}
	if h.TargetDirectory == "" {
		h.TargetDirectory = "~/deployment"
	}
	if m.Env.ConnectMethod == environments.ConnectLocal && !path.IsAbs(h.TargetDirectory) && !strings.HasPrefix(h.TargetDirectory, "~") {
		h.TargetDirectory = filepath.Join(m.Project.Dir, h.TargetDirectory)
	}
	return h
}

func (m *Model) unknownComponent(name, host string, pos environments.Pos) *Error {
	return &Error{File: pos.File, Line: pos.Line, Host: host,
		Msg:  fmt.Sprintf("unknown component %s in the component list of host %s", name, host),
		Hint: knownComponentsHint(m.Project, name)}
}

func knownComponentsHint(p *Project, name string) string {
	names := p.DefNames()
	if len(names) == 0 {
		return "the project defines no components"
	}
	return fmt.Sprintf("%sdefined components: %s", didYouMean(name, names), strings.Join(names, ", "))
}

// checkOverrides reports [component:x] sections for components that are
// not defined and override keys the component does not declare.
func (m *Model) checkOverrides() Errors {
	var errs Errors
	for _, name := range sortedKeys(m.Env.Overrides) {
		def := m.Project.Defs[name]
		if def == nil && m.Project.Failed() {
			continue
		}
		if def == nil {
			pos := m.Env.OverrideSections[name]
			errs = append(errs, &Error{File: pos.File, Line: pos.Line,
				Msg: fmt.Sprintf("[component:%s] overrides a component that is not defined", name), Hint: knownComponentsHint(m.Project, name)})
			continue
		}
		for _, s := range m.Env.Overrides[name] {
			if def.Spec(s.Key) == nil {
				e := &starlib.UnknownAttrError{Def: def, Name: s.Key}
				errs = append(errs, &Error{File: s.Pos.File, Line: s.Pos.Line, Component: def.Name(), Attribute: s.Key,
					Msg: fmt.Sprintf("override of unknown attribute: %s", e.Error()), Hint: e.Hint()})
			}
		}
	}
	return errs
}

// resolverTable maps the [resolver] names to one address each: the first
// IPv4 address, else the first IPv6 one.
func resolverTable(env *environments.Environment) map[string]string {
	out := map[string]string{}
	for name, r := range env.Resolver {
		switch {
		case len(r.V4) > 0:
			out[name] = r.V4[0].String()
		case len(r.V6) > 0:
			out[name] = r.V6[0].String()
		}
	}
	return out
}
