package components

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

func presenceKind() *Kind {
	return &Kind{
		Name:    "Presence",
		Namevar: "path",
		Doc: "Presence makes sure a regular file exists, without touching its content. Whatever else " +
			"stands at the path (a directory tree, a broken symlink) is removed first; a new file is empty " +
			"with mode 0644 minus the umask. A symlink to a regular file counts as present.",
		Attrs: []Attr{
			pathAttr("the file; relative paths are relative to the workdir"),
			leadingAttr(),
		},
		Expand: expandPresence,
		Verify: verifyPresence,
		Update: updatePresence,
		Writes: "path",
	}
}

// ReasonMissing is the reason Presence gives for a file that is not there.
const ReasonMissing = "file missing"

// leadingAttr is the leading attribute of Presence, Directory and File.
func leadingAttr() Attr {
	return Attr{Name: "leading", Type: TypeBool, Default: false,
		Doc: "create missing parent directories (through a Directory sub-component with leading=True)"}
}

// expandPresence adds, with leading, a Directory sub-component for the
// parent, deployed before the file, as batou does.
func expandPresence(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, display, err := normPath(ctx, a, "path")
	if err != nil {
		return nil, nil, err
	}
	if !out.flag("leading") {
		return out, nil, nil
	}
	parent := Attrs{"path": filepath.Dir(out.str("path")), DisplayAttr: filepath.Dir(display), "leading": true}
	return out, []Sub{{Kind: "Directory", Attrs: parent}}, nil
}

func verifyPresence(ctx *Context, a Attrs) (Result, error) {
	p := ctx.hostPath(a.str("path"))
	mode, err := ctx.statFile(p)
	switch {
	case err == nil && mode.IsRegular():
		return Result{}, nil
	case err == nil:
		return Result{NeedsUpdate: true, Reason: "not a regular file: " + describeMode(mode)}, nil
	case missing(ctx, err):
		return Result{NeedsUpdate: true, Reason: ReasonMissing}, nil
	}
	return Result{}, fmt.Errorf("checking %s: %w", p, err)
}

// describe names the type of a file for messages.
func describe(info fs.FileInfo) string { return describeMode(info.Mode()) }

// describeMode names the type of a file mode for messages.
func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m.IsRegular():
		return "a file"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

func updatePresence(ctx *Context, a Attrs) error {
	p := ctx.hostPath(a.str("path"))
	err := createEmpty(p) // the usual case: nothing stands there
	if errors.Is(err, syscall.EEXIST) {
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return nil
		}
		if err := removeAny(p); err != nil {
			return err
		}
		err = createEmpty(p)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("creating %s: parent directory %s does not exist (hint: leading=True creates it): %w",
			p, filepath.Dir(p), err)
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", p, err)
	}
	ctx.noteCreated(p)
	return nil
}

// createEmpty creates an empty file at p, which must not exist.
func createEmpty(p string) error {
	fd, err := openMode(p, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return &fs.PathError{Op: "open", Path: p, Err: err}
	}
	return syscall.Close(fd)
}
