package components

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// defaultRotation is what Debian's batou platform added to every log.
var defaultRotation = []any{"daily", "rotate 14", "create", "dateext", "compress", "notifempty", "nomail",
	"noolddir", "missingok", "sharedscripts"}

func rotatedLogfileKind() *Kind {
	return &Kind{
		Name:    "logrotate.RotatedLogfile",
		Namevar: "path",
		Doc: "logrotate.RotatedLogfile makes logrotate rotate a log file (or a glob of them): it writes " +
			"a file of its own into /etc/logrotate.d (written natively, atomically, only when it differs) " +
			"with the directives of args= and the prerotate/postrotate scripts. logrotate itself runs from " +
			"its own daily timer or cron job.",
		Attrs: []Attr{
			pathAttr("the log file or a glob (app/*.log); relative paths are relative to the workdir"),
			{Name: "args", Type: TypeAny, Default: defaultRotation, Doc: "logrotate directives: a list, or a comma-separated string as in batou"},
			{Name: "prerotate", Type: TypeStr, Doc: "a script run before rotating"},
			{Name: "postrotate", Type: TypeStr, Doc: "a script run after rotating (for example, telling the service to reopen its log)"},
			{Name: "name", Type: TypeStr, Default: "", Doc: "the file name in logrotate_dir; default: made from the path"},
			{Name: "logrotate_dir", Type: TypeStr, Default: "/etc/logrotate.d", Doc: "the directory of the configuration file"},
		},
		Expand:    expandRotatedLogfile,
		Verify:    verifyRotated,
		Update:    updateRotated,
		Writes:    "config",
		ReadAhead: "config",
	}
}

func expandRotatedLogfile(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, display, err := normPath(ctx, a, "path")
	if err != nil {
		return nil, nil, err
	}
	logPath := out.str("path")
	if strings.ContainsAny(logPath, " \t\n{}\"") {
		return nil, nil, fmt.Errorf("path %q must not hold spaces, quotes or braces", display)
	}
	args, err := rotationArgs(out["args"])
	if err != nil {
		return nil, nil, err
	}
	name := out.str("name")
	if name == "" {
		name = slug(strings.TrimPrefix(logPath, "~"))
	}
	if !cronName().MatchString(name) {
		return nil, nil, fmt.Errorf("name %q may only hold letters, digits, _ and -", name)
	}
	var b strings.Builder
	b.WriteString(header("logrotate.RotatedLogfile('" + display + "')"))
	fmt.Fprintf(&b, "%s {\n", logPath)
	for _, arg := range args {
		fmt.Fprintf(&b, "    %s\n", arg)
	}
	for _, script := range []string{"prerotate", "postrotate"} {
		if s := strings.TrimSpace(out.str(script)); s != "" {
			fmt.Fprintf(&b, "    %s\n        %s\n    endscript\n", script, strings.ReplaceAll(s, "\n", "\n        "))
		}
	}
	b.WriteString("}\n")
	out["name"] = name
	out["content"], out["encoding"] = b.String(), encUTF8
	// Content's verify and update work on "path"; the log file keeps
	// that name as batou has it, so the configuration goes by "config".
	out["config"] = ctx.Map(path.Join(out.str("logrotate_dir"), name))
	return out, nil, nil
}

func rotationArgs(v any) ([]string, error) {
	var args []string
	switch v := v.(type) {
	case string:
		args = strings.Split(v, ",")
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("args must be a list of directives (strings), not a list holding %s", typeName(x))
			}
			args = append(args, s)
		}
	default:
		return nil, fmt.Errorf("args must be a list of directives or a comma-separated string, not %s", typeName(v))
	}
	out := args[:0]
	for _, a := range args {
		a = strings.TrimSpace(a)
		if strings.ContainsAny(a, "\n{}") {
			return nil, errors.New("args: a directive must be one line without braces")
		}
		if a != "" {
			out = append(out, a)
		}
	}
	return out, nil
}

func verifyRotated(ctx *Context, a Attrs) (Result, error) {
	return verifyContent(ctx, configAttrs(a))
}

func updateRotated(ctx *Context, a Attrs) error {
	c := configAttrs(a)
	if err := mkdirParent(ctx.hostPath(c.str("path"))); err != nil {
		return err
	}
	return updateContent(ctx, c)
}

// configAttrs are the attributes Content's verify and update see: the
// configuration file as path.
func configAttrs(a Attrs) Attrs {
	c := copyAttrs(a)
	c["path"] = a["config"]
	return c
}
