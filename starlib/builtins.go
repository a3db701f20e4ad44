package starlib

import (
	"fmt"
	"strings"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// predeclared returns the session's predeclared names, built once.
func (s *Session) predeclared() starlark.StringDict {
	s.mu.Lock()
	p := s.predecl
	s.mu.Unlock()
	if p == nil {
		p = s.Predeclared()
		s.mu.Lock()
		s.predecl = p
		s.mu.Unlock()
	}
	return p
}

// Predeclared returns the names every .star file sees: Component,
// Attribute, Address, platform, update_needed, json, struct, fs, path and
// the built-in component library (File, Directory, ..., git.Clone, ...).
func (s *Session) Predeclared() starlark.StringDict {
	d := starlark.StringDict{
		"Component":     starlark.NewBuiltin("Component", componentBuiltin),
		"Attribute":     starlark.NewBuiltin("Attribute", attribute),
		"Address":       &addressType{},
		"platform":      starlark.NewBuiltin("platform", platformBuiltin),
		"update_needed": starlark.NewBuiltin("update_needed", updateNeeded),
		"json":          json.Module,
		"struct":        starlark.NewBuiltin("struct", starlarkstruct.Make),
		"fs":            fsModule(),
		"path":          pathModule(),
	}
	namespaces := map[string]starlark.StringDict{}
	for _, name := range s.Kinds.Names() {
		def := s.kindDef(name)
		if ns, member, ok := strings.Cut(name, "."); ok {
			if namespaces[ns] == nil {
				namespaces[ns] = starlark.StringDict{}
			}
			namespaces[ns][member] = def
			continue
		}
		d[name] = def
	}
	for ns, members := range namespaces {
		d[ns] = &starlarkstruct.Module{Name: ns, Members: members}
	}
	return d
}

// platformBuiltin implements platform(name, component, platform_component).
func platformBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var of, impl *Def
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 3, &name, &of, &impl); err != nil {
		return nil, err
	}
	s := SessionOf(thread)
	if s == nil {
		return nil, fmt.Errorf("platform: no session")
	}
	if PhaseOf(thread) != PhaseLoad {
		return nil, fmt.Errorf("platform() registers platform components and must be called at the top level of a .star file")
	}
	s.addPlatform(name, of, impl)
	return starlark.None, nil
}
