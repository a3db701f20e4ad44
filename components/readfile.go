package components

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"syscall"
)

// readResult is what reading one file found: its bytes, or the type of
// what stands there, or the error.
type readResult struct {
	data []byte
	mode fs.FileMode // type bits only (0 for a regular file)
	err  error
	// skip is set when the file was not read: it is not a regular file,
	// or larger than the limit.
	skip bool
}

// readRegular reads the regular file at path (following symlinks) with
// four system calls: open, fstat, read, close. A file larger than limit,
// or anything but a regular file, is not read (skip). This is the verify
// path of every Content, so it avoids what os.ReadFile adds per file
// (registering the descriptor with the poller, a second read for the end
// of the file).
//
// The read stops when it has as many bytes as fstat reported and the
// buffer, one byte larger, was not filled: the file ends there. A file
// that grows while it is read is read on to its end.
func readRegular(path string, limit int64) readResult {
	// O_NONBLOCK: opening a FIFO must not wait for a writer. It does not
	// change reads of regular files.
	fd, err := openMode(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		if mode, ok := notRegularAt(path, err); ok {
			return readResult{mode: mode, skip: true}
		}
		return readResult{err: &fs.PathError{Op: "open", Path: path, Err: err}}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return readResult{err: &fs.PathError{Op: "stat", Path: path, Err: err}}
	}
	mode := typeMode(uint32(st.Mode))
	if !mode.IsRegular() || st.Size > limit {
		return readResult{mode: mode, skip: true}
	}
	data, err := readFD(fd, int(st.Size))
	if err != nil {
		return readResult{err: &fs.PathError{Op: "read", Path: path, Err: err}}
	}
	return readResult{data: data}
}

// notRegularAt reports the type of what stands at path when opening it
// failed with err because it cannot be opened at all: a Unix socket (or a
// device without a driver) fails with ENXIO.
func notRegularAt(path string, err error) (fs.FileMode, bool) {
	if !errors.Is(err, syscall.ENXIO) {
		return 0, false
	}
	info, serr := os.Stat(path)
	if serr != nil || info.Mode().IsRegular() {
		return 0, false
	}
	return info.Mode().Type(), true
}

// readFD reads fd to its end; size is the size fstat reported.
func readFD(fd, size int) ([]byte, error) {
	buf := make([]byte, size+1)
	n := 0
	for {
		m, err := syscall.Read(fd, buf[n:])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		n += m
		switch {
		case m == 0:
			return buf[:n], nil
		case n == size && n < len(buf):
			return buf[:n], nil
		case n == len(buf): // the file grew
			buf = append(buf, make([]byte, len(buf))...)
		}
	}
}

// typeMode turns the file type bits of a stat mode into an fs.FileMode.
func typeMode(m uint32) fs.FileMode {
	switch m & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 0
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFLNK:
		return fs.ModeSymlink
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}

// readFile reads a file for a verify: from the prefetch when it holds it,
// else itself, whatever the size.
func (c *Context) readFile(path string) ([]byte, error) {
	if c != nil {
		if data, err, ok := c.Files.take(path); ok {
			return data, err
		}
	}
	r := readRegular(path, math.MaxInt64-1)
	switch {
	case !r.skip:
		return r.data, r.err
	case r.mode.IsDir(): // fails as the standard library says
		return os.ReadFile(path)
	}
	return nil, &notRegularError{path: path, mode: r.mode}
}

// notRegularError is readFile's answer for a named pipe, a socket or a
// device: it is not read, as reading it may wait for ever (a named pipe
// nobody writes to: a -P, or a Content used without Presence, hung there)
// or never end (/dev/zero). It holds no content a File wants.
type notRegularError struct {
	path string
	mode fs.FileMode
}

func (e *notRegularError) Error() string {
	return e.path + " is " + describeMode(e.mode) + ", not a regular file"
}

// statFile returns the type bits of what stands at path, following
// symlinks; from the prefetch when it has opened the file.
func (c *Context) statFile(path string) (fs.FileMode, error) {
	if c != nil {
		if mode, err, ok := c.Files.stat(path); ok {
			return mode, err
		}
	}
	var st syscall.Stat_t
	for {
		err := syscall.Stat(path, &st)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return 0, &fs.PathError{Op: "stat", Path: path, Err: err}
		}
		return typeMode(uint32(st.Mode)), nil
	}
}

// openMode opens path with flags and, when it creates the file, mode.
func openMode(path string, flags int, mode uint32) (int, error) {
	for {
		fd, err := syscall.Open(path, flags, mode)
		if !errors.Is(err, syscall.EINTR) {
			return fd, err
		}
	}
}

// writeAll writes data to fd.
func writeAll(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func fchown(fd, uid, gid int) error {
	for {
		err := syscall.Fchown(fd, uid, gid)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

func fchmod(fd int, mode fs.FileMode) error {
	for {
		err := syscall.Fchmod(fd, uint32(unixMode(mode)))
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
