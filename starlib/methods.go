package starlib

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

type methodFn = func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)

// methods are the methods of self, bound to the component on access.
var methods map[string]methodFn

func init() {
	methods = map[string]methodFn{
		"log":                            logMethod,
		"map":                            mapMethod,
		"expand":                         expandMethod,
		"template":                       templateMethod,
		"checksum":                       checksumMethod,
		"provide":                        provideMethod,
		"require":                        requireMethod,
		"require_one":                    requireOneMethod,
		"cmd":                            cmdMethod,
		"assert_cmd":                     assertCmdMethod,
		"assert_file_is_current":         assertFileIsCurrent,
		"assert_component_is_current":    assertComponentIsCurrent,
		"assert_no_subcomponent_changes": assertNoSubcomponentChanges,
		"assert_no_changes":              assertNoChanges,
		"touch":                          touchMethod,
	}
}

func receiver(b *starlark.Builtin) *Component { return b.Receiver().(*Component) }

// logMethod implements self.log(msg, *args): msg % args.
func logMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	args, kwargs = leadingKeyword(args, kwargs, "msg")
	if len(args) == 0 || len(kwargs) > 0 {
		return nil, fmt.Errorf("log: want log(msg, *args)")
	}
	c := receiver(b)
	msg := args[0]
	if len(args) > 1 {
		var err error
		if msg, err = starlark.Binary(syntax.PERCENT, msg, c.root.session.masked(args[1:])); err != nil {
			return nil, fmt.Errorf("log: %w", err)
		}
	}
	text, ok := starlark.AsString(msg)
	if !ok {
		text = msg.String()
	}
	if PhaseOf(thread) == PhaseHost && c.root.session.Host != nil {
		c.root.session.Host.Log(c, text)
		return starlark.None, nil
	}
	c.root.logs = append(c.root.logs, LogLine{Path: c.Path(), Msg: text})
	return starlark.None, nil
}

func mapMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var p string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &p); err != nil {
		return nil, err
	}
	return starlark.String(receiver(b).mapPath(p)), nil
}

func checksumMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "data?", &data); err != nil {
		return nil, err
	}
	var raw []byte
	switch d := data.(type) {
	case starlark.NoneType:
	case starlark.String:
		raw = []byte(d)
	case starlark.Bytes:
		raw = []byte(d)
	default:
		return nil, fmt.Errorf("checksum: data must be str or bytes, not %s", data.Type())
	}
	return starlark.String(receiver(b).checksumOf(raw)), nil
}

func provideMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key string
	var value starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "key", &key, "value", &value); err != nil {
		return nil, err
	}
	c := receiver(b)
	if err := needPhase(thread, "self.provide", PhaseConfigure); err != nil {
		return nil, err
	}
	res := c.root.session.Resources
	if res == nil {
		return nil, fmt.Errorf("provide: no resource registry in this evaluation")
	}
	return starlark.None, res.Provide(c, key, value, thread.CallFrame(1).Pos)
}

func requireArgs(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, one bool) (string, RequireOptions, error) {
	var key string
	var host starlark.Value = starlark.None
	opts := RequireOptions{Strict: true, One: one}
	pairs := []any{"key", &key, "host?", &host, "strict?", &opts.Strict, "reverse?", &opts.Reverse}
	if !one {
		pairs = append(pairs, "dirty?", &opts.Dirty)
	}
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, pairs...); err != nil {
		return "", opts, err
	}
	switch h := host.(type) {
	case starlark.NoneType:
	case *Host:
		opts.Host = h.name
	case starlark.String:
		opts.Host = string(h)
	default:
		return "", opts, fmt.Errorf("%s: host must be a host (self.host) or a host name, not %s", b.Name(), host.Type())
	}
	return key, opts, needPhase(thread, "self."+b.Name(), PhaseConfigure)
}

func doRequire(thread *starlark.Thread, b *starlark.Builtin, key string, opts RequireOptions) ([]starlark.Value, error) {
	c := receiver(b)
	res := c.root.session.Resources
	if res == nil {
		return nil, fmt.Errorf("%s: no resource registry in this evaluation", b.Name())
	}
	return res.Require(c, key, opts, thread.CallFrame(1).Pos)
}

func requireMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	key, opts, err := requireArgs(thread, b, args, kwargs, false)
	if err != nil {
		return nil, err
	}
	vals, err := doRequire(thread, b, key, opts)
	if err != nil {
		return nil, err
	}
	return starlark.NewList(vals), nil
}

func requireOneMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	key, opts, err := requireArgs(thread, b, args, kwargs, true)
	if err != nil {
		return nil, err
	}
	vals, err := doRequire(thread, b, key, opts)
	if err != nil {
		return nil, err
	}
	if len(vals) == 0 {
		return starlark.None, nil
	}
	return vals[0], nil
}

// updateNeeded implements update_needed(reason="").
func updateNeeded(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var reason string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "reason?", &reason); err != nil {
		return nil, err
	}
	return nil, &UpdateNeeded{Reason: strings.TrimSpace(reason)}
}
