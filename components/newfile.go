package components

import (
	"os"
	"syscall"
)

// CreateWithContent does at once what Presence followed by Content does to
// a missing file: it writes the content of the Content attributes a into
// a new temporary file (mode 0644 minus the umask, as Presence creates
// it) and renames that to the path. A first deploy so costs four system
// calls per file instead of a dozen, and the file appears complete or not
// at all.
//
// It returns the result Content's verify would give right after Presence
// created the file empty (the diff from nothing to the content), and
// done. done is false, with nothing changed, when the file cannot be
// created that way: content held by digest, a leftover temporary file, a
// missing parent directory or any other error. Then Presence and Content
// run one after the other and report what went wrong in their words. It
// keeps nothing of a (the caller may reuse the map).
func CreateWithContent(ctx *Context, a Attrs) (res Result, done bool) {
	return createNew(ctx, a, rename)
}

// CreateIfMissing is CreateWithContent for a file that is not known to be
// missing: the new file is moved to the path only if nothing stands there
// (not even a dangling symlink), in the same step (renameat2 with
// RENAME_NOREPLACE where the file system has it). So it does at once what
// Presence's verify, Presence and Content do to a missing file, without
// looking first. done is false, with nothing changed, when something
// stands at the path or CreateWithContent could not create the file. It
// keeps nothing of a (the caller may reuse the map).
func CreateIfMissing(ctx *Context, a Attrs) (res Result, done bool) {
	return createNew(ctx, a, renameNoReplace)
}

// createNew writes the content of a to a new temporary file and moves it
// to the path with move.
func createNew(ctx *Context, a Attrs, move func(oldpath, newpath string) error) (res Result, done bool) {
	if _, blob := a["content"].(Blob); blob {
		return Result{}, false
	}
	p := ctx.hostPath(a.str("path"))
	data := writtenBytes(a["content"])
	tmp := tmpName(p)
	if ctx.Atomic.note(tmp) != nil || writeNewTemp(tmp, data) != nil {
		return Result{}, false
	}
	if move(tmp, p) != nil {
		_ = os.Remove(tmp)
		return Result{}, false
	}
	return createdResult(a, p, data), true
}

// writeNewTemp writes data into tmp, a new file (mode 0644 minus the
// umask, as Presence creates a file); on failure nothing is left. It only
// reads data (which may be a string's bytes, writtenBytes).
func writeNewTemp(tmp string, data []byte) error {
	fd, err := openMode(tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	err = writeAll(fd, data)
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// createdResult is what Content's verify (attributes a) finds at p right
// after Presence created the file empty: the diff from nothing to a's
// content, whose bytes data are.
func createdResult(a Attrs, p string, data []byte) Result {
	if len(data) == 0 {
		return Result{}
	}
	return contentChange(a, p, []byte{}, "content differs")
}
