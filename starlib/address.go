package starlib

import (
	"fmt"
	"net"
	"strconv"

	"github.com/batou-go/batou/runtime/plan"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Address is a network address with a port: Address("host:port") or
// Address(host, port).
type Address struct {
	addr plan.Address
	// s is the session the address was made in (nil for one from a
	// plan): listen looks in its Resolver before DNS, and a DNS answer
	// makes its configure run not reusable (Inputs).
	s *Session
}

var (
	_ starlark.HasAttrs   = (*Address)(nil)
	_ starlark.Comparable = (*Address)(nil)
)

// NewAddress returns an Address value.
func NewAddress(a plan.Address) *Address { return &Address{addr: a} }

// Plan returns the address in plan form.
func (a *Address) Plan() plan.Address { return a.addr }

func (a *Address) String() string       { return a.addr.String() }
func (a *Address) Type() string         { return "Address" }
func (a *Address) Freeze()              {}
func (a *Address) Truth() starlark.Bool { return true }

// Hash hashes the address text.
func (a *Address) Hash() (uint32, error) { return starlark.String(a.String()).Hash() }

// CompareSameType compares the text forms.
func (a *Address) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	return starlark.Compare(op, starlark.String(a.String()), starlark.String(y.(*Address).String()))
}

// Attr returns host, port, connect (the address itself) or listen (the
// address with its host resolved to an IP address).
func (a *Address) Attr(name string) (starlark.Value, error) {
	switch name {
	case "host":
		return starlark.String(a.addr.Host), nil
	case "port":
		return starlark.MakeInt(a.addr.Port), nil
	case "connect":
		return a, nil
	case "listen":
		return a.listen()
	}
	return nil, nil
}

// AttrNames lists the address fields.
func (a *Address) AttrNames() []string { return []string{"connect", "host", "listen", "port"} }

func (a *Address) listen() (starlark.Value, error) {
	if ip := net.ParseIP(a.addr.Host); ip != nil {
		return a, nil
	}
	if a.s != nil {
		if ip, ok := a.s.Resolver[a.addr.Host]; ok {
			return &Address{addr: plan.Address{Host: ip, Port: a.addr.Port}}, nil
		}
		a.s.Inputs.NotReusable("Address(" + strconv.Quote(a.String()) + ").listen asked DNS")
	}
	ips, err := net.LookupIP(a.addr.Host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("cannot resolve %s: %v; hint: add it to [resolver] in the environment", a.addr.Host, err)
	}
	ip := ips[0]
	for _, cand := range ips {
		if cand.To4() != nil {
			ip = cand
			break
		}
	}
	return &Address{addr: plan.Address{Host: ip.String(), Port: a.addr.Port}}, nil
}

// addressType is the Address constructor; it is also accepted as the type
// argument of Attribute().
type addressType struct{}

func (*addressType) String() string        { return "<built-in function Address>" }
func (*addressType) Type() string          { return "builtin_function_or_method" }
func (*addressType) Freeze()               {}
func (*addressType) Truth() starlark.Bool  { return true }
func (*addressType) Hash() (uint32, error) { return 0x5eed, nil }
func (*addressType) Name() string          { return "Address" }

// CallInternal implements Address(text) and Address(host, port).
func (t *addressType) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text string
	var port starlark.Value = starlark.None
	if err := starlark.UnpackArgs("Address", args, kwargs, "address", &text, "port?", &port); err != nil {
		return nil, err
	}
	if port == starlark.None {
		addr, err := plan.ParseAddress(text)
		if err != nil {
			return nil, fmt.Errorf("Address: %w", err)
		}
		return &Address{addr: addr, s: SessionOf(thread)}, nil
	}
	p, err := starlark.AsInt32(port)
	if err != nil {
		if s, ok := port.(starlark.String); ok {
			return t.CallInternal(thread, starlark.Tuple{starlark.String(text + ":" + string(s))}, nil)
		}
		return nil, fmt.Errorf("Address: port must be an int, not %s", port.Type())
	}
	return t.CallInternal(thread, starlark.Tuple{starlark.String(fmt.Sprintf("%s:%d", bracket(text), p))}, nil)
}

func bracket(host string) string {
	if net.ParseIP(host) != nil && net.ParseIP(host).To4() == nil {
		return "[" + host + "]"
	}
	return host
}
