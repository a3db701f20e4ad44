package starlib

import (
	"github.com/batou-go/batou/runtime/plan"
	"go.starlark.net/starlark"
)

// TaintRenderer is a Renderer that also reports whether a render used a
// sensitive value (see Session.Sensitive). The template engine implements
// it; a Renderer that does not is still used, with only the template
// source and the output checked.
type TaintRenderer interface {
	RenderTaint(thread *starlark.Thread, name, source string, vars map[string]starlark.Value,
		sensitive func(string) bool) (string, bool, error)
}

// renderTracked renders a template and marks its output sensitive when it
// was computed from a sensitive value: one the template read, or a
// template source that is itself a secret.
func (s *Session) renderTracked(thread *starlark.Thread, name, source string, vars map[string]starlark.Value) (string, error) {
	m := s.Sensitive
	tr, ok := s.Templates.(TaintRenderer)
	if m.Len() == 0 || !ok {
		out, err := s.Templates.Render(thread, name, source, vars)
		if err == nil && m.Is(source) {
			m.Derive(out)
		}
		return out, err
	}
	out, tainted, err := tr.RenderTaint(thread, name, source, vars, m.Is)
	if err == nil && (tainted || m.Is(source)) {
		m.Derive(out)
	}
	return out, err
}

// deriveValue marks every string inside v sensitive: v was computed from
// a secret (a list attribute split from a secret override, say).
func (s *Session) deriveValue(v starlark.Value) {
	switch v := v.(type) {
	case starlark.String:
		s.Sensitive.Derive(string(v))
	case starlark.Bytes:
		s.Sensitive.Derive(string(v))
	case *starlark.List:
		for i := 0; i < v.Len(); i++ {
			s.deriveValue(v.Index(i))
		}
	case starlark.Tuple:
		for _, x := range v {
			s.deriveValue(x)
		}
	case *starlark.Dict:
		for _, kv := range v.Items() {
			s.deriveValue(kv[0])
			s.deriveValue(kv[1])
		}
	case *Address:
		s.Sensitive.Derive(v.addr.Host)
	}
}

// masked returns args with sensitive strings replaced by ***, so that a
// message formatted from them shows no secret, short ones included.
func (s *Session) masked(args starlark.Tuple) starlark.Tuple {
	if s.Sensitive.Len() == 0 {
		return args
	}
	out := make(starlark.Tuple, len(args))
	for i, a := range args {
		out[i] = a
		if s.isSensitive(a) {
			out[i] = starlark.String(plan.Masked)
		}
	}
	return out
}

// isSensitive reports whether v is a sensitive string or a sequence that
// holds one.
func (s *Session) isSensitive(v starlark.Value) bool {
	switch v := v.(type) {
	case starlark.String:
		return s.Sensitive.Touches(string(v))
	case starlark.Tuple:
		for _, x := range v {
			if s.isSensitive(x) {
				return true
			}
		}
	case *starlark.List:
		for i := 0; i < v.Len(); i++ {
			if s.isSensitive(v.Index(i)) {
				return true
			}
		}
	}
	return false
}
