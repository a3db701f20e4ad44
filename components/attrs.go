package components

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
)

// str returns the attribute name as a string; unset or non-string values
// give "".
func (a Attrs) str(name string) string {
	s, _ := a[name].(string)
	return s
}

// flag returns the attribute name as a bool; unset or non-bool values give
// false.
func (a Attrs) flag(name string) bool {
	b, _ := a[name].(bool)
	return b
}

// list returns the attribute name as a list; unset or non-list values give
// nil.
func (a Attrs) list(name string) []any {
	l, _ := a[name].([]any)
	return l
}

// strOrNil checks that the attribute name is a string or unset and returns
// it ("" when unset).
func (a Attrs) strOrNil(name string) (string, error) {
	switch v := a[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", fmt.Errorf("%s must be a string, not %s", name, typeName(v))
	}
}

// typeName names the Starlark-level type of a plain Go attribute value.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, int:
		return "int"
	case float64:
		return "float"
	case string:
		return "string"
	case []byte:
		return "bytes"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// normPath maps the path attribute name of a with ctx.Map and sets
// DisplayAttr to the path as the user gave it (unless a parent already set
// it). It changes a in place (Expand owns its input) and returns it and
// the display form.
func normPath(ctx ExpandContext, a Attrs, name string) (Attrs, string, error) {
	given, err := a.strOrNil(name)
	if err != nil {
		return nil, "", err
	}
	if given == "" {
		return nil, "", fmt.Errorf("%s must not be empty", name)
	}
	out := a
	// A value that stays is not stored again: storing boxes the string
	// anew (sub-components get both from their parent, mapped already).
	display, _ := out[DisplayAttr].(string)
	if display == "" {
		display = given
		out[DisplayAttr] = display
	}
	if mapped := ctx.Map(given); mapped != given {
		out[name] = mapped
	}
	return out, display, nil
}

// sub builds a sub-component of kind for the same path as a: it gets the
// mapped path and the display form, plus the given attributes, which win.
// extra must be a new map of the caller's: it becomes the sub-component's
// attributes.
func sub(kind string, a Attrs, extra Attrs) Sub {
	if _, ok := extra["path"]; !ok {
		extra["path"] = a["path"]
	}
	if _, ok := extra[DisplayAttr]; !ok {
		extra[DisplayAttr] = a[DisplayAttr]
	}
	return Sub{Kind: kind, Attrs: extra}
}

// predict reports whether c asks for prediction; a nil context does not.
func (c *Context) predict() bool {
	return c != nil && c.Predict
}

// logf reports a message through c.Log, if there is one.
func (c *Context) logf(format string, args ...any) {
	if c != nil && c.Log != nil {
		c.Log(format, args...)
	}
}

// hostPath turns a path attribute into the path used on the host: ~ and
// ~user are expanded (~ to c.Home, or the current user's home when Home is
// empty) and a relative path is joined to c.Workdir.
func (c *Context) hostPath(p string) string {
	if strings.HasPrefix(p, "~") {
		p = c.expandHome(p)
	}
	if !filepath.IsAbs(p) && c != nil && c.Workdir != "" {
		p = filepath.Join(c.Workdir, p)
	}
	return filepath.Clean(p)
}

// expandHome expands a leading ~ or ~user; it leaves p unchanged when the
// home directory cannot be found.
func (c *Context) expandHome(p string) string {
	name, rest, _ := strings.Cut(p[1:], "/")
	home := ""
	switch {
	case name == "" && c != nil && c.Home != "":
		home = c.Home
	case name == "":
		home, _ = os.UserHomeDir()
	default:
		if u, err := user.Lookup(name); err == nil {
			home = u.HomeDir
		}
	}
	if home == "" {
		return p
	}
	return filepath.Join(home, rest)
}
