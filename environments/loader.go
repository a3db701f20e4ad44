package environments

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode"

	"github.com/batou-go/batou/environments/ini"
)

// loader collects what one environment file defines and what is wrong
// with it.
type loader struct {
	env   *Environment
	file  string // project-relative path of the file being read
	errs  Errors
	hosts map[string]Pos // where each host was first defined
	defs  int            // host definitions seen, valid or not
}

// pos returns the position of line in the environment file.
func (l *loader) pos(line int) Pos { return Pos{File: l.file, Line: line} }

// errorf records an error at line.
func (l *loader) errorf(line int, hint, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: l.pos(line), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// warnf records a warning at line.
func (l *loader) warnf(line int, hint, format string, args ...any) {
	l.env.Warnings = append(l.env.Warnings, &Error{Pos: l.pos(line), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// syntax records the INI syntax errors.
func (l *loader) syntax(err error) {
	var list ini.Errors
	if errors.As(err, &list) {
		for _, e := range list {
			l.errorf(e.Line, e.Hint, "%s", e.Msg)
		}
	} else if err != nil {
		l.errorf(0, "", "%s", err)
	}
}

// readFile reads every section: [environment] first, as hosts inherit from
// it, then [hosts], then the others in file order.
func (l *loader) readFile(f *ini.File) {
	if s := f.Section("environment"); s != nil {
		l.environment(s)
	}
	l.defaults()
	hostsLine := 0
	if s := f.Section("hosts"); s != nil {
		l.hostList(s)
		hostsLine = s.Line
	}
	for _, s := range f.Sections() {
		l.section(s)
	}
	if l.defs == 0 {
		l.errorf(max(hostsLine, 1), "add a [hosts] section with lines like `myhost = component1, component2`",
			"the environment has no hosts")
	}
}

// section dispatches one section other than [environment] and [hosts].
func (l *loader) section(s *ini.Section) {
	kind, arg, colon := strings.Cut(s.Name, ":")
	switch {
	case s.Name == "environment" || s.Name == "hosts":
	case colon && kind == "host":
		l.hostSection(s, arg)
	case colon && kind == "component":
		l.overrideSection(s, arg)
	case s.Name == "resolver":
		l.resolver(s)
	case s.Name == "vfs":
		l.warnf(s.Line, "remove the section; paths are used as written", "[vfs] is not supported; the section is ignored")
	case colon && kind == "provisioner":
		l.warnf(s.Line, "remove the section and create the hosts by other means", "provisioning is not supported; [%s] is ignored", s.Name)
	default:
		l.unknownSection(s, kind, arg, colon)
	}
}

// unknownSection reports a section the file may not have.
func (l *loader) unknownSection(s *ini.Section, kind, arg string, colon bool) {
	guess := didYouMean(s.Name, []string{"environment", "hosts", "resolver"})
	if colon {
		guess = didYouMean(kind, []string{"host", "component"})
		if guess != "" {
			guess = strings.TrimSuffix(guess, "? ") + ":" + arg + "? "
		}
	}
	l.errorf(s.Line, guess+"valid sections: [environment], [hosts], [host:NAME], [component:NAME], [resolver]",
		"unknown section [%s]", s.Name)
}

// overrideSection reads a [component:NAME] section.
func (l *loader) overrideSection(s *ini.Section, name string) {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "" || strings.ContainsFunc(key, unicode.IsSpace) {
		l.errorf(s.Line, "write [component:NAME] with the name of a component", "[%s] does not name a component", s.Name)
		return
	}
	if first, ok := l.env.OverrideSections[key]; ok {
		l.errorf(s.Line, "merge the two sections; component names are not case-sensitive",
			"[%s] overrides component %s a second time (first at line %d)", s.Name, key, first.Line)
		return
	}
	l.env.OverrideSections[key] = l.pos(s.Line)
	settings := []*Setting{}
	for _, k := range s.Keys() {
		settings = append(settings, &Setting{Key: k.Name, Value: k.Value, Pos: l.pos(k.Line)})
	}
	l.env.Overrides[key] = settings
}

// resolver reads the [resolver] section: `name = address`, one address
// per value line (commas and spaces separate too).
func (l *loader) resolver(s *ini.Section) {
	for _, k := range s.Keys() {
		r, seen := &Resolved{Pos: l.pos(k.Line)}, 0
		for i, text := range strings.Split(k.Value, "\n") {
			seen += l.addresses(r, text, k.ValueLine(i))
		}
		if seen == 0 {
			l.errorf(k.Line, "write "+k.Name+" = ADDRESS with an IPv4 or IPv6 address", "resolver entry %s has no address", k.Name)
			continue
		}
		if len(r.V4)+len(r.V6) > 0 {
			l.env.Resolver[k.Name] = r
		}
	}
}

// addresses adds the addresses of one value line and returns how many
// words the line has.
func (l *loader) addresses(r *Resolved, text string, line int) int {
	fields := strings.FieldsFunc(text, func(c rune) bool { return c == ',' || unicode.IsSpace(c) })
	for _, f := range fields {
		a, err := netip.ParseAddr(f)
		switch {
		case err != nil:
			l.errorf(line, "each value line of a [resolver] entry is an IPv4 or IPv6 address", "not a valid IP address: %s", f)
		case a.Is4():
			r.V4 = append(r.V4, a)
		default:
			r.V6 = append(r.V6, a)
		}
	}
	return len(fields)
}
