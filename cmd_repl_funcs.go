package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/batou-go/batou/runtime"
	"github.com/batou-go/batou/starlib"
	"go.starlark.net/starlark"
)

// replOutput writes what the REPL prints, with secret values masked.
type replOutput struct {
	w    io.Writer
	mask func(string) string
}

func (o *replOutput) Write(p []byte) (int, error) {
	if _, err := io.WriteString(o.w, o.mask(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

type builtinFn = func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)

// replHelp is what help() prints.
const replHelp = `Explore the configured model of this environment. Bound names:
  environment          the environment (name, host_domain, platform, ...)
  hosts                the hosts by name: hosts["web1"] or hosts.web1, with
                       .components (the root components by name), .fqdn, .data, ...
  resources            the provided keys: resources["app"].providers,
                       .requirers, .values
Functions:
  show(x)              a component's attributes with where each value comes from;
                       also a host, a resource, hosts, resources or environment
  show(x, "attr")      one attribute in full, with its type and doc
  deps(x)              what x's root requires and provides, and what it deploys after
  sub_components(x)    the components x added, in order
  dir(x)               the attributes of x
Tab completes names and attributes; Ctrl-D ends the session.
`

// replFunctions returns the REPL's functions.
func replFunctions(m *runtime.Model, out *replOutput) map[string]builtinFn {
	return map[string]builtinFn{
		"show": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var x starlark.Value
			var attr string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "x", &x, "attr?", &attr); err != nil {
				return nil, err
			}
			return starlark.None, showValue(out, m, x, attr)
		},
		"deps": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var x starlark.Value
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &x); err != nil {
				return nil, err
			}
			r, err := rootOfValue(m, x)
			if err != nil {
				return nil, err
			}
			writeDeps(out, m, r)
			return starlark.None, nil
		},
		"sub_components": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var x starlark.Value
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &x); err != nil {
				return nil, err
			}
			c, ok := componentOf(x)
			if !ok {
				return nil, fmt.Errorf("sub_components: want a component, not %s", x.Type())
			}
			subs := make([]starlark.Value, len(c.Children()))
			for i, s := range c.Children() {
				subs[i] = s
			}
			l := starlark.NewList(subs)
			l.Freeze()
			return l, nil
		},
		"help": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			fmt.Fprint(out, replHelp)
			return starlark.None, nil
		},
	}
}

// componentOf returns the component behind x: a component or a
// read-only view of a provided one.
func componentOf(x starlark.Value) (*starlib.Component, bool) {
	switch x := x.(type) {
	case *starlib.Component:
		return x, true
	case *starlib.View:
		c := x.Component()
		return c, c != nil
	}
	return nil, false
}

// showValue prints x: a component (optionally one attribute), a host, a
// resource, the hosts, the resources or the environment.
func showValue(w io.Writer, m *runtime.Model, x starlark.Value, attr string) error {
	if c, ok := componentOf(x); ok {
		if attr == "" {
			writeComponentText(w, describeComponent(m, c))
			return nil
		}
		a, found := m.Attribute(c, attr)
		if !found {
			names := attrNames(m, c)
			return fmt.Errorf("show: %s has no attribute %s%s; it has %s", c.Label(), attr, suggestion(attr, names), strings.Join(names, ", "))
		}
		info := describeAttr(m, a, 0)
		info.Path = c.Path()
		if r := m.RootOf(c); r != nil {
			info.Host = r.Host.Name
		}
		writeAttrText(w, info)
		return nil
	}
	if attr != "" {
		return fmt.Errorf("show: an attribute can only be shown of a component, not of a %s", x.Type())
	}
	switch x := x.(type) {
	case *replHost:
		writeHostText(w, describeHost(m, x.h))
	case *replResource:
		writeResourceText(w, describeResource(x.res), "")
	case *namespace:
		return showNamespace(w, m, x)
	case *starlib.Environment:
		writeEnvText(w, envDoc(m))
	default:
		return fmt.Errorf("show: want a component, host, resource, hosts, resources or environment, not %s", x.Type())
	}
	return nil
}

func showNamespace(w io.Writer, m *runtime.Model, n *namespace) error {
	switch n.name {
	case "hosts":
		writeEnvText(w, envDoc(m))
	case "resources":
		for _, r := range m.Resources() {
			writeResourceText(w, describeResource(r), "")
		}
	default:
		for _, k := range n.keys {
			if err := showValue(w, m, n.values[k], ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// rootOfValue returns the root of a component (its own root for a
// sub-component) or of "name@host".
func rootOfValue(m *runtime.Model, x starlark.Value) (*runtime.Root, error) {
	if c, ok := componentOf(x); ok {
		if r := m.RootOf(c); r != nil {
			return r, nil
		}
		return nil, fmt.Errorf("deps: %s is not part of the configured model", c.Label())
	}
	if s, ok := x.(starlark.String); ok {
		var ids []string
		for _, r := range m.Roots {
			if r.ID() == string(s) {
				return r, nil
			}
			ids = append(ids, r.ID())
		}
		return nil, fmt.Errorf("deps: no root %s%s; the roots are %s", string(s), suggestion(string(s), ids), strings.Join(ids, ", "))
	}
	return nil, fmt.Errorf("deps: want a component or \"name@host\", not %s", x.Type())
}

// writeDeps prints what root r requires and provides, and the roots it
// deploys after.
func writeDeps(w io.Writer, m *runtime.Model, r *runtime.Root) {
	fmt.Fprintln(w, r.ID())
	var requires, provides []string
	for _, res := range m.Resources() {
		for _, q := range res.Required {
			if q.Root == r {
				var ids []string
				for _, p := range q.Providers {
					ids = append(ids, p.ID())
				}
				site := &resSite{HostOnly: q.Host, Optional: !q.Strict, Reverse: q.Reverse, Dirty: q.Dirty, One: q.One}
				requires = append(requires, fmt.Sprintf("%q at %s%s: %s", res.Key, posText(q.Pos), requireNotes(site), orNobody(ids)))
			}
		}
		for _, p := range res.Provided {
			if p.Root == r {
				provides = append(provides, fmt.Sprintf("%q at %s: required by %s", res.Key, posText(p.Pos), orNobody(requirersOf(res, r))))
			}
		}
	}
	writeList(w, "requires", requires)
	writeList(w, "provides", provides)
	var after []string
	for _, d := range m.DependsOn(r) {
		after = append(after, d.ID())
	}
	fmt.Fprintf(w, "  deploys after %s\n", orNothing(after))
}

func requirersOf(res *runtime.Resource, provider *runtime.Root) []string {
	var out []string
	for _, q := range res.Required {
		for _, p := range q.Providers {
			if p == provider {
				out = append(out, q.Root.ID())
				break
			}
		}
	}
	return out
}

func writeList(w io.Writer, verb string, items []string) {
	if len(items) == 0 {
		fmt.Fprintf(w, "  %s nothing\n", verb)
	}
	for _, it := range items {
		fmt.Fprintf(w, "  %s %s\n", verb, it)
	}
}

func orNothing(ids []string) string {
	if len(ids) == 0 {
		return "nothing"
	}
	return strings.Join(ids, ", ")
}
