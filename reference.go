package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/batou-go/batou/components"
	"github.com/urfave/cli/v3"
	"go.starlark.net/starlark"
)

// The reference pages in docs/reference/ are made from the code's own
// documentation: the built-in kinds' docs and attribute docs, and the
// commands' usage and flags. TestReferenceDocs fails when a page differs
// from what the code says; regenerate them with
//
//	go test -run TestReferenceDocs -update-docs .
//
//go:generate go test -run TestReferenceDocs -update-docs .

const generatedNote = "<!-- Generated from the code by `go test -run TestReferenceDocs -update-docs .`; do not edit. -->\n\n"

// referencePages returns the reference pages by file name.
func referencePages() map[string]string {
	return map[string]string{
		"library.md":  libraryReference(components.Builtin()),
		"commands.md": commandReference(newApp(io.Discard, io.Discard)),
	}
}

// libraryReference documents every built-in kind and its attributes.
func libraryReference(reg *components.Registry) string {
	var b strings.Builder
	b.WriteString("# Component library reference\n\n" + generatedNote)
	b.WriteString("Every built-in component kind with its attributes, as the code declares\n" +
		"them. Types are those of `Attribute()`; `any` accepts several types (see the\n" +
		"attribute's text). An attribute without a default must be given. The first\n" +
		"positional argument fills the attribute marked *first argument*.\n" +
		"[components.md](../components.md) shows the kinds in use.\n\n")
	names := reg.Names()
	for _, n := range names {
		fmt.Fprintf(&b, "- [%s](#%s)\n", n, anchor(n))
	}
	for _, n := range names {
		writeKind(&b, reg.Get(n))
	}
	return b.String()
}

func writeKind(b *strings.Builder, k *components.Kind) {
	fmt.Fprintf(b, "\n## %s\n\n", k.Name)
	call := k.Name + "("
	if k.Namevar != "" {
		call += k.Namevar + ", "
	}
	fmt.Fprintf(b, "`%s...)`\n\n", call)
	if k.Doc != "" {
		b.WriteString(strings.TrimSpace(k.Doc) + "\n\n")
	}
	b.WriteString("| attribute | type | default | meaning |\n|---|---|---|---|\n")
	attrs := append([]components.Attr(nil), k.Attrs...)
	sort.SliceStable(attrs, func(i, j int) bool { return attrs[i].Name < attrs[j].Name })
	for _, a := range attrs {
		if strings.HasPrefix(a.Name, "_") {
			continue
		}
		def := defaultText(a)
		if a.Name == k.Namevar {
			def = "*first argument*"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", a.Name, a.Type, def, cell(a.Doc))
	}
}

// defaultText renders an attribute's default as Starlark.
func defaultText(a components.Attr) string {
	switch {
	case a.Required:
		return "*required*"
	case a.Default == nil:
		return "`None`"
	}
	var v starlark.Value
	switch d := a.Default.(type) {
	case string:
		v = starlark.String(d)
	case bool:
		v = starlark.Bool(d)
	case int:
		v = starlark.MakeInt(d)
	case int64:
		v = starlark.MakeInt64(d)
	case float64:
		v = starlark.Float(d)
	default:
		return "`" + fmt.Sprint(d) + "`"
	}
	return "`" + v.String() + "`"
}

// cell makes text fit in a table cell.
func cell(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// anchor is the GitHub anchor of a heading.
func anchor(heading string) string {
	return strings.ToLower(strings.NewReplacer(".", "", " ", "-").Replace(heading))
}

// commandReference documents every command and its flags.
func commandReference(app *cli.Command) string {
	var b strings.Builder
	b.WriteString("# Command reference\n\n" + generatedNote)
	b.WriteString("Flags may stand before or after the arguments. Exit status: 0 success,\n" +
		"1 a failed deploy or check, 2 wrong usage.\n")
	for _, c := range app.Commands {
		writeCommand(&b, "batou", c, "##")
	}
	return b.String()
}

// writeCommand documents command c of parent, and its sub-commands one
// heading level deeper.
func writeCommand(b *strings.Builder, parent string, c *cli.Command, heading string) {
	if c.Hidden {
		return
	}
	name := parent + " " + c.Name
	fmt.Fprintf(b, "\n%s %s\n\n", heading, name)
	if len(c.Commands) == 0 || c.ArgsUsage != "" || len(visibleFlags(c)) > 0 {
		fmt.Fprintf(b, "```\n%s\n```\n\n", strings.TrimSpace(name+" "+commandFlagsUsage(c)))
	}
	fmt.Fprintf(b, "%s.\n", upperFirst(strings.TrimSuffix(c.Usage, ".")))
	if c.Description != "" {
		fmt.Fprintf(b, "\n%s\n", strings.Join(strings.Fields(c.Description), " "))
	}
	writeFlags(b, c)
	for _, sub := range c.Commands {
		writeCommand(b, name, sub, heading+"#")
	}
}

func commandFlagsUsage(c *cli.Command) string {
	usage := c.ArgsUsage
	if len(visibleFlags(c)) > 0 {
		usage = "[flags] " + usage
	}
	return strings.TrimSpace(usage)
}

func visibleFlags(c *cli.Command) []cli.DocGenerationFlag {
	var out []cli.DocGenerationFlag
	for _, f := range c.Flags {
		if d, ok := f.(cli.DocGenerationFlag); ok {
			out = append(out, d)
		}
	}
	return out
}

func writeFlags(b *strings.Builder, c *cli.Command) {
	flags := visibleFlags(c)
	if len(flags) == 0 {
		return
	}
	b.WriteString("\n| flag | meaning |\n|---|---|\n")
	for i, f := range flags {
		var names []string
		for _, n := range c.Flags[i].Names() {
			dash := "--"
			if len(n) == 1 {
				dash = "-"
			}
			name := dash + n
			if f.TakesValue() {
				name += " " + flagValueName(f)
			}
			names = append(names, "`"+name+"`")
		}
		usage := strings.ReplaceAll(f.GetUsage(), "`", "")
		if def := f.GetValue(); f.TakesValue() && def != "" && def != "0" && def != `""` {
			usage += fmt.Sprintf(" (default %s)", strings.Trim(def, `"`))
		}
		fmt.Fprintf(b, "| %s | %s |\n", strings.Join(names, ", "), cell(usage))
	}
}

// flagValueName is the value placeholder of a flag: the word in
// backquotes of its usage (urfave/cli's convention), else VALUE.
func flagValueName(f cli.DocGenerationFlag) string {
	u := f.GetUsage()
	if i := strings.Index(u, "`"); i >= 0 {
		if j := strings.Index(u[i+1:], "`"); j >= 0 {
			return u[i+1 : i+1+j]
		}
	}
	return "VALUE"
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
