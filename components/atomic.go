package components

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Atomic writes files atomically. Record, when set, is called with the
// directory of every temporary file before the file is created there: a
// process that may be killed half way (the agent) keeps these directories
// where they survive it (its lock file), so that the next run can remove
// what it left behind with RemoveTempFiles, also next to files that run
// does not rewrite. Record is called for every file written; it should
// remember what it has seen instead of doing I/O each time. An error from
// it fails the write. The zero Atomic records nothing.
type Atomic struct {
	Record func(dir string) error
}

// WriteFile replaces the file at path with data so that readers see
// either the old or the new content, never a mix, even when the process is
// killed half way.
//
// The data goes to a temporary file in the same directory, named
// .<basename>.batou-tmp, which is renamed over path. A leftover from a
// killed run is removed when the file is written again, and by the next
// deploy also when it does not rewrite the file (Record, RemoveTempFiles).
// Nothing is synced here: the agent flushes the file systems it wrote to
// once per root (syncfs), which costs one flush instead of two per file. A
// file that already exists keeps its permission bits and, when running as
// root, its owner and group; a new file gets exactly perm (the umask does
// not apply). When path is a symlink to a regular file, the file it points
// to is replaced and the link stays.
func (w Atomic) WriteFile(path string, data []byte, perm os.FileMode) error {
	return w.write(path, data, perm, true)
}

// write is WriteFile; keep false makes the result have perm even when the
// file exists, and replaces a symlink instead of following it.
func (w Atomic) write(path string, data []byte, perm os.FileMode, keep bool) error {
	old, err := os.Lstat(path)
	if err != nil {
		old = nil
	}
	if keep && old != nil && old.Mode()&fs.ModeSymlink != 0 {
		if real, ok := linkedFile(path); ok {
			path = real
			if old, err = os.Lstat(path); err != nil {
				old = nil
			}
		}
	}
	if old != nil && keep && old.Mode().IsRegular() {
		perm = old.Mode() & modeMask
	}
	tmp := tmpName(path)
	if err := w.note(tmp); err != nil {
		return err
	}
	if err := writeTemp(tmp, data, perm&modeMask, old); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}

// rename is os.Rename without its check whether newpath is a directory
// (a system call per file written; rename(2) refuses that case itself).
func rename(oldpath, newpath string) error {
	for {
		err := syscall.Rename(oldpath, newpath)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
		}
		return nil
	}
}

// noteCreated records that Presence created the empty file path.
func (c *Context) noteCreated(path string) {
	if c == nil {
		return
	}
	if c.created == nil {
		c.created = map[string]struct{}{}
	}
	c.created[path] = struct{}{}
}

// takeCreated reports (once) whether Presence created path with c.
func (c *Context) takeCreated(path string) bool {
	if c == nil {
		return false
	}
	_, ok := c.created[path]
	delete(c.created, path)
	return ok
}

// fillCreated writes data into the empty file at path that Presence has
// just created, using that file as the temporary one: it is renamed to the
// temporary name, filled and renamed back. A killed agent leaves path as
// it was before the deploy (missing) or complete, never partial, as
// WriteFile does; and a first deploy allocates one inode per file
// instead of two and frees none (a file system that scans recently freed
// inodes when it allocates one, such as ext4 without a journal, slows
// down quadratically otherwise). done is false, with nothing changed, when
// the file is no longer an empty regular file of one link.
func (w Atomic) fillCreated(path string, data []byte) (done bool, err error) {
	info, err := os.Lstat(path)
	if err != nil || !info.Mode().IsRegular() || info.Size() != 0 {
		return false, nil
	}
	if st, ok := info.Sys().(*syscall.Stat_t); !ok || st.Nlink != 1 {
		return false, nil
	}
	tmp := tmpName(path)
	if err := w.note(tmp); err != nil {
		return true, err
	}
	if rename(path, tmp) != nil {
		return false, nil
	}
	fd, err := openMode(tmp, syscall.O_WRONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0)
	if err == nil {
		err = writeRenamed(fd, tmp, data, path)
	} else {
		_ = os.Remove(tmp)
	}
	if err != nil {
		return true, fmt.Errorf("writing %s: %w", path, err)
	}
	return true, nil
}

// writeRenamed writes data to fd, the open file tmp, closes it and
// renames tmp to path; on failure tmp is removed.
func writeRenamed(fd int, tmp string, data []byte, path string) error {
	err := writeAll(fd, data)
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err == nil {
		err = rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// modeMask selects the permission bits together with setuid, setgid and
// sticky.
const modeMask = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// tmpSuffix ends the name of every temporary file: .<basename>.batou-tmp.
const tmpSuffix = ".batou-tmp"

// tmpName is the deterministic temporary name used to replace path.
func tmpName(path string) string {
	dir, base := filepath.Dir(path), filepath.Base(path)
	if dir == "." || strings.HasSuffix(dir, string(filepath.Separator)) {
		return filepath.Join(dir, "."+base+tmpSuffix)
	}
	// What Join gives, in one step: dir is clean and not a root, base
	// holds no separator.
	return dir + string(filepath.Separator) + "." + base + tmpSuffix
}

// note tells Record, if any, about the temporary file tmp.
func (w Atomic) note(tmp string) error {
	if w.Record != nil {
		if err := w.Record(filepath.Dir(tmp)); err != nil {
			return fmt.Errorf("recording temporary file %s: %w", tmp, err)
		}
	}
	return nil
}

// isTempFile reports whether name (a base name) is that of a temporary
// file of an atomic replacement.
func isTempFile(name string) bool {
	return len(name) > 1+len(tmpSuffix) && name[0] == '.' && strings.HasSuffix(name, tmpSuffix)
}

// IsTempName reports whether path is named like the temporary file of an
// atomic replacement (.NAME.batou-tmp), that is like the temporary file
// of NAME next to it.
func IsTempName(path string) bool {
	return isTempFile(filepath.Base(path))
}

// RemoveTempFiles removes the temporary files of atomic replacements that
// a killed process left in dir (not below it) and returns their names. A
// missing dir is fine.
func RemoveTempFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking for temporary files: %w", err)
	}
	var removed []string
	for _, e := range entries {
		if !isTempFile(e.Name()) || e.IsDir() {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("removing leftover temporary file: %w", err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

// linkedFile returns the file the symlink at path points to, when it is a
// regular file.
func linkedFile(path string) (string, bool) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return path, false
	}
	if info, err := os.Stat(real); err == nil && info.Mode().IsRegular() {
		return real, true
	}
	return path, false
}

// writeTemp writes data into a new file tmp (private while it is being
// written), copies the owner of old when running as root and sets perm.
// A leftover tmp of a killed run is removed first.
func writeTemp(tmp string, data []byte, perm os.FileMode, old os.FileInfo) error {
	const flags = syscall.O_WRONLY | syscall.O_CREAT | syscall.O_EXCL | syscall.O_CLOEXEC
	fd, err := openMode(tmp, flags, 0o600)
	if errors.Is(err, syscall.EEXIST) {
		if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing leftover temporary file: %w", err)
		}
		fd, err = openMode(tmp, flags, 0o600)
	}
	if err != nil {
		return fmt.Errorf("creating temporary file: %w", &fs.PathError{Op: "open", Path: tmp, Err: err})
	}
	err = fillTemp(fd, tmp, data, perm, old)
	if cerr := syscall.Close(fd); err == nil && cerr != nil {
		err = fmt.Errorf("closing temporary file: %w", cerr)
	}
	return err
}

func fillTemp(fd int, name string, data []byte, perm os.FileMode, old os.FileInfo) error {
	if err := writeAll(fd, data); err != nil {
		return fmt.Errorf("writing temporary file: %w", &fs.PathError{Op: "write", Path: name, Err: err})
	}
	if uid, gid, ok := fileOwner(old); ok && geteuid() == 0 {
		if err := fchown(fd, uid, gid); err != nil {
			return fmt.Errorf("keeping owner of %s: %w", name, err)
		}
	}
	// chmod after chown: chown clears setuid and setgid.
	if err := fchmod(fd, perm); err != nil {
		return fmt.Errorf("setting mode of temporary file: %w", err)
	}
	return nil
}

// geteuid is the effective user id, asked once.
var geteuid = sync.OnceValue(os.Geteuid)

// fileOwner returns the uid and gid of info, when known.
func fileOwner(info os.FileInfo) (uid, gid int, ok bool) {
	if info == nil {
		return 0, 0, false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// removeAny removes whatever stands at path: a file, a symlink (never
// followed) or a whole directory tree. A missing path is fine.
func removeAny(path string) error {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("removing %s: %w", path, err)
	case info.IsDir():
		err = os.RemoveAll(path)
	default:
		err = os.Remove(path)
	}
	if err != nil {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return nil
}

// replaceSymlink makes path a symlink to target: the link is created under
// the temporary name and renamed over path, so a symlink or file at path is
// replaced atomically; a real directory there is removed first.
func (w Atomic) replaceSymlink(path, target string) error {
	if info, err := os.Lstat(path); err == nil && info.IsDir() {
		if err := removeAny(path); err != nil {
			return err
		}
	}
	tmp := tmpName(path)
	if err := w.note(tmp); err != nil {
		return err
	}
	if err := removeAny(tmp); err != nil {
		return err
	}
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("creating symlink %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("creating symlink %s: %w", path, err)
	}
	return nil
}

// missing reports whether err means the path is not there. In predict mode a
// parent that is a file also counts: an earlier component would have fixed it.
func missing(c *Context, err error) bool {
	return errors.Is(err, fs.ErrNotExist) || (c.predict() && errors.Is(err, syscall.ENOTDIR))
}
