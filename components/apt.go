package components

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// validPackage is a Debian package name, optionally with :arch.
var validPackage = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$`) })

func aptPackageKind() *Kind {
	return &Kind{
		Name:    "apt.Package",
		Namevar: "name",
		Doc: "apt.Package makes sure Debian packages are installed (state=\"present\") or removed " +
			"(state=\"absent\"). Their state is read with dpkg-query, once for all apt.Package " +
			"components of a root; missing packages are installed with one apt-get call per component " +
			"(give a list to install several at once), non-interactively and keeping changed " +
			"configuration files. The package lists are refreshed (apt-get update) first when they " +
			"are older than update_cache_max_age, or when apt-get cannot find a package.",
		Attrs: []Attr{
			{Name: "name", Type: TypeAny, Required: true, Doc: "a package name or a list of them (name:arch works)"},
			{Name: "state", Type: TypeStr, Default: "present", Doc: `"present" or "absent"`},
			{Name: "update_cache_max_age", Type: TypeInt, Default: int64(3600), Doc: "seconds after which the package lists are refreshed before installing"},
			{Name: "install_recommends", Type: TypeBool, Default: false, Doc: "also install recommended packages"},
		},
		Expand:  expandAptPackage,
		Verify:  verifyAptPackage,
		Update:  updateAptPackage,
		Prepare: prepareAptPackage,
	}
}

// aptNames returns the package names of the name attribute.
func aptNames(a Attrs) []string {
	switch v := a["name"].(type) {
	case string:
		return []string{v}
	case []any:
		return stringsOf(v)
	}
	return nil
}

func expandAptPackage(_ ExpandContext, a Attrs) (Attrs, []Sub, error) {
	switch v := a["name"].(type) {
	case string:
	case []any:
		if len(v) == 0 {
			return nil, nil, errors.New("name must name at least one package")
		}
		for _, x := range v {
			if _, ok := x.(string); !ok {
				return nil, nil, fmt.Errorf("name must be a package name or a list of them, not a list holding %s", modeRepr(x))
			}
		}
	default:
		return nil, nil, fmt.Errorf("name must be a package name or a list of them, not %s", typeName(v))
	}
	for _, n := range aptNames(a) {
		if !validPackage().MatchString(n) {
			return nil, nil, fmt.Errorf("name: %q is not a Debian package name", n)
		}
	}
	if s := a.str("state"); s != "present" && s != "absent" {
		return nil, nil, fmt.Errorf(`state must be "present" or "absent", not %q`, s)
	}
	return a, nil, nil
}

// dpkgStatus keeps which packages are installed, shared by the
// apt.Package components of a deploy.
type dpkgStatus struct {
	mu        sync.Mutex
	installed map[string]bool // by name as given
}

func aptStatus(ctx *Context) *dpkgStatus {
	return ctx.Shared.Value("apt.Package/status", func() any {
		return &dpkgStatus{installed: map[string]bool{}}
	}).(*dpkgStatus)
}

// query asks dpkg-query about the names it does not know yet.
func (s *dpkgStatus) query(ctx *Context, names []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ask []string
	for _, n := range names {
		if _, known := s.installed[n]; !known {
			ask = append(ask, n)
		}
	}
	if len(ask) == 0 {
		return nil
	}
	res, err := toolCmd{name: "dpkg-query", args: append([]string{"-W", "-f", "${binary:Package}\t${db:Status-Abbrev}\n"}, ask...)}.run(ctx)
	if err != nil {
		return err
	}
	if res.code != 0 && res.code != 1 { // 1: some package is unknown
		return fmt.Errorf("dpkg-query failed (exit status %d)%s", res.code, outputTail(res.stderr))
	}
	have := map[string]bool{}
	for _, line := range strings.Split(res.stdout, "\n") {
		pkg, status, ok := strings.Cut(line, "\t")
		if ok && len(status) >= 2 && status[1] == 'i' {
			have[pkg] = true
			name, _, _ := strings.Cut(pkg, ":")
			have[name] = true
		}
	}
	for _, n := range ask {
		s.installed[n] = have[n]
	}
	return nil
}

// wrong returns the names whose state differs from want.
func (s *dpkgStatus) wrong(names []string, present bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range names {
		if s.installed[n] != present {
			out = append(out, n)
		}
	}
	return out
}

// forget drops what is known about names (after apt-get changed them).
func (s *dpkgStatus) forget(names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		delete(s.installed, n)
	}
}

func prepareAptPackage(ctx *Context, all []Attrs) {
	var names []string
	for _, a := range all {
		names = append(names, aptNames(a)...)
	}
	_ = aptStatus(ctx).query(ctx, names) // a failure shows again in Verify
}

func verifyAptPackage(ctx *Context, a Attrs) (Result, error) {
	names := aptNames(a)
	st := aptStatus(ctx)
	if err := st.query(ctx, names); err != nil {
		return Result{}, err
	}
	present := a.str("state") != "absent"
	wrong := st.wrong(names, present)
	if len(wrong) == 0 {
		return Result{}, nil
	}
	verb := map[bool]string{true: "to install", false: "to remove"}[present]
	return Result{NeedsUpdate: true, Reason: verb + ": " + strings.Join(wrong, " ")}, nil
}

func updateAptPackage(ctx *Context, a Attrs) error {
	names := aptNames(a)
	st := aptStatus(ctx)
	present := a.str("state") != "absent"
	wrong := st.wrong(names, present)
	defer st.forget(wrong)
	if !present {
		_, err := aptGet(append([]string{"remove"}, wrong...)).check(ctx)
		return err
	}
	updated := false
	if maxAge, _ := a["update_cache_max_age"].(int64); aptListsAge(ctx) > time.Duration(maxAge)*time.Second {
		if _, err := aptGet([]string{"update"}).check(ctx); err != nil {
			return err
		}
		updated = true
	}
	args := []string{"install"}
	if !a.flag("install_recommends") {
		args = append(args, "--no-install-recommends")
	}
	res, err := aptGet(append(args, wrong...)).check(ctx)
	if err != nil && !updated && strings.Contains(res.stderr, "Unable to locate package") {
		if _, err := aptGet([]string{"update"}).check(ctx); err != nil {
			return err
		}
		_, err = aptGet(append(args, wrong...)).check(ctx)
	}
	return err
}

// aptGet is an apt-get run that never asks: it keeps changed
// configuration files and waits up to five minutes for the dpkg lock.
func aptGet(args []string) toolCmd {
	base := []string{"-q", "-y", "-o", "Dpkg::Options::=--force-confold", "-o", "Dpkg::Options::=--force-confdef",
		"-o", "DPkg::Lock::Timeout=300"}
	return toolCmd{name: "apt-get", args: append(base, args...), env: []string{"DEBIAN_FRONTEND=noninteractive"},
		show: "apt-get " + strings.Join(args, " ")}
}

// aptListsAge is how long ago the package lists were last refreshed (the
// newest file of the lists directory apt-config names); very long when
// there are none.
func aptListsAge(ctx *Context) time.Duration {
	res, err := toolCmd{name: "apt-config", args: []string{"shell", "L", "Dir::State::lists/d"}}.run(ctx)
	if err != nil || res.code != 0 {
		return time.Duration(1<<62 - 1)
	}
	dir, err := strconv.Unquote(strings.Replace(strings.TrimSpace(strings.TrimPrefix(res.stdout, "L=")), "'", "\"", -1))
	if err != nil {
		return time.Duration(1<<62 - 1)
	}
	entries, _ := os.ReadDir(dir)
	var newest time.Time
	for _, e := range entries {
		if e.Name() == "lock" || e.Name() == "partial" || e.Name() == "auxfiles" {
			continue
		}
		if info, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
	}
	if newest.IsZero() {
		return time.Duration(1<<62 - 1)
	}
	return time.Since(newest)
}
