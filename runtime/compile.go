package runtime

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"go.starlark.net/syntax"
)

// CompileOptions are the facts a plan records besides the model.
type CompileOptions struct {
	Version     string
	AgentSHA256 string
	Now         time.Time
}

// Plans compiles one plan per host that is deployed (hosts marked with !
// get none), in environment order. Configure must have succeeded.
func (m *Model) Plans(opts CompileOptions) ([]*plan.Plan, error) {
	if !m.configured {
		return nil, fmt.Errorf("plans need a configured model")
	}
	var out []*plan.Plan
	for _, h := range m.Hosts {
		if !h.Ignore {
			out = append(out, m.compileHost(h, opts))
		}
	}
	return out, nil
}

func (m *Model) compileHost(h *Host, opts CompileOptions) *plan.Plan {
	env := m.envInfo()
	env.TargetDirectory = h.TargetDirectory
	p := &plan.Plan{Format: plan.Format, Version: opts.Version, AgentSHA256: opts.AgentSHA256,
		Environment: env, Host: h.Info, Created: opts.Now.UTC(), TargetDirectory: h.TargetDirectory,
		Programs: map[string]string{}}
	for _, r := range h.Roots {
		if r.Ignore || r.current == nil {
			continue
		}
		programs := map[string]string{}
		root := m.compileRoot(r, programs)
		p.Roots = append(p.Roots, root)
		for file, src := range programs {
			p.Programs[file] = src
		}
		if callsTemplate(programs) {
			if p.Assets == nil {
				p.Assets = map[string]string{}
			}
			m.Project.AddAssets(root.Defdir, p.Assets)
		}
	}
	if len(p.Programs) == 0 {
		p.Programs = nil
	}
	m.addSecrets(p)
	return p
}

// addSecrets puts into the plan the sensitive values its components use,
// and no others, and the secret files whose content they use.
func (m *Model) addSecrets(p *plan.Plan) {
	p.Secrets = m.Sensitive.UsedBy(p)
	for name, content := range m.SecretFiles {
		if slices.Contains(p.Secrets, content) {
			if p.SecretFiles == nil {
				p.SecretFiles = map[string]string{}
			}
			p.SecretFiles[name] = content
		}
	}
}

func (m *Model) compileRoot(r *Root, programs map[string]string) *plan.Root {
	top := r.current.Top
	next := 0
	numberTree(top, &next)
	cc := &compiler{m: m, programs: programs, origins: map[syntax.Position]string{}}
	cc.ref = func(c *starlib.Component) plan.Value {
		if c.Root() == r.current && c.ID > 0 {
			return plan.Ref(c.ID)
		}
		return starlib.ToPlan(starlib.NewView(c), cc.ref)
	}
	n := &plan.Node{}
	cc.node(n, top)
	return &plan.Root{Name: r.Name, Workdir: r.Workdir(), Defdir: r.current.DefdirRel, Node: n}
}

func numberTree(c *starlib.Component, next *int) {
	*next++
	c.ID = *next
	for _, ch := range c.Children() {
		numberTree(ch, next)
	}
}

// compiler compiles the nodes of one root.
type compiler struct {
	m        *Model
	ref      func(*starlib.Component) plan.Value // how a component is represented
	programs map[string]string                   // the Starlark files host code needs
	origins  map[syntax.Position]string          // file:line by position (sub-components share one)
	// lastPos and lastOrigin are the last origin asked for: a component
	// and its sub-components come one after the other.
	lastPos    syntax.Position
	lastOrigin string
}

// node fills n with the node of c and its children.
func (cc *compiler) node(n *plan.Node, c *starlib.Component) {
	def := c.Def()
	*n = plan.Node{ID: c.ID, Kind: def.Name(), Label: c.Label(), Origin: cc.origin(c.Pos()), BeforeUpdate: def.BeforeUpdateScope()}
	if def.Kind() == nil {
		if def.HasHostCode() {
			v, u, l, b := def.Funcs()
			n.Def = &plan.DefRef{File: def.File(), Name: def.Name(), Verify: v, Update: u, LastUpdated: l, BeforeUpdate: b}
			cc.m.Project.Closure(def.File(), cc.programs)
		}
		// Compute defaults (an expanded one may differ per component);
		// attributes without a value stay unset. A built-in kind's
		// attributes are all set when it is expanded.
		for _, name := range def.AttrNames() {
			_, _ = c.Attr(name)
		}
	}
	n.Attrs = c.PlanAttrs(cc.ref)
	children := c.Children()
	if len(children) == 0 {
		return
	}
	nodes := make([]plan.Node, len(children)) // one allocation for the children
	n.Children = make([]*plan.Node, len(children))
	for i, ch := range children {
		n.Children[i] = &nodes[i]
		cc.node(&nodes[i], ch)
	}
}

// origin is file:line of pos.
func (cc *compiler) origin(pos syntax.Position) string {
	pos.Col = 0
	if pos == cc.lastPos && cc.lastOrigin != "" {
		return cc.lastOrigin
	}
	o, ok := cc.origins[pos]
	if !ok {
		o = pos.Filename() + ":" + strconv.Itoa(int(pos.Line))
		cc.origins[pos] = o
	}
	cc.lastPos, cc.lastOrigin = pos, o
	return o
}

// callsTemplate reports whether host code of these programs may call
// self.template (a plain text search: a false hit only sends files).
func callsTemplate(programs map[string]string) bool {
	for _, src := range programs {
		if strings.Contains(src, ".template(") {
			return true
		}
	}
	return false
}
