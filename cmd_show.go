package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/batou-go/batou/runtime"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"github.com/urfave/cli/v3"
)

func showCommand() *cli.Command {
	return &cli.Command{
		Name:  "show",
		Usage: "show the configured model: hosts, components, attribute values and where they come from",
		Description: "batou show ENV lists the hosts, their components and the provided keys.\n" +
			"batou show ENV HOST shows one host; batou show ENV HOST COMPONENT shows a component's\n" +
			"attributes with their origin (default, environment file:line, secret, argument,\n" +
			"set in configure at file:line, provided by); COMPONENT is a root name or a path as\n" +
			"deploy prints it (\"Hello > File('hello.conf')\"). ATTRIBUTE shows one value in full.",
		ArgsUsage: "ENV [HOST [COMPONENT [ATTRIBUTE]]]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document instead of text"},
			maxStepsFlag,
		},
		OnUsageError: usageError,
		Action:       runShow,
	}
}

func runShow(ctx context.Context, c *cli.Command) error {
	args := c.Args().Slice()
	if len(args) < 1 || len(args) > 4 {
		fmt.Fprintf(c.Root().ErrWriter, "batou show: want ENV [HOST [COMPONENT [ATTRIBUTE]]], got %d arguments\nusage: batou show %s\n", len(args), c.ArgsUsage)
		return exitError{2}
	}
	m, ok, err := inspectModel(ctx, c, newRenderer(c.Root().ErrWriter, false), args[0])
	if !ok {
		return cmp.Or(err, error(exitError{1}))
	}
	doc, err := showDoc(m, args[1:])
	if err != nil {
		fmt.Fprintf(c.Root().ErrWriter, "batou show: %s\n", m.Mask(err.Error()))
		return exitError{1}
	}
	w := c.Root().Writer
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	doc.writeText(w)
	return nil
}

// inspectModel loads and configures env for inspection, printing errors
// and warnings to r. It returns the model when loading found it (even
// when configure failed), whether everything succeeded, and the exit
// status to return when there is no model.
func inspectModel(ctx context.Context, c *cli.Command, r *renderer, env string) (*runtime.Model, bool, error) {
	s, done, err := projectSession(ctx, c)
	if err != nil {
		return nil, false, err
	}
	defer done()
	r.setMasker(s.Sensitive)
	m, errs := runtime.LoadWith(".", env, s, runtime.LoadOptions{Keys: secretKeys()})
	if m == nil {
		for _, e := range errs {
			r.Event(errorEvent(plan.EventError, e))
		}
		return nil, false, exitError{1}
	}
	if s.Interrupted() == "" {
		errs = append(errs, m.ConfigureWith(configureOptions(ctx, r))...)
	}
	errs.Sort()
	for _, w := range m.Warnings {
		r.Event(errorEvent(plan.EventWarning, w))
	}
	for _, e := range errs {
		r.Event(errorEvent(plan.EventError, e))
	}
	if s.Interrupted() != "" {
		return nil, false, exitError{1}
	}
	m.Freeze()
	return m, len(errs) == 0, nil
}

// showDocument is what batou show prints: exactly one of its parts is
// set, as text or as JSON.
type showDocument struct {
	Environment *envInfo      `json:"environment,omitempty"`
	Hosts       []*hostInfo   `json:"hosts,omitempty"`
	Resources   []*resInfo    `json:"resources,omitempty"`
	Host        *hostInfo     `json:"host,omitempty"`
	Component   *compInfo     `json:"component,omitempty"`
	Attribute   *attrInfoJSON `json:"attribute,omitempty"`
}

// showDoc finds what args (HOST, COMPONENT, ATTRIBUTE, each optional)
// point at.
func showDoc(m *runtime.Model, args []string) (*showDocument, error) {
	if len(args) == 0 {
		return envDoc(m), nil
	}
	h, err := findHost(m, args[0])
	if err != nil {
		return nil, err
	}
	if len(args) == 1 {
		return &showDocument{Host: describeHost(m, h)}, nil
	}
	c, err := findComponent(h, args[1])
	if err != nil {
		return nil, err
	}
	if len(args) == 2 {
		return &showDocument{Component: describeComponent(m, c)}, nil
	}
	a, ok := m.Attribute(c, args[2])
	if !ok {
		return nil, fmt.Errorf("%s on %s has no attribute %s%s; hint: its attributes are %s", c.Path(), h.Name,
			args[2], suggestion(args[2], attrNames(m, c)), strings.Join(attrNames(m, c), ", "))
	}
	info := describeAttr(m, a, 0)
	info.Host, info.Path = h.Name, c.Path()
	return &showDocument{Attribute: info}, nil
}

func suggestion(name string, names []string) string {
	if best := starlib.Closest(name, names); best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

func attrNames(m *runtime.Model, c *starlib.Component) []string {
	var out []string
	for _, a := range m.Attributes(c) {
		out = append(out, a.Name)
	}
	return out
}

// findHost returns the host called name.
func findHost(m *runtime.Model, name string) (*runtime.Host, error) {
	var names []string
	for _, h := range m.Hosts {
		if h.Name == name {
			return h, nil
		}
		names = append(names, h.Name)
	}
	return nil, fmt.Errorf("environment %s has no host %s%s; hint: its hosts are %s", m.Env.Name, name,
		suggestion(name, names), strings.Join(names, ", "))
}

// findComponent returns the component of host h that name points at: a
// root by its name ("hello" or "Hello"), or a path from a root as deploy
// prints it ("Hello > File('hello.conf')").
func findComponent(h *runtime.Host, name string) (*starlib.Component, error) {
	want := normPath(name)
	var roots []string
	for _, r := range h.Roots {
		roots = append(roots, r.Name)
		top := r.Top()
		if top == nil {
			continue
		}
		if strings.EqualFold(want, r.Name) {
			return top, nil
		}
		if c := findPath(top, want); c != nil {
			return c, nil
		}
	}
	return nil, fmt.Errorf("host %s has no component %s; hint: its roots are %s; a sub-component is named by its path, as in %q",
		h.Name, name, strings.Join(roots, ", "), "Hello > File('hello.conf')")
}

// normPath removes the spaces around the > of a component path.
func normPath(p string) string {
	parts := strings.Split(p, ">")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Join(parts, ">")
}

func findPath(c *starlib.Component, want string) *starlib.Component {
	path := normPath(c.Path())
	if strings.EqualFold(path, want) {
		return c
	}
	if !strings.HasPrefix(strings.ToLower(want), strings.ToLower(path)+">") {
		return nil
	}
	for _, sub := range c.Children() {
		if found := findPath(sub, want); found != nil {
			return found
		}
	}
	return nil
}

// envInfo describes the environment.
type envInfo struct {
	Name            string `json:"name"`
	File            string `json:"file"`
	ConnectMethod   string `json:"connect_method"`
	HostDomain      string `json:"host_domain,omitempty"`
	Platform        string `json:"platform,omitempty"`
	TargetDirectory string `json:"target_directory,omitempty"`
	ServiceUser     string `json:"service_user,omitempty"`
}

// hostInfo describes a host and its roots.
type hostInfo struct {
	Name            string            `json:"name"`
	FQDN            string            `json:"fqdn"`
	Platform        string            `json:"platform,omitempty"`
	Ignored         bool              `json:"ignored,omitempty"`
	TargetDirectory string            `json:"target_directory"`
	Data            map[string]string `json:"data,omitempty"`
	Roots           []*rootInfo       `json:"components"`
}

// rootInfo describes a root of a host.
type rootInfo struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Ignored   bool     `json:"ignored,omitempty"`
	File      string   `json:"file"`
	Line      int      `json:"line"`
	DependsOn []string `json:"depends_on,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// resInfo describes a provided or required key.
type resInfo struct {
	Key      string     `json:"key"`
	Provided []*resSite `json:"provided"`
	Required []*resSite `json:"required"`
}

// resSite is one provide() or require() call.
type resSite struct {
	Root      string   `json:"root"`
	File      string   `json:"file"`
	Line      int      `json:"line"`
	HostOnly  string   `json:"host_filter,omitempty"`
	Optional  bool     `json:"optional,omitempty"`
	Reverse   bool     `json:"reverse,omitempty"`
	Dirty     bool     `json:"dirty,omitempty"`
	One       bool     `json:"one,omitempty"`
	Providers []string `json:"providers,omitempty"`
}

// compInfo describes a component with its attributes.
type compInfo struct {
	Path       string          `json:"path"`
	Host       string          `json:"host"`
	Root       string          `json:"root"`
	Kind       string          `json:"kind"`
	File       string          `json:"file"`
	Line       int             `json:"line"`
	Attributes []*attrInfoJSON `json:"attributes"`
	Subs       []*subInfo      `json:"sub_components"`
}

// subInfo names a sub-component.
type subInfo struct {
	Path string `json:"path"`
	File string `json:"file"`
	Line int    `json:"line"`
}

// attrInfoJSON describes one attribute value and its origin.
type attrInfoJSON struct {
	Host       string     `json:"host,omitempty"`
	Path       string     `json:"path,omitempty"`
	Name       string     `json:"name"`
	Type       string     `json:"type,omitempty"`
	Value      string     `json:"value"`
	Error      string     `json:"error,omitempty"`
	Secret     bool       `json:"secret,omitempty"`
	Origin     originJSON `json:"origin"`
	ProvidedBy []string   `json:"provided_by,omitempty"`
	Doc        string     `json:"doc,omitempty"`
}

// originJSON is where a value came from.
type originJSON struct {
	Kind     string      `json:"kind"`
	File     string      `json:"file,omitempty"`
	Line     int         `json:"line,omitempty"`
	By       string      `json:"by,omitempty"`
	Text     string      `json:"text"`
	Replaced *originJSON `json:"replaced,omitempty"`
}

func envDoc(m *runtime.Model) *showDocument {
	e := m.Env
	doc := &showDocument{Environment: &envInfo{Name: e.Name, File: e.File, ConnectMethod: e.ConnectMethod,
		HostDomain: e.HostDomain, Platform: e.Platform, TargetDirectory: e.TargetDirectory, ServiceUser: e.ServiceUser}}
	for _, h := range m.Hosts {
		doc.Hosts = append(doc.Hosts, describeHost(m, h))
	}
	for _, r := range m.Resources() {
		doc.Resources = append(doc.Resources, describeResource(r))
	}
	return doc
}

func describeHost(m *runtime.Model, h *runtime.Host) *hostInfo {
	out := &hostInfo{Name: h.Name, FQDN: h.Info.FQDN, Platform: h.Info.Platform, Ignored: h.Ignore,
		TargetDirectory: h.TargetDirectory, Data: m.MaskMap(h.Info.Data), Roots: []*rootInfo{}}
	for _, r := range h.Roots {
		ri := &rootInfo{Name: r.Name, Kind: r.Def.Name(), Ignored: r.Ignore, File: r.Def.File(), Line: int(r.Def.Pos().Line)}
		for _, d := range m.DependsOn(r) {
			ri.DependsOn = append(ri.DependsOn, d.ID())
		}
		if err := r.Err(); err != nil {
			ri.Error = m.Mask(starlib.Message(err))
		}
		out.Roots = append(out.Roots, ri)
	}
	return out
}

func describeResource(r *runtime.Resource) *resInfo {
	out := &resInfo{Key: r.Key, Provided: []*resSite{}, Required: []*resSite{}}
	for _, p := range r.Provided {
		out.Provided = append(out.Provided, &resSite{Root: p.Root.ID(), File: p.Pos.Filename(), Line: int(p.Pos.Line)})
	}
	for _, q := range r.Required {
		site := &resSite{Root: q.Root.ID(), File: q.Pos.Filename(), Line: int(q.Pos.Line), HostOnly: q.Host,
			Optional: !q.Strict, Reverse: q.Reverse, Dirty: q.Dirty, One: q.One}
		for _, p := range q.Providers {
			site.Providers = append(site.Providers, p.ID())
		}
		out.Required = append(out.Required, site)
	}
	return out
}

func describeComponent(m *runtime.Model, c *starlib.Component) *compInfo {
	r := m.RootOf(c)
	out := &compInfo{Path: c.Path(), Kind: c.Def().Name(), File: c.Pos().Filename(), Line: int(c.Pos().Line),
		Attributes: []*attrInfoJSON{}, Subs: []*subInfo{}}
	if r != nil {
		out.Host, out.Root = r.Host.Name, r.Name
	}
	for _, a := range m.Attributes(c) {
		out.Attributes = append(out.Attributes, describeAttr(m, a, maxValueWidth))
	}
	for _, sub := range c.Children() {
		out.Subs = append(out.Subs, &subInfo{Path: sub.Path(), File: sub.Pos().Filename(), Line: int(sub.Pos().Line)})
	}
	return out
}

// maxValueWidth is how much of a value the component overview shows.
const maxValueWidth = 60

// describeAttr describes a; width > 0 shortens the value to that many
// characters.
func describeAttr(m *runtime.Model, a runtime.AttrInfo, width int) *attrInfoJSON {
	out := &attrInfoJSON{Name: a.Name, Type: a.Type, Secret: a.Secret, Origin: describeOrigin(a.Origin),
		ProvidedBy: a.ProvidedBy, Doc: a.Doc}
	switch {
	case a.Err != nil:
		out.Error = m.Mask(starlib.Message(a.Err))
	case a.Origin.Kind == starlib.FromSecret:
		out.Value = plan.Masked
	default:
		out.Value = m.MaskValue(a.Value)
	}
	if width > 0 && len(out.Value) > width {
		out.Value = out.Value[:width-3] + "..."
	}
	return out
}

func describeOrigin(o starlib.Origin) originJSON {
	out := originJSON{Kind: o.Kind.String(), By: o.By, Text: o.String()}
	if o.Pos.IsValid() {
		out.File, out.Line = o.Pos.Filename(), int(o.Pos.Line)
	}
	if o.Replaced != nil {
		r := describeOrigin(*o.Replaced)
		out.Replaced = &r
	}
	return out
}
