package components

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// needUseradd skips unless the test may create real users.
func needUseradd(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("users.User and users.Group create real users and groups: the test needs root")
	}
	for _, tool := range []string{"useradd", "usermod", "groupadd", "groupmod", "userdel", "groupdel"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("users.User and users.Group drive %s, which is not installed", tool)
		}
	}
}

// unusedGID is the first gid from from on that no group in /etc/group
// has: a fixed one would be taken by another test run on the machine.
func unusedGID(t *testing.T, from int) int {
	t.Helper()
	data, err := os.ReadFile("/etc/group")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Split(line, ":"); len(f) > 2 {
			used[f[2]] = true
		}
	}
	for used[strconv.Itoa(from)] {
		from++
	}
	return from
}

// uniqueName is a user or group name no other test run uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, os.Getpid()%1000000)
}

func TestUsersGroupAndUser(t *testing.T) {
	needUseradd(t)
	group, extra, user := uniqueName("btg"), uniqueName("btx"), uniqueName("btu")
	home := filepath.Join(t.TempDir(), "home-"+user)
	t.Cleanup(func() {
		exec.Command("userdel", "--remove", user).Run()
		exec.Command("groupdel", group).Run()
		exec.Command("groupdel", extra).Run()
	})
	p := newProject(t)
	gid := unusedGID(t, 40000+os.Getpid()%20000)
	g := p.mustExpand("users.Group", Attrs{"name": group, "gid": int64(gid)})
	x := p.mustExpand("users.Group", Attrs{"name": extra, "system": true})
	u := p.mustExpand("users.User", Attrs{"name": user, "group": group, "groups": []any{extra},
		"home": home, "shell": "/bin/sh", "comment": "Batou Test"})
	for _, n := range []*node{g, x, u} {
		if got := mustDeploy(t, p.ctx(false), n); len(got) != 1 {
			t.Fatalf("%s: first deploy changed %v", n.label(), got)
		}
		if got := mustDeploy(t, p.ctx(false), n); len(got) != 0 {
			t.Fatalf("%s: second deploy changed %v", n.label(), got)
		}
	}
	pw, err := userDB{noGetent: true}.user(user)
	if err != nil || pw.gid != gid || pw.home != home || pw.shell != "/bin/sh" || pw.comment != "Batou Test" {
		t.Fatalf("passwd entry %+v %v", pw, err)
	}
	if info, err := os.Stat(home); err != nil || !info.IsDir() {
		t.Fatalf("home: %v", err)
	}
	if groups, _ := (userDB{}).groupsOf(user); strings.Join(groups, ",") != extra {
		t.Fatalf("supplementary groups %v", groups)
	}

	// Drift: shell and groups changed by hand, home removed, gid changed.
	mustRun(t, "usermod", "--shell", "/bin/bash", "--groups", "", user)
	os.RemoveAll(home)
	mustRun(t, "groupmod", "--gid", strconv.Itoa(unusedGID(t, gid+1)), group)
	res, err := u.kind.Verify(p.ctx(true), u.attrs)
	if err != nil || !strings.Contains(res.Reason, `shell is "/bin/bash", want "/bin/sh"`) || !strings.Contains(res.Reason, "groups is") {
		t.Fatalf("drift: %+v %v", res, err)
	}
	for _, n := range []*node{g, x, u} {
		mustDeploy(t, p.ctx(false), n)
	}
	pw, _ = userDB{noGetent: true}.user(user)
	if pw.shell != "/bin/sh" || pw.gid != gid {
		t.Fatalf("not repaired: %+v", pw)
	}
	if info, err := os.Stat(home); err != nil || info.Sys() == nil {
		t.Fatalf("home not created again: %v", err)
	}
	if uid, _, _ := fileOwner(mustStat(t, home)); uid != pw.uid {
		t.Fatalf("home owned by %d", uid)
	}
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func mustStat(t *testing.T, p string) os.FileInfo {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestUsersErrors(t *testing.T) {
	p := newProject(t)
	for kind, cases := range map[string]map[string]Attrs{
		"users.User": {
			`name "Bad Name" is not a valid user name`:           {"name": "Bad Name"},
			"uid -1 is out of range":                             {"name": "ok", "uid": int64(-1)},
			"group must be a group name or a gid, not list":      {"name": "ok", "group": []any{}},
			"groups must be a list of group names, not 3":        {"name": "ok", "groups": []any{int64(3)}},
			`home must be an absolute path, not "rel/home"`:      {"name": "ok", "home": "rel/home"},
			`name "" is not a valid user name (lower case lette`: {"name": ""},
		},
		"users.Group": {`name "A" is not a valid group name`: {"name": "A"}},
	} {
		for msg, attrs := range cases {
			_, err := p.expand(kind, attrs)
			wantErr(t, err, msg)
		}
	}
	// Verify reads files; an unknown primary group is an error, except
	// when predicting (an earlier component may create it).
	needUseradd(t)
	n := p.mustExpand("users.User", Attrs{"name": "root", "group": "no-such-group-batou"})
	_, err := deploy(p.ctx(false), n)
	wantErr(t, err, "group no-such-group-batou: no such entry")
	if got := mustDeploy(t, p.ctx(true), n); len(got) != 1 {
		t.Fatalf("predict: %v", got)
	}
}

func TestUserDB(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "passwd"), "root:x:0:0:root:/root:/bin/bash\napp:x:1001:1002:The App:/srv/app:/bin/sh\n", 0o644)
	writeFile(t, filepath.Join(dir, "group"), "root:x:0:\napp:x:1002:\nweb:x:33:app,other\nlog:x:4:other\n", 0o644)
	db := userDB{passwdFile: filepath.Join(dir, "passwd"), groupFile: filepath.Join(dir, "group"), noGetent: true}
	for _, key := range []string{"app", "1001"} {
		u, err := db.user(key)
		if err != nil || u != (passwdEntry{name: "app", uid: 1001, gid: 1002, comment: "The App", home: "/srv/app", shell: "/bin/sh"}) {
			t.Fatalf("%s: %+v %v", key, u, err)
		}
	}
	if g, err := db.group("33"); err != nil || g.name != "web" || strings.Join(g.members, ",") != "app,other" {
		t.Fatalf("group: %+v %v", g, err)
	}
	if groups, err := db.groupsOf("app"); err != nil || strings.Join(groups, ",") != "web" {
		t.Fatalf("groupsOf: %v %v", groups, err)
	}
	if _, err := db.user("nobody-here"); err != errNoEntry {
		t.Fatalf("missing user: %v", err)
	}
}
