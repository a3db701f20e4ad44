package components

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// writeBlob replaces the file at path with b's content, fetched from the
// controller and streamed into a temporary file next to path while it is
// hashed; the temporary file is renamed over path only when size and
// digest match, so an interrupted or corrupted transfer leaves the old
// file as it was. keep is as for Atomic.write: true keeps the mode of an
// existing file and follows a symlink to a regular file.
func (c *Context) writeBlob(path string, b Blob, perm os.FileMode, keep bool) error {
	if c.Blobs == nil {
		return fmt.Errorf("writing %s: no controller to fetch its content (sha256 %s) from", path, b.SHA256)
	}
	r, err := c.Blobs.Fetch(b)
	if err != nil {
		return fmt.Errorf("writing %s: fetching its content: %w", path, err)
	}
	defer r.Close()
	buf, release := c.buffer()
	defer release()
	if err := c.Atomic.writeStream(path, r, b, perm, keep, buf); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if info, err := os.Stat(path); err == nil {
		c.rememberBlob(path, info, b)
	}
	return nil
}

// writeStream is Atomic.write for content that comes from r and must be
// b: the temporary file is renamed over path only when it holds exactly
// b.Size bytes whose SHA-256 is b.SHA256.
func (w Atomic) writeStream(path string, r io.Reader, b Blob, perm os.FileMode, keep bool, buf []byte) error {
	if keep {
		path = regularTarget(path)
	}
	old, err := os.Lstat(path)
	if err != nil {
		old = nil
	}
	if old != nil && keep && old.Mode().IsRegular() {
		perm = old.Mode() & modeMask
	}
	tmp := tmpName(path)
	if err := w.note(tmp); err != nil {
		return err
	}
	if err := streamTemp(tmp, r, b, perm&modeMask, old, buf); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}

// streamTemp fills a new temporary file from r, checks what it received
// against b, and gives the file perm and (as root) the owner of old.
func streamTemp(tmp string, r io.Reader, b Blob, perm os.FileMode, old os.FileInfo, buf []byte) error {
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing leftover temporary file: %w", err)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating temporary file: %w", err)
	}
	err = receive(f, r, b, buf)
	if err == nil {
		err = ownAndMode(f, perm, old)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing temporary file: %w", cerr)
	}
	return err
}

// receive copies r into f while hashing, and checks size and digest.
func receive(f *os.File, r io.Reader, b Blob, buf []byte) error {
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), onlyReader{io.LimitReader(r, b.Size+1)}, buf)
	if err != nil {
		return fmt.Errorf("receiving content (%d of %d bytes): %w", n, b.Size, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != b.Size || sum != b.SHA256 {
		return fmt.Errorf("received content does not match the plan (%d bytes, sha256 %s; want %d bytes, sha256 %s); hint: deploy again",
			n, short(sum), b.Size, short(b.SHA256))
	}
	return nil
}

// ownAndMode gives f the owner of old (when running as root) and perm.
func ownAndMode(f *os.File, perm os.FileMode, old os.FileInfo) error {
	if uid, gid, ok := fileOwner(old); ok && os.Geteuid() == 0 {
		if err := f.Chown(uid, gid); err != nil {
			return fmt.Errorf("keeping owner of %s: %w", f.Name(), err)
		}
	}
	// chmod after chown: chown clears setuid and setgid.
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("setting mode of temporary file: %w", err)
	}
	return nil
}

// regularTarget returns the regular file a symlink at path points to, or
// path.
func regularTarget(path string) string {
	info, err := os.Lstat(path)
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		return path
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return path
	}
	if info, err := os.Stat(real); err == nil && info.Mode().IsRegular() {
		return real
	}
	return path
}

// fileStamp identifies one state of a file: any write or replacement
// changes its inode, size or times (in nanoseconds).
type fileStamp struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
}

// writtenBlobs are the files this deploy wrote from blobs, so that the
// verify after an update need not hash them again.
type writtenBlobs struct {
	mu    sync.Mutex
	files map[string]writtenBlob
}

type writtenBlob struct {
	stamp  fileStamp
	sha256 string
}

func (c *Context) written() *writtenBlobs {
	var shared *Shared
	if c != nil {
		shared = c.Shared
	}
	return shared.Value("components.blobsWritten", func() any {
		return &writtenBlobs{files: map[string]writtenBlob{}}
	}).(*writtenBlobs)
}

// rememberBlob records that path (described by info) was just written
// with b's content.
func (c *Context) rememberBlob(path string, info os.FileInfo, b Blob) {
	stamp, ok := stampOf(info)
	if !ok {
		return
	}
	w := c.written()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.files[path] = writtenBlob{stamp: stamp, sha256: b.SHA256}
}

// wroteBlob reports whether this deploy wrote path with b's content and
// the file (described by info) has not changed since.
func (c *Context) wroteBlob(path string, info os.FileInfo, b Blob) bool {
	stamp, ok := stampOf(info)
	if !ok {
		return false
	}
	w := c.written()
	w.mu.Lock()
	defer w.mu.Unlock()
	got, ok := w.files[path]
	return ok && got.stamp == stamp && got.sha256 == b.SHA256
}
