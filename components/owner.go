package components

import (
	"errors"
	"fmt"
	"os"
	"strconv"
)

// idSpec describes one of the two ownership kinds, Owner and Group.
type idSpec struct {
	kind   string // "Owner"
	attr   string // "owner"
	noun   string // "user"
	lookup func(name string) (string, error)
	// chown returns the Lchown arguments that set id and keep the other.
	chown func(id int) (uid, gid int)
	// current picks the matching id out of (uid, gid).
	current func(uid, gid int) int
}

func ownerSpec() idSpec {
	return idSpec{kind: "Owner", attr: "owner", noun: "user", lookup: lookupUID,
		chown:   func(id int) (int, int) { return id, -1 },
		current: func(uid, _ int) int { return uid },
	}
}

func groupSpec() idSpec {
	return idSpec{kind: "Group", attr: "group", noun: "group", lookup: lookupGID,
		chown:   func(id int) (int, int) { return -1, id },
		current: func(_, gid int) int { return gid },
	}
}

// lookupUID returns the uid of a user name (from /etc/passwd, else
// getent).
func lookupUID(name string) (string, error) {
	u, err := userDB{}.user(name)
	if err != nil {
		return "", err
	}
	return strconv.Itoa(u.uid), nil
}

// lookupGID returns the gid of a group name (from /etc/group, else
// getent).
func lookupGID(name string) (string, error) {
	g, err := userDB{}.group(name)
	if err != nil {
		return "", err
	}
	return strconv.Itoa(g.gid), nil
}

func ownerKind() *Kind { return idKind(ownerSpec()) }

func groupKind() *Kind { return idKind(groupSpec()) }

func idKind(s idSpec) *Kind {
	return &Kind{
		Name:    s.kind,
		Namevar: "path",
		Doc: fmt.Sprintf("%s sets the %s of a path that already exists. The name is looked up on the host "+
			"when the component is verified, so the %s may be created earlier in the same deploy. "+
			"A symlink's own %s is changed; the link is not followed.", s.kind, s.noun, s.noun, s.noun),
		Attrs: []Attr{
			pathAttr("the file, directory or symlink; relative paths are relative to the workdir"),
			{Name: s.attr, Type: TypeAny, Required: true, Doc: "the " + s.noun + ": a name or a numeric id (int or string)"},
		},
		Expand: func(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) { return expandID(s, ctx, a) },
		Verify: func(ctx *Context, a Attrs) (Result, error) { return verifyID(s, ctx, a) },
		Update: func(ctx *Context, a Attrs) error { return updateID(s, ctx, a) },
		Writes: "path",
	}
}

func expandID(s idSpec, ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, _, err := normPath(ctx, a, "path")
	if err != nil {
		return nil, nil, err
	}
	switch v := out[s.attr].(type) {
	case string:
		if v != "" {
			return out, nil, nil
		}
	case int64:
		if v >= 0 {
			return out, nil, nil
		}
	}
	return nil, nil, fmt.Errorf("%s must be a %s name or a numeric id, not %s", s.attr, s.noun, modeRepr(out[s.attr]))
}

// resolveID turns a name or numeric id into an id. errUnknown marks a name
// that does not exist on this host.
func resolveID(s idSpec, v any) (int, error) {
	switch v := v.(type) {
	case int64:
		return int(v), nil
	case string:
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n, nil
		}
		id, err := s.lookup(v)
		if err != nil {
			return 0, fmt.Errorf("unknown %s %q: %w", s.noun, v, errUnknown)
		}
		return strconv.Atoi(id)
	}
	return 0, fmt.Errorf("%s must be a %s name or a numeric id, not %s", s.attr, s.noun, modeRepr(v))
}

// errUnknown is wrapped by resolveID for a user or group that does not exist.
var errUnknown = errors.New("no such name on this host")

func verifyID(s idSpec, ctx *Context, a Attrs) (Result, error) {
	p := ctx.hostPath(a.str("path"))
	want, err := resolveID(s, a[s.attr])
	if errors.Is(err, errUnknown) && ctx.predict() {
		return Result{NeedsUpdate: true, Reason: err.Error() + " (yet)"}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s of %s: %w", s.attr, p, err)
	}
	info, err := os.Lstat(p)
	if err != nil {
		if missing(ctx, err) {
			return Result{NeedsUpdate: true, Reason: "path missing"}, nil
		}
		return Result{}, fmt.Errorf("checking %s of %s: %w", s.attr, p, err)
	}
	uid, gid, _ := fileOwner(info)
	if have := s.current(uid, gid); have != want {
		return Result{NeedsUpdate: true, Reason: fmt.Sprintf("%s is %d, want %d", s.noun, have, want)}, nil
	}
	return Result{}, nil
}

func updateID(s idSpec, ctx *Context, a Attrs) error {
	p := ctx.hostPath(a.str("path"))
	id, err := resolveID(s, a[s.attr])
	if err != nil {
		return fmt.Errorf("%s of %s: %w", s.attr, p, err)
	}
	uid, gid := s.chown(id)
	before, statErr := os.Lstat(p)
	if err := os.Lchown(p, uid, gid); err != nil {
		return fmt.Errorf("changing %s of %s to %d: %w", s.noun, p, id, err)
	}
	// chown(2) clears the setuid and setgid bits of a file: put back the
	// mode it had (Mode ran before), so that one deploy is enough.
	special := os.ModeSetuid | os.ModeSetgid
	if statErr == nil && before.Mode().IsRegular() && before.Mode()&special != 0 {
		if after, err := os.Lstat(p); err == nil && after.Mode() != before.Mode() {
			if err := os.Chmod(p, before.Mode()&(os.ModePerm|special|os.ModeSticky)); err != nil {
				return fmt.Errorf("restoring the mode of %s after changing its %s: %w", p, s.noun, err)
			}
		}
	}
	return nil
}
