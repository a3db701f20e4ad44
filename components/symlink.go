package components

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

func symlinkKind() *Kind {
	return &Kind{
		Name:    "Symlink",
		Namevar: "path",
		Doc: "Symlink makes path a symbolic link to source. As in batou the link target is mapped like " +
			"a path, so a relative source points into the workdir. Whatever stands at path (a file, a " +
			"directory tree, another link) is replaced; the new link is renamed into place atomically.",
		Attrs: []Attr{
			pathAttr("the link itself; relative paths are relative to the workdir"),
			{Name: "source", Type: TypeStr, Doc: "the link target (required); a relative target is joined to the workdir"},
		},
		Expand: expandSymlink,
		Verify: verifySymlink,
		Update: updateSymlink,
		Writes: "path",
	}
}

func expandSymlink(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, _, err := normPath(ctx, a, "path")
	source := ""
	if err == nil {
		source, err = out.strOrNil("source")
	}
	if err == nil && source == "" {
		err = errors.New("Symlink needs source= (the link target)")
	}
	if err != nil {
		return nil, nil, err
	}
	out["source"] = ctx.Map(source)
	return out, nil, nil
}

// linkTarget is the target a Symlink's link must have on the host.
func linkTarget(ctx *Context, a Attrs) string {
	s := a.str("source")
	if len(s) > 0 && s[0] == '~' {
		return ctx.hostPath(s)
	}
	return s
}

func verifySymlink(ctx *Context, a Attrs) (Result, error) {
	p := ctx.hostPath(a.str("path"))
	want := linkTarget(ctx, a)
	info, err := os.Lstat(p)
	switch {
	case err != nil && missing(ctx, err):
		return Result{NeedsUpdate: true, Reason: "link missing"}, nil
	case err != nil:
		return Result{}, fmt.Errorf("checking symlink %s: %w", p, err)
	case info.Mode()&fs.ModeSymlink == 0:
		return Result{NeedsUpdate: true, Reason: "not a symlink: " + describe(info)}, nil
	}
	have, err := os.Readlink(p)
	if err != nil {
		return Result{}, fmt.Errorf("reading symlink %s: %w", p, err)
	}
	if have != want {
		return Result{NeedsUpdate: true, Reason: fmt.Sprintf("link points to %s, want %s", have, want)}, nil
	}
	return Result{}, nil
}

func updateSymlink(ctx *Context, a Attrs) error {
	return ctx.Atomic.replaceSymlink(ctx.hostPath(a.str("path")), linkTarget(ctx, a))
}
