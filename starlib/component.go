package starlib

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"path"
	"sort"
	"strings"

	"github.com/batou-go/batou/components"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Component is a component instance: the `self` of configure, verify and
// update.
type Component struct {
	def      *Def
	pos      syntax.Position
	values   map[string]starlark.Value
	native   map[string]any // see store.go
	host     *hostState     // on the host only
	parent   *Component
	root     *Root
	children []*Component
	last     *Component // the sub-component added last (self._)
	added    bool
	frozen   bool
	// kindSub is set when a built-in kind added the component with its
	// attributes; args has a bit for each declared attribute given as an
	// argument (see Origin). They share a word with the flags around.
	kindSub bool
	// final is set when the kind that added it said its attributes are
	// final already (components.Sub.Final).
	final bool
	// rawArgs is set while native holds the arguments of a built-in kind's
	// constructor, Starlark values as given, not yet expanded (setArg).
	rawArgs bool
	// Changed is set on the host when the component or a sub-component
	// was updated.
	Changed bool
	args    uint32
	sum     *checksum // self.checksum() so far, allocated on first use
	// origins records where attribute values came from (see Origin);
	// home is the root being configured when the component was created.
	origins *attrOrigin
	home    *Root

	// ID numbers the component within its root's plan.
	ID int
}

var (
	_ starlark.HasSetField = (*Component)(nil)
	_ starlark.HasBinary   = (*Component)(nil)
)

// DisplayAttr is the attribute holding a path as the user wrote it (see
// components.DisplayAttr); it feeds the label and is not sent to hosts.
const DisplayAttr = components.DisplayAttr

func newComponent(def *Def, pos syntax.Position) *Component {
	return &Component{def: def, pos: pos}
}

// setValue stores v as attribute name in values, which is made on first
// use: most built-in sub-components never get a Starlark value.
func (c *Component) setValue(name string, v starlark.Value) {
	if c.values == nil {
		c.values = make(map[string]starlark.Value, 4)
	}
	c.values[name] = v
}

// Def returns the component's definition.
func (c *Component) Def() *Def { return c.def }

// Pos returns where the component was created.
func (c *Component) Pos() syntax.Position { return c.pos }

// Parent returns the parent component, nil for a root's top component.
func (c *Component) Parent() *Component { return c.parent }

// Root returns the root the component belongs to.
func (c *Component) Root() *Root { return c.root }

// Children returns the sub-components in the order they were added.
func (c *Component) Children() []*Component { return c.children }

// Label is the component's breadcrumb: Hello, or File('hello.conf').
func (c *Component) Label() string {
	if c.host != nil && c.host.label != "" {
		return c.host.label
	}
	name := c.def.Name()
	if c.def.namevar == "" {
		return name
	}
	if s, ok := c.stringValue(DisplayAttr); ok {
		return name + "('" + s + "')"
	}
	if s, ok := c.stringValue(c.def.namevar); ok {
		return name + "('" + s + "')"
	}
	if v, ok := c.value(c.def.namevar); ok {
		return name + "(" + v.String() + ")"
	}
	return name
}

// Path is the breadcrumb path from the root: Hello > File('x') > Content('x').
// It is put together in one allocation, whatever the depth.
func (c *Component) Path() string {
	if c.parent == nil {
		return c.Label()
	}
	var stack [8]string
	labels, size := stack[:0], 0
	for x := c; x != nil; x = x.parent {
		l := x.Label()
		labels = append(labels, l)
		size += len(l) + len(" > ")
	}
	var b strings.Builder
	b.Grow(size - len(" > "))
	for i := len(labels) - 1; i >= 0; i-- {
		b.WriteString(labels[i])
		if i > 0 {
			b.WriteString(" > ")
		}
	}
	return b.String()
}

func (c *Component) String() string {
	host := ""
	if c.root != nil && c.root.Host != nil {
		host = " on " + c.root.Host.name
	}
	return fmt.Sprintf("<%s%s>", c.Path(), host)
}

// Type implements starlark.Value.
func (c *Component) Type() string { return "component" }

// Freeze marks the component read-only.
func (c *Component) Freeze() { c.frozen = true }

// Truth implements starlark.Value.
func (c *Component) Truth() starlark.Bool { return true }

// Hash hashes by identity.
func (c *Component) Hash() (uint32, error) {
	return starlark.String(fmt.Sprintf("%p", c)).Hash()
}

var reservedNames = map[string]bool{
	"host": true, "environment": true, "workdir": true, "defdir": true,
	"root": true, "parent": true, "_": true, "changed": true,
}

func isReserved(name string) bool { return reservedNames[name] }

// Attr returns an attribute, a property of self or a bound method.
func (c *Component) Attr(name string) (starlark.Value, error) {
	if v, ok := c.value(name); ok {
		return v, nil
	}
	if spec := c.def.attrs[name]; spec != nil {
		return c.defaultValue(spec)
	}
	if v, ok, err := c.property(name); ok || err != nil {
		return v, err
	}
	if m := methods[name]; m != nil {
		return starlark.NewBuiltin(name, m).BindReceiver(c), nil
	}
	return nil, MissingAttr(fmt.Sprintf("%s has no attribute %s%s", c.def.Name(), name, suggest(name, c.AttrNames())))
}

// missingAttr is an unknown attribute whose message already says what
// was meant. It unwraps to a starlark.NoSuchAttrError (templates treat
// that as undefined), but is not one itself, so that Starlark does not
// add a second "did you mean" to it.
type missingAttr struct{ starlark.NoSuchAttrError }

func (e missingAttr) Unwrap() error { return e.NoSuchAttrError }

// MissingAttr returns the error for an unknown attribute; msg already
// holds the suggestion, if there is one.
func MissingAttr(msg string) error { return missingAttr{starlark.NoSuchAttrError(msg)} }

func (c *Component) property(name string) (starlark.Value, bool, error) {
	switch name {
	case "host":
		return orNone(c.root.hostValue()), true, nil
	case "environment":
		return orNone(c.root.envValue()), true, nil
	case "workdir":
		return starlark.String(c.root.Workdir), true, nil
	case "defdir":
		return starlark.String(c.root.Defdir), true, nil
	case "root":
		return c.root.Top, true, nil
	case "parent":
		if c.parent == nil {
			return starlark.None, true, nil
		}
		return c.parent, true, nil
	case "_":
		if c.last == nil {
			return starlark.None, true, nil
		}
		return c.last, true, nil
	case "changed":
		if c.root == nil || c.root.session == nil || c.root.session.Host == nil {
			return nil, true, fmt.Errorf("self.changed is known in verify and update only (on the host), not in configure")
		}
		return starlark.Bool(c.Changed), true, nil
	}
	return nil, false, nil
}

func (r *Root) hostValue() starlark.Value {
	if r == nil || r.Host == nil {
		return nil
	}
	return r.Host
}

func (r *Root) envValue() starlark.Value {
	if r == nil || r.Env == nil {
		return nil
	}
	return r.Env
}

func orNone(v starlark.Value) starlark.Value {
	if v == nil {
		return starlark.None
	}
	return v
}

// AttrNames lists attributes, properties and methods, sorted.
func (c *Component) AttrNames() []string {
	seen := map[string]bool{}
	for _, n := range c.valueNames() {
		seen[n] = true
	}
	for n := range c.def.attrs {
		seen[n] = true
	}
	for n := range reservedNames {
		seen[n] = true
	}
	for n := range methods {
		seen[n] = true
	}
	delete(seen, DisplayAttr)
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SetField implements self.name = value.
func (c *Component) SetField(name string, v starlark.Value) error {
	if c.frozen {
		return fmt.Errorf("cannot set %s on %s: it is read-only here", name, c.Label())
	}
	if isReserved(name) {
		return fmt.Errorf("cannot set %s: it is part of self and read-only", name)
	}
	spec, err := c.setAttr(name, v)
	if err != nil {
		return err
	}
	if pos, ok := c.assignPos(); ok {
		c.record(name, spec, FromConfigure, pos)
	}
	return nil
}

// setAttr stores v, checking its type when name is declared; it returns
// the declaration (nil when there is none).
func (c *Component) setAttr(name string, v starlark.Value) (*AttrSpec, error) {
	spec, v, err := c.checkAttr(name, v)
	if err != nil {
		return nil, err
	}
	c.setValue(name, v)
	return spec, nil
}

// checkAttr checks the type of v when name is declared and returns the
// declaration (nil when there is none) and the value to store.
func (c *Component) checkAttr(name string, v starlark.Value) (*AttrSpec, starlark.Value, error) {
	spec := c.def.attrs[name]
	if spec != nil {
		if err := spec.CheckValue(v); err != nil {
			return nil, nil, fmt.Errorf("attribute %s %w", name, err)
		}
		v = spec.widen(v)
	}
	return spec, v, nil
}

// setArg stores v, checked, as the argument name of the constructor. A
// built-in kind keeps its arguments in native, as Starlark values, and
// converts them there when it is expanded (see goAttrs): its Expand
// takes them as a map of Go values, and most are never read from
// Starlark.
func (c *Component) setArg(name string, v starlark.Value) {
	if c.def.kind == nil {
		c.setValue(name, v)
		return
	}
	if c.native == nil {
		c.native = make(map[string]any, len(c.def.specs)+1) // goAttrs fills in the rest
		c.rawArgs = true
	}
	c.native[name] = v
}

// defaultValue computes (and caches) a declared attribute's default.
func (c *Component) defaultValue(spec *AttrSpec) (starlark.Value, error) {
	if !spec.HasDefault {
		return nil, c.noValueError(spec.Name)
	}
	v := spec.Default
	if s, ok := v.(starlark.String); ok && (spec.Expand || spec.Map) {
		thread := c.root.thread()
		conv, err := c.convertString(thread, spec, string(s))
		if err != nil {
			return nil, fmt.Errorf("default of %s.%s: %w", c.def.Name(), spec.Name, err)
		}
		v = conv
	}
	c.setValue(spec.Name, v)
	return v, nil
}

func (c *Component) noValueError(name string) error {
	host := "?"
	if c.root != nil && c.root.Host != nil {
		host = c.root.Host.name
	}
	hint := fmt.Sprintf("give it a default, set self.%s in configure", name)
	if c.parent == nil && c.root != nil {
		hint += fmt.Sprintf(", or add `%s = ...` to [component:%s] in the environment (in its secrets when the value is secret: batou secrets edit ENV)", name, c.root.Name)
	}
	return fmt.Errorf("%s.%s has no value on host %s: no default and no override; hint: %s", c.Path(), name, host, hint)
}

// convertString turns an environment string into the attribute's type:
// expanded as a template first if the attribute says so, then mapped, then
// converted.
//
// The result of a sensitive string is sensitive too.
func (c *Component) convertString(thread *starlark.Thread, spec *AttrSpec, s string) (starlark.Value, error) {
	session := c.root.session
	secret := session.Sensitive.Is(s)
	if spec.Expand && strings.Contains(s, "{") {
		out, err := c.render(thread, fmt.Sprintf("%s.%s", c.def.Name(), spec.Name), s, c, nil)
		if err != nil {
			return nil, err
		}
		s = out
	}
	if spec.Map {
		s = c.mapPath(s)
	}
	v, err := spec.convert(s, session)
	if err == nil && (secret || session.Sensitive.Is(s)) {
		session.deriveValue(v)
	}
	return v, err
}

// mapPath joins a relative path to the workdir; absolute and ~ paths stay.
func (c *Component) mapPath(p string) string {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~") {
		return p
	}
	return joinPath(c.root.Workdir, p)
}

// joinPath is path.Join(dir, p) for a p that is not empty; when the
// joined path is clean already (the common case), it is made with one
// allocation instead of path.Join's two.
func joinPath(dir, p string) string {
	if dir == "" {
		return path.Clean(p)
	}
	s := dir + "/" + p
	return path.Clean(s) // s itself when clean: Clean copies only a path it changes
}

// Binary implements self += X (and self + X) for sub-components. X may be
// a component, a list of components or None.
func (c *Component) Binary(op syntax.Token, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	if op != syntax.PLUS || side != starlark.Left {
		return nil, nil
	}
	thread := c.root.configuring()
	if thread == nil {
		return nil, fmt.Errorf("self += ... adds sub-components and is only available in configure")
	}
	switch y := y.(type) {
	case starlark.NoneType:
		return c, nil
	case *Component:
		return c, c.add(thread, y)
	case *starlark.List:
		for i := 0; i < y.Len(); i++ {
			if _, err := c.Binary(op, y.Index(i), side); err != nil {
				return nil, err
			}
		}
		return c, nil
	}
	return nil, fmt.Errorf("self += expects a component (or a list of them), not %s", y.Type())
}

// checksum is the running hash of self.checksum(): a pointer in the
// component, which rarely needs one.
type checksum struct{ hash.Hash }

// checksumOf feeds data into the running checksum and returns the hex
// digest so far.
func (c *Component) checksumOf(data []byte) string {
	if c.sum == nil {
		c.sum = &checksum{sha256.New()}
	}
	c.sum.Write(data)
	return fmt.Sprintf("%x", c.sum.Sum(nil))
}
