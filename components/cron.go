package components

import (
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
)

// cronName is what cron accepts as a file name in /etc/cron.d.
var cronName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]+$`) })

// cronKeywords are the @ timings cron understands.
var cronKeywords = map[string]bool{"@reboot": true, "@yearly": true, "@annually": true, "@monthly": true,
	"@weekly": true, "@daily": true, "@midnight": true, "@hourly": true}

func cronJobKind() *Kind {
	return &Kind{
		Name:    "cron.CronJob",
		Namevar: "command",
		Doc: "cron.CronJob runs a command on a cron schedule. When the agent runs as root the job is " +
			"a file of its own in /etc/cron.d (written natively, with user= as the user that runs it); " +
			"otherwise it is an entry of the agent user's crontab, marked with a comment naming the job " +
			"and changed through the crontab program, so that other entries stay as they are. " +
			"logger= pipes the output to the system log.",
		Attrs: []Attr{
			{Name: "command", Type: TypeStr, Required: true, Doc: "the command line"},
			{Name: "timing", Type: TypeStr, Required: true, Doc: `five cron fields ("0 3 * * *") or @reboot, @daily, @hourly, ...`},
			{Name: "args", Type: TypeStr, Default: "", Doc: "appended to the command"},
			{Name: "logger", Type: TypeStr, Doc: "a syslog tag: the output goes to logger -t <tag>"},
			{Name: "user", Type: TypeStr, Default: "root", Doc: "the user who runs the job (the /etc/cron.d form only)"},
			{Name: "name", Type: TypeStr, Default: "", Doc: "the job's name (the file name in /etc/cron.d); default: made from the command"},
			{Name: "mailto", Type: TypeStr, Doc: "MAILTO= of the job (/etc/cron.d form only); \"\" sends no mail"},
			{Name: "cron_dir", Type: TypeStr, Default: "/etc/cron.d", Doc: "the directory of the job file"},
			{Name: "method", Type: TypeStr, Default: "auto", Doc: `"cron.d", "crontab" or "auto" (cron.d when the agent runs as root)`},
		},
		Expand:    expandCronJob,
		Verify:    verifyCronJob,
		Update:    updateCronJob,
		Writes:    "path",
		ReadAhead: "path",
	}
}

// notSlug matches what slug replaces.
var notSlug = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^A-Za-z0-9_]+`) })

// slug makes a name of letters, digits and dashes out of s.
func slug(s string) string {
	out := strings.Trim(notSlug().ReplaceAllString(s, "-"), "-")
	if len(out) > 60 {
		out = strings.TrimRight(out[:60], "-")
	}
	return out
}

func expandCronJob(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out := copyAttrs(a)
	cmd := strings.TrimSpace(a.str("command") + " " + a.str("args"))
	if cmd == "" || strings.ContainsAny(cmd, "\n\r") {
		return nil, nil, errors.New("command must be one non-empty line")
	}
	if err := checkTiming(a.str("timing")); err != nil {
		return nil, nil, err
	}
	name := a.str("name")
	if name == "" {
		name = slug(a.str("command"))
	}
	if !cronName().MatchString(name) {
		return nil, nil, fmt.Errorf("name %q may only hold letters, digits, _ and - (cron ignores other files in %s)", name, a.str("cron_dir"))
	}
	if m := a.str("method"); m != "auto" && m != "cron.d" && m != "crontab" {
		return nil, nil, fmt.Errorf(`method must be "auto", "cron.d" or "crontab", not %q`, m)
	}
	if l := a.str("logger"); l != "" {
		cmd += " 2>&1 | logger -t " + l
	}
	out["name"] = name
	out["line"] = a.str("timing") + " " + cmd
	out["path"] = ctx.Map(path.Join(a.str("cron_dir"), name))
	head := header("cron.CronJob('" + name + "')")
	if m, ok := a["mailto"].(string); ok {
		head += "MAILTO=" + m + "\n"
	}
	out["content"] = head + a.str("timing") + " " + a.str("user") + " " + cmd + "\n"
	out["encoding"], out[DisplayAttr] = encUTF8, name
	return out, nil, nil
}

func checkTiming(t string) error {
	if cronKeywords[t] {
		return nil
	}
	if strings.HasPrefix(t, "@") {
		return fmt.Errorf("timing %q is not a cron keyword (@reboot, @hourly, @daily, @weekly, @monthly, @yearly)", t)
	}
	fields := strings.Fields(t)
	if len(fields) != 5 {
		return fmt.Errorf(`timing must have five fields (minute hour day month weekday), as "0 3 * * *", not %q`, t)
	}
	for _, f := range fields {
		if strings.Trim(f, "0123456789*/,-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return fmt.Errorf("timing field %q is not a cron field", f)
		}
	}
	return nil
}

// cronByFile tells whether the job goes to /etc/cron.d on this host.
func cronByFile(a Attrs) bool {
	switch a.str("method") {
	case "cron.d":
		return true
	case "crontab":
		return false
	}
	return os.Geteuid() == 0
}

// cronMarker is the comment line before a job in a user's crontab.
func cronMarker(a Attrs) string { return "# batou cron.CronJob " + a.str("name") }

func verifyCronJob(ctx *Context, a Attrs) (Result, error) {
	if cronByFile(a) {
		return verifyContent(ctx, a)
	}
	have, err := readCrontab(ctx)
	if err != nil {
		return Result{}, err
	}
	want := withCronJob(have, a)
	if want == have {
		return Result{}, nil
	}
	diff, _ := textDiff("crontab", encUTF8, []byte(have), []byte(want))
	return Result{NeedsUpdate: true, Reason: "crontab entry differs", Diff: diff}, nil
}

func updateCronJob(ctx *Context, a Attrs) error {
	if cronByFile(a) {
		if err := mkdirParent(ctx.hostPath(a.str("path"))); err != nil {
			return err
		}
		return updateContent(ctx, a)
	}
	have, err := readCrontab(ctx)
	if err != nil {
		return err
	}
	_, err = toolCmd{name: "crontab", args: []string{"-"}, stdin: withCronJob(have, a), show: "crontab -"}.check(ctx)
	return err
}

// readCrontab returns the agent user's crontab ("" when there is none).
func readCrontab(ctx *Context) (string, error) {
	res, err := toolCmd{name: "crontab", args: []string{"-l"}}.run(ctx)
	if err != nil {
		return "", err
	}
	if res.code != 0 {
		if strings.Contains(res.stderr, "no crontab") {
			return "", nil
		}
		return "", fmt.Errorf("crontab -l failed (exit status %d)%s", res.code, outputTail(res.stderr))
	}
	return res.stdout, nil
}

// withCronJob returns the crontab with the job's marker and line in
// place (replacing an earlier version of the job, or appended).
func withCronJob(crontab string, a Attrs) string {
	marker, line := cronMarker(a), a.str("line")
	lines := strings.Split(strings.TrimSuffix(crontab, "\n"), "\n")
	if crontab == "" {
		lines = nil
	}
	var out []string
	placed := false
	for i := 0; i < len(lines); i++ {
		if lines[i] == marker {
			if !placed {
				out = append(out, marker, line)
				placed = true
			}
			if i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "#") {
				i++ // the job's old line
			}
			continue
		}
		out = append(out, lines[i])
	}
	if !placed {
		out = append(out, marker, line)
	}
	return strings.Join(out, "\n") + "\n"
}
