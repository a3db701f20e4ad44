package starlib

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Phase says which part of a component's life a thread is evaluating.
type Phase int

// The phases.
const (
	// PhaseLoad runs the top level of .star files.
	PhaseLoad Phase = iota
	// PhaseConfigure runs configure() on the deploying machine.
	PhaseConfigure
	// PhaseHost runs verify() and update() on the target host.
	PhaseHost
	// PhaseInspect evaluates expressions over a configured model (batou
	// repl) on the deploying machine.
	PhaseInspect
	// PhaseCompile evaluates templates outside configure on the deploying
	// machine (an attribute's default read first when the plan is
	// compiled): as hermetic as configure.
	PhaseCompile
)

func (p Phase) String() string {
	switch p {
	case PhaseLoad:
		return "load"
	case PhaseConfigure:
		return "configure"
	case PhaseInspect:
		return "the repl"
	case PhaseCompile:
		return "compile"
	}
	return "verify/update"
}

// Resources is the provide/require registry of one configure run. The
// runtime implements it.
type Resources interface {
	// Provide offers value under key on behalf of c's root.
	Provide(c *Component, key string, value starlark.Value, pos syntax.Position) error
	// Require returns the values provided under key for c's root.
	Require(c *Component, key string, opts RequireOptions, pos syntax.Position) ([]starlark.Value, error)
}

// RequireOptions are the keyword arguments of require and require_one.
type RequireOptions struct {
	Host    string // only providers on this host; "" for all
	Strict  bool
	Reverse bool
	Dirty   bool
	One     bool // require_one
}

// HostSide is what verify and update need from the agent.
type HostSide interface {
	// Predicting is true when nothing may be changed.
	Predicting() bool
	// Log reports a message of component c.
	Log(c *Component, msg string)
	// Home is the directory ~ expands to.
	Home() string
}

// Session is the state shared by the threads of one evaluation: the project,
// the kind registry, the template engine, the platform registry and, per
// phase, the resources registry or the host side. It is stored in every
// thread that evaluates project code.
type Session struct {
	// Project is the absolute directory of the project.
	Project string
	// Kinds are the built-in component kinds.
	Kinds *components.Registry
	// Templates renders templates (section 5 of the spec).
	Templates Renderer
	// Resources serves provide/require during configure.
	Resources Resources
	// Host serves verify/update on the target.
	Host HostSide
	// MaxSteps limits the Starlark steps of one call (0: no limit).
	MaxSteps uint64
	// Context, when set, ends the commands self.cmd started once it is
	// done (their whole process group is killed).
	Context context.Context
	// Atomic writes files on the host (fs.write, and the built-in kinds
	// the agent runs).
	Atomic components.Atomic
	// Resolver maps host names to IP addresses ([resolver] of the
	// environment); Address.listen uses it before DNS.
	Resolver map[string]string
	// HostAssets are the project files self.template reads on the host
	// (plan.Plan.Assets), by project-relative path.
	HostAssets map[string]string
	// Sensitive holds the values that come from secrets and the strings
	// computed from them (templates, expand, conversions, log messages);
	// they are masked in all output.
	Sensitive *plan.Masker
	// Inputs, when set, records what configure and compile read outside
	// the project's Starlark sources (see Inputs).
	Inputs *Inputs

	mu          sync.Mutex
	live        map[*starlark.Thread]bool
	interrupted string
	platforms   map[platformKey][]*Def
	kindDefs    map[string]*Def
	predecl     starlark.StringDict
	realProj    string
	assets      map[string][]byte
	resolved    map[string]string
	// assetPaths caches Root.asset.
	assetPaths map[assetKey]assetInfo
	// texts caches assetText.
	texts map[textKey]decoded
	// headers caches batou_generated_header by component path.
	headers map[string]starlark.Value
	// digests are the large project files hashed, by path.
	digests map[string]components.Blob
}

type platformKey struct {
	platform string
	def      *Def
}

// Renderer renders a template source with the given variables. name is the
// template's file (or a description of where an inline template comes from)
// and is used in errors.
type Renderer interface {
	Render(thread *starlark.Thread, name, source string, vars map[string]starlark.Value) (string, error)
}

// NewSession returns a session for the project at dir with the built-in
// kinds and the given template renderer.
func NewSession(dir string, templates Renderer) *Session {
	return &Session{Project: dir, Kinds: components.Builtin(), Templates: templates, Sensitive: &plan.Masker{}}
}

const (
	sessionKey = "batou.session"
	phaseKey   = "batou.phase"
)

// NewThread returns a thread for evaluating project code in phase p.
func (s *Session) NewThread(name string, p Phase) *starlark.Thread {
	t := &starlark.Thread{Name: name, Print: func(*starlark.Thread, string) {}}
	t.SetLocal(sessionKey, s)
	t.SetLocal(phaseKey, p)
	if p == PhaseLoad || p == PhaseConfigure {
		s.watch(t) // step limit and Interrupt; the caller calls Done
		return t
	}
	if s.MaxSteps > 0 {
		t.SetMaxExecutionSteps(s.MaxSteps)
	}
	t.SetLocal(templateCheckKey, s.unwatchedTemplateCheck(t))
	return t
}

// SessionOf returns the session of thread t, or nil.
func SessionOf(t *starlark.Thread) *Session {
	s, _ := t.Local(sessionKey).(*Session)
	return s
}

// PhaseOf returns the phase thread t evaluates.
func PhaseOf(t *starlark.Thread) Phase {
	p, _ := t.Local(phaseKey).(Phase)
	return p
}

// SetPhase changes the phase of thread t.
func SetPhase(t *starlark.Thread, p Phase) { t.SetLocal(phaseKey, p) }

// addPlatform registers impl as an extra sub-component of def on hosts of
// the given platform.
func (s *Session) addPlatform(platform string, def, impl *Def) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.platforms == nil {
		s.platforms = map[platformKey][]*Def{}
	}
	k := platformKey{platform, def}
	s.platforms[k] = append(s.platforms[k], impl)
}

// Platforms returns the platform components registered for def on platform.
func (s *Session) Platforms(platform string, def *Def) []*Def {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.platforms[platformKey{platform, def}]
}

// needPhase returns an error unless thread t is in one of the phases.
func needPhase(t *starlark.Thread, what string, phases ...Phase) error {
	cur := PhaseOf(t)
	for _, p := range phases {
		if p == cur {
			return nil
		}
	}
	if cur == PhaseInspect && phases[0] == PhaseHost {
		return fmt.Errorf("%s acts on the target host and is only available in verify and update, not in the repl", what)
	}
	if cur == PhaseConfigure || cur == PhaseLoad || cur == PhaseCompile {
		return fmt.Errorf("%s acts on the target host and is only available in verify and update, not in %s (configure is hermetic: no commands, no files outside the project)", what, cur)
	}
	return fmt.Errorf("%s is only available in configure, not in %s", what, cur)
}

// realProject returns the project directory with symlinks resolved, once.
// InProject reports whether path, with its symlinks resolved, lies inside
// the project.
func (s *Session) InProject(path string) bool {
	return within(s.realProject(), s.resolve(filepath.Clean(path)))
}

func (s *Session) realProject() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.realProj == "" {
		s.realProj = resolvePath(s.Project)
		s.Inputs.Resolve(s.Project, s.realProj)
	}
	return s.realProj
}

// readAsset reads a project file once per session: configure renders the
// same template for many files.
func (s *Session) readAsset(full string) ([]byte, error) {
	s.mu.Lock()
	data, ok := s.assets[full]
	s.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := os.ReadFile(full)
	s.Inputs.File(full, data, err)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.assets == nil {
		s.assets = map[string][]byte{}
	}
	s.assets[full] = data
	s.mu.Unlock()
	return data, nil
}

// textKey names the text of a project file in an encoding.
type textKey struct{ path, enc string }

// decoded is the text of a project file, or why it is none.
type decoded struct {
	text string
	err  error
}

// assetText decodes data, the project file full, as text in encoding enc,
// once per session (many Files render one template).
func (s *Session) assetText(full, enc string, data []byte) (string, error) {
	key := textKey{full, enc}
	s.mu.Lock()
	d, ok := s.texts[key]
	s.mu.Unlock()
	if ok {
		return d.text, d.err
	}
	d.text, d.err = components.DecodeText(enc, data)
	s.mu.Lock()
	if s.texts == nil {
		s.texts = map[textKey]decoded{}
	}
	s.texts[key] = d
	s.mu.Unlock()
	return d.text, d.err
}

// resolve returns p with symlinks resolved (p itself if it does not
// exist), remembering the answer for the session.
func (s *Session) resolve(p string) string {
	s.mu.Lock()
	real, ok := s.resolved[p]
	s.mu.Unlock()
	if ok {
		return real
	}
	real = resolvePath(p)
	s.Inputs.Resolve(p, real)
	s.mu.Lock()
	if s.resolved == nil {
		s.resolved = map[string]string{}
	}
	s.resolved[p] = real
	s.mu.Unlock()
	return real
}
