package jinja

import (
	"errors"
	"fmt"
	"slices"

	"go.starlark.net/starlark"
)

// macro is a macro defined by {% macro %}, or the caller of a {% call %}
// block. Calling it renders its body and returns the text.
type macro struct {
	r     *renderer
	def   *macroDef
	scope *scope // where it was defined
}

var _ starlark.Callable = (*macro)(nil)

func (m *macro) String() string        { return fmt.Sprintf("<Macro '%s'>", m.def.name) }
func (m *macro) Type() string          { return "Macro" }
func (m *macro) Freeze()               {}
func (m *macro) Truth() starlark.Bool  { return true }
func (m *macro) Hash() (uint32, error) { return 0, errors.New("unhashable type: Macro") }
func (m *macro) Name() string          { return m.def.name }

// CallInternal lets Starlark code call a macro it was given.
func (m *macro) CallInternal(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return m.call(args, kwargs)
}

// call binds the arguments as Jinja2 does and renders the body.
func (m *macro) call(args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := m.r.enter("macro " + quotePy(m.def.name)); err != nil {
		return nil, err
	}
	defer m.r.leave()
	s := newScope(m.scope)
	kw := newKwargs(kwargs)
	if err := m.bindParams(s, args, kw); err != nil {
		return nil, err
	}
	if err := m.bindSpecial(s, args, kw); err != nil {
		return nil, err
	}
	text, err := m.r.capture(m.def.body, s)
	if err != nil {
		return nil, err
	}
	return starlark.String(text), nil
}

// bindParams binds the declared parameters from positional arguments,
// keyword arguments and defaults; a missing one is undefined.
func (m *macro) bindParams(s *scope, args starlark.Tuple, kw *kwargs) error {
	d := m.def
	firstDefault := len(d.params) - len(d.defaults)
	for i, name := range d.params {
		if i < len(args) {
			s.set(name, args[i])
			continue
		}
		if v, ok := kw.pop(name); ok {
			s.set(name, v)
			continue
		}
		if i >= firstDefault {
			v, err := m.r.eval(d.defaults[i-firstDefault], s)
			if err != nil {
				return err
			}
			s.set(name, v)
			continue
		}
		s.set(name, &undefined{name: name, hint: fmt.Sprintf("parameter %s was not provided", quotePy(name))})
	}
	return nil
}

// bindSpecial binds caller, kwargs and varargs when the body uses them
// and rejects extra arguments otherwise.
func (m *macro) bindSpecial(s *scope, args starlark.Tuple, kw *kwargs) error {
	d := m.def
	if d.caller && !slices.Contains(d.params, "caller") {
		v, ok := kw.pop("caller")
		if !ok {
			v = &undefined{name: "caller", hint: "No caller defined"}
		}
		s.set("caller", v)
	}
	if d.kwargs {
		s.set("kwargs", kw.dict())
	} else if len(kw.keys) > 0 {
		return fmt.Errorf("macro %s takes no keyword argument %s", quotePy(d.name), quotePy(kw.keys[0]))
	}
	if d.varargs {
		extra := starlark.Tuple{}
		if len(args) > len(d.params) {
			extra = args[len(d.params):]
		}
		s.set("varargs", extra)
	} else if len(args) > len(d.params) {
		return fmt.Errorf("macro %s takes not more than %d argument(s)", quotePy(d.name), len(d.params))
	}
	return nil
}

// kwargs is an ordered set of keyword arguments that parameters take
// from.
type kwargs struct {
	keys   []string
	values map[string]starlark.Value
}

func newKwargs(pairs []starlark.Tuple) *kwargs {
	k := &kwargs{values: make(map[string]starlark.Value, len(pairs))}
	for _, kv := range pairs {
		name := string(kv[0].(starlark.String))
		k.keys = append(k.keys, name)
		k.values[name] = kv[1]
	}
	return k
}

func (k *kwargs) pop(name string) (starlark.Value, bool) {
	v, ok := k.values[name]
	if !ok {
		return nil, false
	}
	delete(k.values, name)
	for i, key := range k.keys {
		if key == name {
			k.keys = append(k.keys[:i], k.keys[i+1:]...)
			break
		}
	}
	return v, true
}

func (k *kwargs) dict() *starlark.Dict {
	d := starlark.NewDict(len(k.keys))
	for _, name := range k.keys {
		_ = d.SetKey(starlark.String(name), k.values[name])
	}
	return d
}
