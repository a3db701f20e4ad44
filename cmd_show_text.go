package main

import (
	"fmt"
	"io"
	"strings"

	"go.starlark.net/syntax"
)

// The text form of batou show, also what show() prints in the REPL.

// writeText prints the document for people.
func (d *showDocument) writeText(w io.Writer) {
	switch {
	case d.Environment != nil:
		writeEnvText(w, d)
	case d.Host != nil:
		writeHostText(w, d.Host)
	case d.Component != nil:
		writeComponentText(w, d.Component)
	case d.Attribute != nil:
		writeAttrText(w, d.Attribute)
	}
}

func writeEnvText(w io.Writer, d *showDocument) {
	e := d.Environment
	fmt.Fprintf(w, "environment %s (%s)\n", e.Name, e.File)
	for _, kv := range [][2]string{{"connect_method", e.ConnectMethod}, {"host_domain", e.HostDomain},
		{"platform", e.Platform}, {"service_user", e.ServiceUser}, {"target_directory", e.TargetDirectory}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "  %s = %s\n", kv[0], kv[1])
		}
	}
	fmt.Fprintln(w, "hosts:")
	for _, h := range d.Hosts {
		fmt.Fprintf(w, "  %s%s: %s\n", bang(h.Ignored), h.Name, rootList(h.Roots))
	}
	if len(d.Resources) > 0 {
		fmt.Fprintln(w, "resources:")
		for _, r := range d.Resources {
			writeResourceText(w, r, "  ")
		}
	}
}

func bang(ignored bool) string {
	if ignored {
		return "!"
	}
	return ""
}

func rootList(roots []*rootInfo) string {
	names := make([]string, len(roots))
	for i, r := range roots {
		names[i] = bang(r.Ignored) + r.Name
	}
	if len(names) == 0 {
		return "(no components)"
	}
	return strings.Join(names, ", ")
}

func writeResourceText(w io.Writer, r *resInfo, indent string) {
	fmt.Fprintf(w, "%s%s\n", indent, r.Key)
	for _, p := range r.Provided {
		fmt.Fprintf(w, "%s  provided by %s at %s:%d\n", indent, p.Root, p.File, p.Line)
	}
	for _, q := range r.Required {
		fmt.Fprintf(w, "%s  required by %s at %s:%d%s\n", indent, q.Root, q.File, q.Line, requireNotes(q))
	}
	if len(r.Required) == 0 {
		fmt.Fprintf(w, "%s  required by nobody\n", indent)
	}
	if len(r.Provided) == 0 {
		fmt.Fprintf(w, "%s  provided by nobody\n", indent)
	}
}

// requireNotes lists the options of a require() call.
func requireNotes(q *resSite) string {
	var notes []string
	if q.HostOnly != "" {
		notes = append(notes, "host="+q.HostOnly)
	}
	if q.Optional {
		notes = append(notes, "strict=False")
	}
	if q.Reverse {
		notes = append(notes, "reverse=True")
	}
	if q.Dirty {
		notes = append(notes, "dirty=True")
	}
	if q.One {
		notes = append(notes, "require_one")
	}
	if len(notes) == 0 {
		return ""
	}
	return " (" + strings.Join(notes, ", ") + ")"
}

func writeHostText(w io.Writer, h *hostInfo) {
	fmt.Fprintf(w, "host %s%s\n", h.Name, map[bool]string{true: " (ignored: configured, not deployed)"}[h.Ignored])
	fmt.Fprintf(w, "  fqdn = %s\n", h.FQDN)
	if h.Platform != "" {
		fmt.Fprintf(w, "  platform = %s\n", h.Platform)
	}
	fmt.Fprintf(w, "  target_directory = %s\n", h.TargetDirectory)
	for _, k := range sortedKeys(h.Data) {
		fmt.Fprintf(w, "  data-%s = %s\n", k, h.Data[k])
	}
	fmt.Fprintln(w, "components:")
	for _, r := range h.Roots {
		fmt.Fprintf(w, "  %s%s  (%s at %s:%d)", bang(r.Ignored), r.Name, r.Kind, r.File, r.Line)
		if len(r.DependsOn) > 0 {
			fmt.Fprintf(w, " after %s", strings.Join(r.DependsOn, ", "))
		}
		fmt.Fprintln(w)
		if r.Error != "" {
			fmt.Fprintf(w, "    configure failed: %s\n", r.Error)
		}
	}
}

func writeComponentText(w io.Writer, c *compInfo) {
	if c.Path == c.Kind {
		fmt.Fprintf(w, "%s on %s  (root %s, defined at %s:%d)\n", c.Path, c.Host, c.Root, c.File, c.Line)
	} else {
		fmt.Fprintf(w, "%s on %s  (%s, created at %s:%d)\n", c.Path, c.Host, c.Kind, c.File, c.Line)
	}
	nameW, valW := 0, 0
	for _, a := range c.Attributes {
		nameW = max(nameW, len(a.Name))
		valW = max(valW, len(attrValueText(a)))
	}
	valW = min(valW, 40)
	for _, a := range c.Attributes {
		fmt.Fprintf(w, "  %-*s = %-*s  # %s\n", nameW, a.Name, valW, attrValueText(a), originText(a))
	}
	if len(c.Subs) > 0 {
		fmt.Fprintln(w, "sub-components:")
		for _, s := range c.Subs {
			fmt.Fprintf(w, "  %s  (%s:%d)\n", s.Path, s.File, s.Line)
		}
	}
}

func attrValueText(a *attrInfoJSON) string {
	if a.Error != "" {
		return "<no value>"
	}
	return a.Value
}

// originText is the comment after a value: its origin, and the roots a
// required value came from.
func originText(a *attrInfoJSON) string {
	s := a.Origin.Text
	if a.Error != "" {
		s = a.Error
	}
	if len(a.ProvidedBy) > 0 {
		s += "; provided by " + strings.Join(a.ProvidedBy, ", ")
	}
	return s
}

func writeAttrText(w io.Writer, a *attrInfoJSON) {
	fmt.Fprintf(w, "%s on %s: %s = %s\n", a.Path, a.Host, a.Name, attrValueText(a))
	if a.Type != "" {
		fmt.Fprintf(w, "  type: %s\n", a.Type)
	}
	fmt.Fprintf(w, "  from: %s\n", originText(a))
	if a.Doc != "" {
		fmt.Fprintf(w, "  doc: %s\n", a.Doc)
	}
}

// posText renders a position as file:line.
func posText(p syntax.Position) string {
	if !p.IsValid() {
		return "?"
	}
	return fmt.Sprintf("%s:%d", p.Filename(), p.Line)
}
