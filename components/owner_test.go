package components

import (
	"os"
	"os/user"
	"strconv"
	"testing"
)

func TestOwnerGroupCurrentIDs(t *testing.T) {
	p := newProject(t)
	writeFile(t, p.work("f"), "", 0o644)
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		kind string
		attr string
		val  any
	}{
		{"Owner", "owner", int64(os.Getuid())},
		{"Owner", "owner", strconv.Itoa(os.Getuid())},
		{"Owner", "owner", u.Username},
		{"Group", "group", int64(os.Getgid())},
		{"Group", "group", g.Name},
	}
	for _, c := range cases {
		n := p.mustExpand(c.kind, Attrs{"path": "f", c.attr: c.val})
		if changed := mustDeploy(t, p.ctx(false), n); len(changed) != 0 {
			t.Errorf("%s=%v: changed %v", c.attr, c.val, changed)
		}
	}
}

func TestOwnerGroupUnknownName(t *testing.T) {
	p := newProject(t)
	writeFile(t, p.work("f"), "", 0o644)
	for _, k := range []struct{ kind, attr, noun string }{{"Owner", "owner", "user"}, {"Group", "group", "group"}} {
		// The name need not exist at configure time.
		n := p.mustExpand(k.kind, Attrs{"path": "f", k.attr: "no-such-batou-name"})
		_, err := deploy(p.ctx(false), n)
		wantErr(t, err, "unknown "+k.noun+` "no-such-batou-name"`, p.work("f"))
		changed, err := deploy(p.ctx(true), n)
		if err != nil || len(changed) != 1 {
			t.Errorf("predicting an unknown %s: %v %v", k.noun, changed, err)
		}
	}
	_, err := p.expand("Owner", Attrs{"path": "f", "owner": true})
	wantErr(t, err, "owner must be a user name or a numeric id")
}

func TestOwnerGroupChange(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to change owners")
	}
	p := newProject(t)
	writeFile(t, p.work("f"), "", 0o644)
	mustSymlink(t, p.work("f"), p.work("link"))
	link := p.mustExpand("File", Attrs{"path": "link", "ensure": "symlink", "link_to": "f", "owner": int64(4242), "group": "4343"})
	mustDeploy(t, p.ctx(false), link)
	wantOwner(t, p.work("link"), 4242, 4343)
	wantOwner(t, p.work("f"), os.Getuid(), os.Getgid()) // the link was not followed
	file := p.mustExpand("File", Attrs{"path": "f", "content": "", "owner": int64(4242), "group": "4343"})
	mustDeploy(t, p.ctx(false), file)
	wantOwner(t, p.work("f"), 4242, 4343)
}

func wantOwner(t *testing.T, path string, uid, gid int) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if u, g, _ := fileOwner(info); u != uid || g != gid {
		t.Fatalf("%s owned by %d:%d, want %d:%d", path, u, g, uid, gid)
	}
}

// A setuid file given to another owner keeps its mode in the same deploy
// (chown clears the setuid bit; Owner puts the mode back).
func TestOwnerKeepsSetuid(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to change owners")
	}
	p := newProject(t)
	file := p.mustExpand("File", Attrs{"path": "tool", "content": "#!/bin/sh\n", "mode": "4755", "owner": int64(4242), "group": "4343"})
	mustDeploy(t, p.ctx(false), file)
	wantOwner(t, p.work("tool"), 4242, 4343)
	info, err := os.Lstat(p.work("tool"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&os.ModeSetuid == 0 || info.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v after one deploy, want setuid 0755", info.Mode())
	}
}
