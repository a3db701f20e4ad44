package environments

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/batou-go/batou/environments/ini"
)

// Host is one host of an environment.
type Host struct {
	// Name is the host's name as written, without a leading `!`.
	Name string
	// Ignore marks a host that is configured but neither connected nor
	// deployed: `!name` in [hosts] or `ignore = true`.
	Ignore bool
	// Components lists the roots to deploy on the host, in order.
	Components []*HostComponent
	// Platform is the host's platform, else the environment's.
	Platform string
	// TargetDirectory is the host's target directory, else the
	// environment's.
	TargetDirectory string
	// ServiceUser is the host's service user, else the environment's.
	ServiceUser string
	// RequireSudo is the host's require_sudo, else the environment's.
	RequireSudo bool
	// HostDomain is the environment's host_domain.
	HostDomain string
	// Data holds the data-* keys without their prefix.
	Data map[string]string
	// SecretData holds, for each key of Data that came from the secrets,
	// where it is set there.
	SecretData map[string]Pos
	// KeyPos holds the position of each key of a [host:NAME] section.
	KeyPos map[string]Pos
	// Pos is where the host is defined: its line in [hosts] or its
	// [host:NAME] header.
	Pos Pos
}

// HostComponent is one entry of a host's component list.
type HostComponent struct {
	// Name is the component's name, lower-cased.
	Name string
	// Ignore marks a root that is configured but not deployed (`!name`).
	Ignore bool
	// Features lists the features given as `name:feature`, in order.
	Features []string
	// Pos is the line the entry is on.
	Pos Pos
}

// FQDN returns the host name followed by the host domain, if there is one.
func (h *Host) FQDN() string {
	if h.HostDomain == "" {
		return h.Name
	}
	return h.Name + "." + h.HostDomain
}

// Component returns the entry for the component called name, or nil.
func (h *Host) Component(name string) *HostComponent {
	for _, c := range h.Components {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// hostKeys lists the keys of [host:NAME] sections, for messages.
var hostKeys = []string{"components", "ignore", "platform", "target_directory",
	"service_user", "require_sudo", "data-NAME"}

// hostList reads the [hosts] section: `[!]name = components`.
func (l *loader) hostList(s *ini.Section) {
	for _, k := range s.Keys() {
		l.defs++
		name, ignore := strings.CutPrefix(k.Name, "!")
		h := l.newHost(strings.TrimSpace(name), k.Line)
		if h == nil {
			continue
		}
		h.Ignore = ignore
		l.components(h, k)
		l.inherit(h)
	}
}

// hostSection reads a [host:NAME] section.
func (l *loader) hostSection(s *ini.Section, name string) {
	l.defs++
	h := l.newHost(name, s.Line)
	if h == nil {
		return
	}
	for _, k := range s.Keys() {
		if l.hostKey(h, k) {
			h.KeyPos[k.Name] = l.pos(k.Line)
		}
	}
	if _, ok := h.KeyPos["components"]; !ok {
		l.errorf(s.Line, "add a line like `components = component1, component2`",
			"[host:%s] has no components key", name)
	}
	l.inherit(h)
}

// hostKey reads one key of a [host:NAME] section and reports whether it
// is known.
func (l *loader) hostKey(h *Host, k *ini.Key) bool {
	switch {
	case k.Name == "components":
		l.components(h, k)
	case k.Name == "ignore":
		h.Ignore = l.boolean(k)
	case k.Name == "platform":
		h.Platform = l.single(k)
	case k.Name == "target_directory":
		h.TargetDirectory = l.single(k)
	case k.Name == "service_user":
		h.ServiceUser = l.single(k)
	case k.Name == "require_sudo":
		h.RequireSudo = l.boolean(k)
	case strings.HasPrefix(k.Name, "data-"):
		l.data(h, k)
	case strings.HasPrefix(k.Name, "provision"):
		l.warnf(k.Line, "remove the key", "provisioning is not supported; %s is ignored", k.Name)
		return false
	default:
		l.errorf(k.Line, didYouMean(k.Name, hostKeys)+"[host:NAME] understands "+strings.Join(hostKeys, ", "),
			"unknown key %s in [host:%s]", k.Name, h.Name)
		return false
	}
	return true
}

// data stores a data-NAME key.
func (l *loader) data(h *Host, k *ini.Key) {
	name := strings.TrimPrefix(k.Name, "data-")
	if name == "" {
		l.errorf(k.Line, "write data-NAME = value; the value is host.data[\"NAME\"]", "data- without a name")
		return
	}
	h.Data[name] = k.Value
}

// newHost registers a host defined at line, or reports why it cannot.
func (l *loader) newHost(name string, line int) *Host {
	if msg, hint := checkHostName(name); msg != "" {
		l.errorf(line, hint, "%s", msg)
		return nil
	}
	if first, ok := l.hosts[name]; ok {
		l.errorf(line, "remove one of the definitions",
			"host %s is defined twice (first at line %d)", name, first.Line)
		return nil
	}
	h := &Host{Name: name, Pos: l.pos(line), HostDomain: l.env.HostDomain,
		Data: map[string]string{}, KeyPos: map[string]Pos{}}
	l.hosts[name] = h.Pos
	l.env.Hosts = append(l.env.Hosts, h)
	return h
}

// inherit fills in what the host does not set from the environment.
func (l *loader) inherit(h *Host) {
	e := l.env
	if h.Platform == "" {
		h.Platform = e.Platform
	}
	if h.TargetDirectory == "" {
		h.TargetDirectory = e.TargetDirectory
	}
	if h.ServiceUser == "" {
		h.ServiceUser = e.ServiceUser
	}
	if _, ok := h.KeyPos["require_sudo"]; !ok {
		h.RequireSudo = e.RequireSudo
	}
}

// hostHint is the hint for an empty component list.
func hostHint(h *Host) string {
	return fmt.Sprintf("list the components of %s separated by commas or on indented lines", h.Name)
}

// components reads a component list: `[!]name[:feature]` items separated
// by commas and line breaks. Repeated names merge.
func (l *loader) components(h *Host, k *ini.Key) {
	found := false
	for i, text := range strings.Split(k.Value, "\n") {
		line := k.ValueLine(i)
		for _, item := range strings.Split(text, ",") {
			if item = strings.TrimSpace(item); item != "" {
				found = true
				l.component(h, item, line)
			}
		}
	}
	if !found {
		l.errorf(k.Line, hostHint(h), "host %s has no components", h.Name)
	}
}

// component adds one item of a component list to the host.
func (l *loader) component(h *Host, item string, line int) {
	rest, ignore := strings.CutPrefix(item, "!")
	name, feature, hasFeature := strings.Cut(rest, ":")
	name, feature = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(feature)
	switch {
	case name == "":
		l.errorf(line, "an entry is [!]component[:feature]", "entry %q of host %s has no component name", item, h.Name)
		return
	case strings.ContainsFunc(name, unicode.IsSpace):
		l.errorf(line, "separate components with commas or put each on its own indented line",
			"entry %q of host %s has whitespace in the component name", item, h.Name)
		return
	case hasFeature && feature == "":
		l.errorf(line, "write component:feature, or leave out the colon", "entry %q of host %s has an empty feature", item, h.Name)
		return
	}
	c := h.Component(name)
	if c == nil {
		c = &HostComponent{Name: name, Pos: l.pos(line)}
		h.Components = append(h.Components, c)
	}
	c.Ignore = c.Ignore || ignore
	if hasFeature && !slices.Contains(c.Features, feature) {
		c.Features = append(c.Features, feature)
	}
}
