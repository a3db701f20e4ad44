package starlib

import (
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// OriginKind says where the value of an attribute came from.
type OriginKind uint8

// The origins of attribute values.
const (
	// FromNowhere: the attribute is not declared and nothing recorded
	// setting it (a value the component computed itself, on the host).
	FromNowhere OriginKind = iota
	// FromDefault: the declared default.
	FromDefault
	// FromEnvironment: an override in the environment file.
	FromEnvironment
	// FromSecret: an override in the environment's secrets.
	FromSecret
	// FromArgument: given when the component was created (the namevar or
	// a keyword), at Pos.
	FromArgument
	// FromConfigure: assigned by code (self.name = ...) at Pos.
	FromConfigure
	// FromKind: set by the built-in kind that added the component.
	FromKind
)

var originWords = [...]string{"unknown", "default", "environment", "secret", "argument", "configure", "kind"}

// String returns a one-word name of the kind: default, environment,
// secret, argument, configure, kind or unknown.
func (k OriginKind) String() string {
	if int(k) < len(originWords) {
		return originWords[k]
	}
	return "unknown"
}

// Origin is where the current value of an attribute came from.
type Origin struct {
	Kind OriginKind
	// Pos is the assignment, the call that created the component, or the
	// line of the environment or secrets file; invalid when unknown.
	Pos syntax.Position
	// By names the component of a built-in kind that set the value
	// (FromKind): File('hello.conf').
	By string
	// Replaced is the origin of the value this one replaced, if any (an
	// environment override replaced by configure code, say).
	Replaced *Origin
}

// Where returns "file:line", or "" when the position is unknown.
func (o Origin) Where() string { return posString(o.Pos) }

// String describes the origin in words: "default", "environment
// environments/dev/environment.cfg:4", "set in configure at
// components/a/component.star:7 (replacing environment ...)".
func (o Origin) String() string {
	s := o.describe()
	if o.Replaced != nil {
		s += " (replacing " + o.Replaced.describe() + ")"
	}
	return s
}

func (o Origin) describe() string {
	where := o.Where()
	switch o.Kind {
	case FromDefault:
		return "default"
	case FromEnvironment, FromSecret:
		return o.Kind.String() + " " + where
	case FromArgument:
		return "argument at " + where
	case FromConfigure:
		if where == "" {
			return "set in configure"
		}
		return "set in configure at " + where
	case FromKind:
		return "set by " + o.By + " at " + where
	}
	return "unknown"
}

// EnvPosition returns a position in an environment or secrets file.
func EnvPosition(file string, line int) syntax.Position {
	return syntax.MakePosition(&file, int32(line), 0)
}

// argBits is how many declared attributes Component.args has bits for;
// arguments for the others are recorded in the list.
const argBits = 32

// attrOrigin is one recorded origin of a component's attribute, in a
// list: few attributes are recorded, and the list costs the component one
// pointer.
type attrOrigin struct {
	name     string
	kind     OriginKind
	pos      syntax.Position
	replaced *Origin
	next     *attrOrigin
}

// record notes that attribute name (declared as spec, or nil) now comes
// from kind at pos. Values given as arguments are not recorded here but
// in a bit per declared attribute (see given), so creating a component
// costs no allocation.
func (c *Component) record(name string, spec *AttrSpec, kind OriginKind, pos syntax.Position) {
	if spec != nil && spec.index < argBits {
		c.args &^= 1 << spec.index
	}
	for o := c.origins; o != nil; o = o.next {
		if o.name == name {
			if o.kind != kind || o.pos != pos {
				o.replaced = &Origin{Kind: o.kind, Pos: o.pos}
			}
			o.kind, o.pos = kind, pos
			return
		}
	}
	c.origins = &attrOrigin{name: name, kind: kind, pos: pos, next: c.origins}
}

// given notes that the declared attribute spec was given as an argument
// when c was created.
func (c *Component) given(spec *AttrSpec) {
	if spec.index < argBits {
		c.args |= 1 << spec.index
	} else {
		c.record(spec.Name, spec, FromArgument, c.pos)
	}
}

// Origin returns where the current value of attribute name came from.
func (c *Component) Origin(name string) Origin {
	spec := c.def.attrs[name]
	for o := c.origins; o != nil; o = o.next {
		if o.name == name {
			return Origin{Kind: o.kind, Pos: o.pos, Replaced: o.replaced}
		}
	}
	switch {
	case spec != nil && spec.index < argBits && c.args&(1<<spec.index) != 0:
		return Origin{Kind: FromArgument, Pos: c.pos}
	case c.kindSub && c.parent != nil:
		return Origin{Kind: FromKind, Pos: c.parent.pos, By: c.parent.Label()}
	case spec != nil && c.computedByKind(spec):
		return Origin{Kind: FromKind, Pos: c.pos, By: c.Label()}
	case spec != nil:
		return Origin{Kind: FromDefault}
	}
	return Origin{}
}

// computedByKind reports whether the built-in kind of c replaced the
// default of an attribute that was not given (File computes its content
// from source=, say).
func (c *Component) computedByKind(spec *AttrSpec) bool {
	if c.def.kind == nil || !spec.HasDefault {
		return false
	}
	v, ok := c.value(spec.Name)
	if !ok {
		return false
	}
	eq, err := starlark.Equal(v, spec.Default)
	return err == nil && !eq
}

// assignPos returns where Starlark code assigns an attribute of c right
// now: the innermost frame of the configuring thread. ok is false when
// no configure is running (on the host, or at the top level of a file).
func (c *Component) assignPos() (syntax.Position, bool) {
	r := c.root
	if r == nil {
		r = c.home
	}
	if r == nil || r.active == nil || r.active.CallStackDepth() == 0 {
		return syntax.Position{}, false
	}
	return r.active.CallFrame(0).Pos, true
}

// SetNames returns the names of the attributes that hold a value (set,
// given, overridden or a default that was read), sorted, without the
// internal ones.
func (c *Component) SetNames() []string {
	var names []string
	for _, n := range c.valueNames() {
		if !strings.HasPrefix(n, "_") {
			names = append(names, n)
		}
	}
	return names
}

// HasValue reports whether attribute name holds a value.
func (c *Component) HasValue(name string) bool {
	return c.has(name)
}
