package components

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// validName is what useradd and groupadd accept on Debian by default.
var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z_][a-z0-9_-]*[$]?$`) })

func usersGroupKind() *Kind {
	return &Kind{
		Name:    "users.Group",
		Namevar: "name",
		Doc: "users.Group makes sure a group exists (with the given gid). It is read from /etc/group, or " +
			"through getent (NSS); it is created with groupadd and its gid changed with groupmod.",
		Attrs: []Attr{
			{Name: "name", Type: TypeStr, Required: true, Doc: "the group name"},
			{Name: "gid", Type: TypeInt, Doc: "the group id; None: any (a new group gets the next free one)"},
			{Name: "system", Type: TypeBool, Default: false, Doc: "create a system group (groupadd --system)"},
		},
		Expand: expandUsersGroup,
		Verify: verifyUsersGroup,
		Update: updateUsersGroup,
	}
}

func checkName(a Attrs, what string) error {
	if n := a.str("name"); !validName().MatchString(n) || len(n) > 32 {
		return fmt.Errorf("name %q is not a valid %s name (lower case letters, digits, _ and -, at most 32)", n, what)
	}
	return nil
}

func checkID(a Attrs, name string) error {
	if v, ok := a[name].(int64); ok && (v < 0 || v > 1<<31) {
		return fmt.Errorf("%s %d is out of range", name, v)
	}
	return nil
}

func expandUsersGroup(_ ExpandContext, a Attrs) (Attrs, []Sub, error) {
	if err := checkName(a, "group"); err != nil {
		return nil, nil, err
	}
	return a, nil, checkID(a, "gid")
}

func verifyUsersGroup(ctx *Context, a Attrs) (Result, error) {
	g, err := userDB{}.group(a.str("name"))
	switch {
	case errors.Is(err, errNoEntry):
		return Result{NeedsUpdate: true, Reason: "group missing"}, nil
	case err != nil:
		return Result{}, err
	}
	if want, ok := a["gid"].(int64); ok && int64(g.gid) != want {
		return Result{NeedsUpdate: true, Reason: fmt.Sprintf("gid is %d, want %d", g.gid, want)}, nil
	}
	return Result{}, nil
}

func updateUsersGroup(ctx *Context, a Attrs) error {
	name := a.str("name")
	var args []string
	if gid, ok := a["gid"].(int64); ok {
		args = append(args, "--gid", strconv.FormatInt(gid, 10))
	}
	if _, err := (userDB{}).group(name); err == nil {
		_, err := toolCmd{name: "groupmod", args: append(args, name)}.check(ctx)
		return err
	}
	if a.flag("system") {
		args = append(args, "--system")
	}
	_, err := toolCmd{name: "groupadd", args: append(args, name)}.check(ctx)
	return err
}

func usersUserKind() *Kind {
	return &Kind{
		Name:    "users.User",
		Namevar: "name",
		Doc: "users.User makes sure a user exists with the given attributes; attributes left at None are " +
			"not managed. The user is read from /etc/passwd and /etc/group, or through getent (NSS); it " +
			"is created with useradd and changed with usermod. With create_home=True a missing home " +
			"directory is created again.",
		Attrs: []Attr{
			{Name: "name", Type: TypeStr, Required: true, Doc: "the user name"},
			{Name: "uid", Type: TypeInt, Doc: "the user id; None: any (a new user gets the next free one)"},
			{Name: "group", Type: TypeAny, Doc: "the primary group, a name or a gid; None: useradd's default (a group named like the user)"},
			{Name: "groups", Type: TypeList, Doc: "the supplementary groups, exactly (names); None: not managed"},
			{Name: "home", Type: TypeStr, Doc: "the home directory; None: useradd's default (/home/<name>)"},
			{Name: "shell", Type: TypeStr, Doc: "the login shell; None: useradd's default"},
			{Name: "comment", Type: TypeStr, Doc: "the GECOS field (full name)"},
			{Name: "system", Type: TypeBool, Default: false, Doc: "create a system user (useradd --system)"},
			{Name: "create_home", Type: TypeBool, Default: true, Doc: "create the home directory (and again when it is missing)"},
		},
		Expand: expandUsersUser,
		Verify: verifyUsersUser,
		Update: updateUsersUser,
	}
}

func expandUsersUser(_ ExpandContext, a Attrs) (Attrs, []Sub, error) {
	if err := checkName(a, "user"); err != nil {
		return nil, nil, err
	}
	if err := checkID(a, "uid"); err != nil {
		return nil, nil, err
	}
	switch g := a["group"].(type) {
	case nil, int64:
	case string:
		if g == "" {
			return nil, nil, errors.New("group must be a group name or a gid, not \"\"")
		}
	default:
		return nil, nil, fmt.Errorf("group must be a group name or a gid, not %s", typeName(g))
	}
	for _, g := range a.list("groups") {
		if s, ok := g.(string); !ok || s == "" {
			return nil, nil, fmt.Errorf("groups must be a list of group names, not %s", modeRepr(g))
		}
	}
	if h := a.str("home"); h != "" && !strings.HasPrefix(h, "/") {
		return nil, nil, fmt.Errorf("home must be an absolute path, not %q", h)
	}
	return a, nil, nil
}

// userDiff lists what differs between the user and the attributes, as
// usermod arguments and a reason.
func userDiff(db userDB, u passwdEntry, a Attrs) ([]string, []string, error) {
	var args, why []string
	add := func(flag, have, want, what string) {
		if want != have {
			args = append(args, flag, want)
			why = append(why, fmt.Sprintf("%s is %q, want %q", what, have, want))
		}
	}
	if uid, ok := a["uid"].(int64); ok {
		add("--uid", strconv.Itoa(u.uid), strconv.FormatInt(uid, 10), "uid")
	}
	if a["group"] != nil {
		g, err := db.group(fmt.Sprint(a["group"]))
		if err != nil {
			return nil, nil, fmt.Errorf("group %v: %w", a["group"], err)
		}
		add("--gid", strconv.Itoa(u.gid), strconv.Itoa(g.gid), "primary gid")
	}
	for _, f := range [][3]string{{"home", "--home", u.home}, {"shell", "--shell", u.shell}, {"comment", "--comment", u.comment}} {
		if want, ok := a[f[0]].(string); ok {
			add(f[1], f[2], want, f[0])
		}
	}
	if a["groups"] != nil {
		have, err := db.groupsOf(u.name)
		if err != nil {
			return nil, nil, err
		}
		add("--groups", strings.Join(sortedSet(have), ","), strings.Join(sortedSet(stringsOf(a.list("groups"))), ","), "groups")
	}
	return args, why, nil
}

func stringsOf(l []any) []string {
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func sortedSet(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func verifyUsersUser(ctx *Context, a Attrs) (Result, error) {
	db := userDB{}
	u, err := db.user(a.str("name"))
	switch {
	case errors.Is(err, errNoEntry):
		return Result{NeedsUpdate: true, Reason: "user missing"}, nil
	case err != nil:
		return Result{}, err
	}
	_, why, err := userDiff(db, u, a)
	if errors.Is(err, errNoEntry) && ctx.predict() {
		return Result{NeedsUpdate: true, Reason: err.Error() + " (yet)"}, nil
	}
	if err != nil {
		return Result{}, err
	}
	if len(why) > 0 {
		return Result{NeedsUpdate: true, Reason: strings.Join(why, "; ")}, nil
	}
	if _, err := os.Stat(u.home); a.flag("create_home") && errors.Is(err, os.ErrNotExist) {
		return Result{NeedsUpdate: true, Reason: "home directory " + u.home + " missing"}, nil
	}
	return Result{}, nil
}

func updateUsersUser(ctx *Context, a Attrs) error {
	db := userDB{}
	name := a.str("name")
	u, err := db.user(name)
	if errors.Is(err, errNoEntry) {
		_, err = toolCmd{name: "useradd", args: useraddArgs(a)}.check(ctx)
		return err
	}
	if err != nil {
		return err
	}
	args, _, err := userDiff(db, u, a)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		if _, err := (toolCmd{name: "usermod", args: append(args, name)}).check(ctx); err != nil {
			return err
		}
		if u, err = db.user(name); err != nil {
			return err
		}
	}
	if _, err := os.Stat(u.home); a.flag("create_home") && errors.Is(err, os.ErrNotExist) {
		return makeHome(u)
	}
	return nil
}

func useraddArgs(a Attrs) []string {
	var args []string
	if uid, ok := a["uid"].(int64); ok {
		args = append(args, "--uid", strconv.FormatInt(uid, 10))
	}
	if a["group"] != nil {
		args = append(args, "--gid", fmt.Sprint(a["group"]))
	}
	if a["groups"] != nil && len(a.list("groups")) > 0 {
		args = append(args, "--groups", strings.Join(stringsOf(a.list("groups")), ","))
	}
	for _, f := range [][2]string{{"home", "--home-dir"}, {"shell", "--shell"}, {"comment", "--comment"}} {
		if v, ok := a[f[0]].(string); ok {
			args = append(args, f[1], v)
		}
	}
	if a.flag("system") {
		args = append(args, "--system")
	}
	if a.flag("create_home") {
		args = append(args, "--create-home")
	} else {
		args = append(args, "--no-create-home")
	}
	return append(args, a.str("name"))
}

// makeHome creates a missing home directory, owned by the user, private.
func makeHome(u passwdEntry) error {
	if err := os.MkdirAll(u.home, 0o700); err != nil {
		return fmt.Errorf("creating home directory %s: %w", u.home, err)
	}
	if err := os.Chown(u.home, u.uid, u.gid); err != nil {
		return fmt.Errorf("giving home directory %s to %s: %w", u.home, u.name, err)
	}
	return nil
}
