package environments

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/batou-go/batou/environments/ini"
)

// Environment is one environment of a project, read from its file.
type Environment struct {
	// Name is the environment's name, without ".cfg".
	Name string
	// File is the project-relative path of the environment file.
	File string
	// Digest is the hex SHA-256 of the environment file's content (Load
	// sets it).
	Digest string
	// Dir is the project-relative directory that holds the environment's
	// secrets: environments/<name> for both layouts.
	Dir string

	// ConnectMethod is how hosts are reached: local, ssh (the default)
	// or vagrant.
	ConnectMethod string
	// HostDomain is appended to host names to form their FQDN.
	HostDomain string
	// ServiceUser is the user the agent runs as on the hosts.
	ServiceUser string
	// RequireSudo forces sudo to reach the service user.
	RequireSudo bool
	// TargetDirectory is where work/ lives on each host: ~/deployment by
	// default, and "" for connect_method = local when the file does not
	// set it (the caller then uses the project directory).
	TargetDirectory string
	// Platform is the hosts' default platform; like batou it defaults to
	// HostDomain.
	Platform string
	// Jobs is the number of hosts deployed in parallel; 0 when unset.
	Jobs int
	// Timeout is the number of seconds to wait for a host to connect.
	Timeout int
	// KeyPos holds the position of each [environment] key that was read.
	// A key that is absent was not set in the file.
	KeyPos map[string]Pos

	// Hosts lists the hosts: those of [hosts] in order, then the
	// [host:NAME] sections in file order.
	Hosts []*Host
	// Overrides maps a lower-cased component name to the keys of its
	// [component:NAME] section in order.
	Overrides map[string][]*Setting
	// OverrideSections maps a lower-cased component name to the position
	// of its [component:NAME] section.
	OverrideSections map[string]Pos
	// Resolver maps a host name to the addresses [resolver] gives it.
	Resolver map[string]*Resolved
	// SecretValues lists every value that came from a secrets file, in
	// the order merged; they must never be shown.
	SecretValues []string

	// Warnings lists problems that do not stop a deploy.
	Warnings []*Error
	// INI is the parsed file.
	INI *ini.File
}

// Setting is one override of a component attribute.
type Setting struct {
	// Key is the attribute name as written.
	Key string
	// Value is the raw text, continuation lines joined with "\n".
	Value string
	// Pos is where the setting is.
	Pos Pos
	// Secret is set for settings from a secrets file.
	Secret bool
}

// Resolved is the [resolver] entry of one name: the addresses to use
// instead of asking DNS.
type Resolved struct {
	// V4 lists the IPv4 addresses in file order.
	V4 []netip.Addr
	// V6 lists the IPv6 addresses in file order (IPv4-mapped ones too).
	V6 []netip.Addr
	// Pos is where the entry is.
	Pos Pos
}

// newEnvironment returns an environment with its defaults.
func newEnvironment(name, rel string) *Environment {
	return &Environment{Name: name, File: rel, Dir: "environments/" + name,
		ConnectMethod: ConnectSSH, Timeout: 30, KeyPos: map[string]Pos{},
		Overrides: map[string][]*Setting{}, OverrideSections: map[string]Pos{},
		Resolver: map[string]*Resolved{}}
}

// Host returns the host called name, or nil.
func (e *Environment) Host(name string) *Host {
	for _, h := range e.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// The values of connect_method: the transports of package remote
// (remote.TransportNamed) by name.
const (
	ConnectLocal   = "local"
	ConnectSSH     = "ssh"
	ConnectVagrant = "vagrant"
)

// ConnectMethods lists the valid values of connect_method.
func ConnectMethods() []string { return []string{ConnectLocal, ConnectSSH, ConnectVagrant} }

// environmentKeys lists the keys [environment] understands.
var environmentKeys = []string{"connect_method", "host_domain", "jobs", "platform",
	"require_sudo", "service_user", "target_directory", "timeout"}

// batouKeys lists batou's [environment] keys that this tool ignores, with
// the reason.
var batouKeys = map[string]string{
	"update_method":   "hosts receive a compiled plan, not a copy of the repository",
	"branch":          "hosts receive a compiled plan, not a copy of the repository",
	"repository_url":  "hosts receive a compiled plan, not a copy of the repository",
	"repository_root": "hosts receive a compiled plan, not a copy of the repository",
	"require_v4":      "there is no environment-wide default for the address families",
	"require_v6":      "there is no environment-wide default for the address families",
}

// environment reads the [environment] section.
func (l *loader) environment(s *ini.Section) {
	for _, k := range s.Keys() {
		if l.environmentKey(k) {
			l.env.KeyPos[k.Name] = l.pos(k.Line)
		}
	}
}

// environmentKey reads one key and reports whether it is known.
func (l *loader) environmentKey(k *ini.Key) bool {
	e := l.env
	switch k.Name {
	case "connect_method":
		e.ConnectMethod = l.connectMethod(k, e.ConnectMethod)
	case "host_domain":
		e.HostDomain = l.single(k)
	case "service_user":
		e.ServiceUser = l.single(k)
	case "require_sudo":
		e.RequireSudo = l.boolean(k)
	case "target_directory":
		e.TargetDirectory = l.single(k)
	case "platform":
		e.Platform = l.single(k)
	case "jobs":
		e.Jobs = l.positive(k, 0, "the number of hosts deployed at the same time, for example jobs = 4")
	case "timeout":
		e.Timeout = l.positive(k, e.Timeout, "seconds to wait for a host to connect, for example timeout = 30")
	default:
		l.unknownEnvironmentKey(k)
		return false
	}
	return true
}

// unknownEnvironmentKey warns about a key that is ignored.
func (l *loader) unknownEnvironmentKey(k *ini.Key) {
	if why, ok := batouKeys[k.Name]; ok {
		l.warnf(k.Line, "remove it: "+why, "%s is a batou setting that this tool does not use; ignored", k.Name)
		return
	}
	l.warnf(k.Line, didYouMean(k.Name, environmentKeys)+"[environment] understands "+strings.Join(environmentKeys, ", "),
		"unknown key %s in [environment]; ignored", k.Name)
}

// connectMethod reads connect_method; a bad value leaves def.
func (l *loader) connectMethod(k *ini.Key, def string) string {
	v := strings.ToLower(l.single(k))
	for _, m := range ConnectMethods() {
		if v == m {
			return m
		}
	}
	l.errorf(k.Line, "use one of: "+strings.Join(ConnectMethods(), ", "),
		"connect_method = %s is not a connect method", describe(k.Value))
	return def
}

// defaults fills in the settings that depend on others.
func (l *loader) defaults() {
	e := l.env
	if e.TargetDirectory == "" && e.ConnectMethod != ConnectLocal {
		e.TargetDirectory = "~/deployment"
	}
	if e.Platform == "" {
		e.Platform = e.HostDomain
	}
}

// single returns a value that must fit on one line.
func (l *loader) single(k *ini.Key) string {
	if strings.Contains(k.Value, "\n") {
		l.errorf(k.Line, "write the value on the line of the key", "%s takes a single value, not several lines", k.Name)
		return ""
	}
	return k.Value
}

// boolean reads a yes/no value; a bad value counts as false.
func (l *loader) boolean(k *ini.Key) bool {
	b, ok := parseBool(k.Value)
	if !ok {
		l.errorf(k.Line, "use true or false (yes/no, on/off and 1/0 work too)", "%s = %s is not a boolean", k.Name, describe(k.Value))
	}
	return b
}

// positive reads a whole number above zero; a bad value leaves def.
func (l *loader) positive(k *ini.Key, def int, hint string) int {
	n, ok := parsePositive(k.Value)
	if !ok {
		l.errorf(k.Line, hint, "%s = %s is not a positive whole number", k.Name, describe(k.Value))
		return def
	}
	return n
}

// describe returns a value for a message: quoted when it is empty or
// spans lines.
func describe(v string) string {
	if v == "" || strings.ContainsAny(v, "\n\t ") {
		return fmt.Sprintf("%q", v)
	}
	return v
}
