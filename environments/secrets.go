package environments

import (
	"slices"
	"strings"

	"github.com/batou-go/batou/environments/ini"
)

// MergeSecrets adds the content of a decrypted secrets file to the
// environment. rel is the project-relative path of the encrypted file;
// positions point into it.
//
// The [batou] section (members, provider) is skipped. A
// [component:NAME] section (or, as in batou, a bare [NAME]) adds
// overrides marked Secret; an attribute set both here and in the
// environment file is an error. A [host:NAME] section sets host data,
// with or without the data- prefix on its keys, replacing values from the
// environment file; a host the environment does not define is an error.
// Every value is added to SecretValues. The errors are returned sorted;
// an override section for a component that does not exist is left to
// the caller, which finds it in OverrideSections.
func (e *Environment) MergeSecrets(rel string, f *ini.File) Errors {
	l := &loader{env: e, file: rel}
	for _, s := range f.Sections() {
		l.secretSection(s)
	}
	sortErrors(l.errs)
	return l.errs
}

// secretSection merges one section of a secrets file.
func (l *loader) secretSection(s *ini.Section) {
	kind, arg, colon := strings.Cut(s.Name, ":")
	switch {
	case s.Name == "batou": // members and provider: for the secrets tools
	case colon && kind == "host":
		l.secretHost(s, arg)
	case colon && kind == "component":
		l.secretOverrides(s, arg)
	case !colon && !slices.Contains([]string{"environment", "hosts", "resolver", "vfs"}, s.Name):
		l.secretOverrides(s, s.Name)
	default:
		l.errorf(s.Line, "a secrets file holds [component:NAME] and [host:NAME] sections",
			"[%s] is not allowed in a secrets file", s.Name)
	}
}

// secretHost merges host data.
func (l *loader) secretHost(s *ini.Section, name string) {
	h := l.env.Host(name)
	if h == nil {
		l.errorf(s.Line, l.hostNamesHint(name), "secrets for host %s, which the environment does not define", name)
		return
	}
	for _, k := range s.Keys() {
		key := strings.TrimPrefix(k.Name, "data-")
		if key == "" {
			l.errorf(k.Line, "write data-NAME = value or NAME = value", "data- without a name")
			continue
		}
		h.Data[key] = k.Value
		if h.SecretData == nil {
			h.SecretData = map[string]Pos{}
		}
		h.SecretData[key] = l.pos(k.Line)
		l.secret(k.Value)
	}
}

// secretOverrides merges component overrides.
func (l *loader) secretOverrides(s *ini.Section, name string) {
	comp := strings.ToLower(strings.TrimSpace(name))
	if _, ok := l.env.OverrideSections[comp]; !ok {
		l.env.OverrideSections[comp] = l.pos(s.Line)
	}
	for _, k := range s.Keys() {
		if prev := findSetting(l.env.Overrides[comp], k.Name); prev != nil {
			l.errorf(k.Line, "set it in one place only: in the secrets when the value is secret",
				"%s of component %s is set both here and at %s", k.Name, comp, prev.Pos)
			continue
		}
		l.env.Overrides[comp] = append(l.env.Overrides[comp], &Setting{Key: k.Name, Value: k.Value, Pos: l.pos(k.Line), Secret: true})
		l.secret(k.Value)
	}
}

// findSetting returns the setting of key, or nil.
func findSetting(settings []*Setting, key string) *Setting {
	for _, s := range settings {
		if s.Key == key {
			return s
		}
	}
	return nil
}

// secret records a value that must never be shown.
func (l *loader) secret(v string) {
	if v != "" && !slices.Contains(l.env.SecretValues, v) {
		l.env.SecretValues = append(l.env.SecretValues, v)
	}
}

// hostNamesHint lists the environment's hosts.
func (l *loader) hostNamesHint(name string) string {
	names := make([]string, len(l.env.Hosts))
	for i, h := range l.env.Hosts {
		names[i] = h.Name
	}
	if len(names) == 0 {
		return "the environment defines no hosts"
	}
	return didYouMean(name, names) + "hosts of the environment: " + strings.Join(names, ", ")
}
