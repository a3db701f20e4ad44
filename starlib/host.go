package starlib

import (
	"fmt"

	"github.com/batou-go/batou/runtime/plan"
	"go.starlark.net/starlark"
)

// Host is self.host: name, fqdn, data (the data-* values) and platform.
type Host struct {
	name, fqdn, platform string
	data                 *starlark.Dict
}

var _ starlark.HasAttrs = (*Host)(nil)

// NewHost returns a host value.
func NewHost(info plan.HostInfo) *Host {
	d := starlark.NewDict(len(info.Data))
	for _, k := range sortedNames(info.Data) {
		_ = d.SetKey(starlark.String(k), starlark.String(info.Data[k]))
	}
	d.Freeze()
	return &Host{name: info.Name, fqdn: info.FQDN, platform: info.Platform, data: d}
}

// Name returns the host's name in the environment.
func (h *Host) Name() string { return h.name }

// Platform returns the host's platform.
func (h *Host) Platform() string { return h.platform }

func (h *Host) String() string        { return h.name }
func (h *Host) Type() string          { return "host" }
func (h *Host) Freeze()               {}
func (h *Host) Truth() starlark.Bool  { return true }
func (h *Host) Hash() (uint32, error) { return starlark.String(h.name).Hash() }

// Attr returns a field of the host.
func (h *Host) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(h.name), nil
	case "fqdn":
		return starlark.String(h.fqdn), nil
	case "platform":
		return starlark.String(h.platform), nil
	case "data":
		return h.data, nil
	}
	return nil, starlark.NoSuchAttrError(fmt.Sprintf("host has no attribute %s (it has data, fqdn, name, platform)", name))
}

// AttrNames lists the host's fields.
func (h *Host) AttrNames() []string { return []string{"data", "fqdn", "name", "platform"} }

func (h *Host) toPlan() plan.Value {
	data := &plan.Dict{}
	for _, kv := range h.data.Items() {
		data.Keys = append(data.Keys, string(kv[0].(starlark.String)))
		data.Values = append(data.Values, string(kv[1].(starlark.String)))
	}
	return &plan.Struct{Fields: plan.Attrs{"name": h.name, "fqdn": h.fqdn, "platform": h.platform, "data": data}}
}

// Environment is self.environment.
type Environment struct {
	info        plan.EnvInfo
	secretFiles *starlark.Dict
}

var _ starlark.HasAttrs = (*Environment)(nil)

// NewEnvironment returns an environment value; secretFiles maps names to
// the decrypted content of secret files (may be nil).
func NewEnvironment(info plan.EnvInfo, secretFiles map[string]string) *Environment {
	d := starlark.NewDict(len(secretFiles))
	for _, k := range sortedNames(secretFiles) {
		_ = d.SetKey(starlark.String(k), starlark.String(secretFiles[k]))
	}
	d.Freeze()
	return &Environment{info: info, secretFiles: d}
}

func (e *Environment) String() string        { return e.info.Name }
func (e *Environment) Type() string          { return "environment" }
func (e *Environment) Freeze()               {}
func (e *Environment) Truth() starlark.Bool  { return true }
func (e *Environment) Hash() (uint32, error) { return starlark.String(e.info.Name).Hash() }

// Attr returns a field of the environment.
func (e *Environment) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(e.info.Name), nil
	case "host_domain":
		return starlark.String(e.info.HostDomain), nil
	case "platform":
		return starlark.String(e.info.Platform), nil
	case "target_directory":
		return starlark.String(e.info.TargetDirectory), nil
	case "connect_method":
		return starlark.String(e.info.ConnectMethod), nil
	case "secret_files":
		return e.secretFiles, nil
	}
	return nil, starlark.NoSuchAttrError(fmt.Sprintf("environment has no attribute %s (it has %s)", name, joinNames(e.AttrNames())))
}

// AttrNames lists the environment's fields.
func (e *Environment) AttrNames() []string {
	return []string{"connect_method", "host_domain", "name", "platform", "secret_files", "target_directory"}
}
