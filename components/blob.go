package components

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// InlineMax is the largest file content that travels inside the plan.
// Larger content of File, Content, JSONContent, YAMLContent and of the
// files of Directory(source=) travels as a Blob: the plan carries its
// SHA-256 and size, the agent compares the file on the host against them
// and asks the controller for the bytes only when the file differs.
// Sensitive content always stays inline (a digest would let anyone who
// reads the plan test guesses of a short secret inside it).
const InlineMax = 64 << 10

// Blob is file content held by digest instead of bytes. On the deploying
// machine it also says where the bytes are (Path or Data); on the host
// only the digest and size are known, and the bytes come from the
// controller through Context.Blobs.
type Blob struct {
	// SHA256 is the lower-case hex SHA-256 of the content.
	SHA256 string
	// Size is the length of the content in bytes.
	Size int64
	// Path is a file of the project holding the content (controller only).
	Path string
	// Data is the content itself, when it was computed (a rendered
	// template; controller only).
	Data string
	// Name is the project-relative file or the template name, for
	// messages (controller only).
	Name string
}

// BlobFetcher gets the bytes of a blob from the controller.
type BlobFetcher interface {
	// Fetch starts the transfer of b's bytes. The reader yields them
	// (the caller checks size and digest) and then io.EOF, or an error
	// saying why the transfer stopped. Close ends the transfer early.
	Fetch(b Blob) (io.ReadCloser, error)
}

// blobContent makes content larger than InlineMax a Blob that holds it,
// unless the content is sensitive: sensitive_data=True, or a secret (or
// text computed from one) that ctx knows. name is used in messages.
func blobContent(ctx ExpandContext, a Attrs, content any, name string) any {
	var s string
	switch c := content.(type) {
	case string:
		s = c
	case []byte:
		if len(c) <= InlineMax {
			return content
		}
		s = string(c)
	default:
		return content
	}
	if len(s) <= InlineMax || a["sensitive_data"] == true || ctx.Sensitive(s) {
		return content
	}
	sum := sha256.Sum256([]byte(s))
	return Blob{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(s)), Data: s, Name: name}
}

// hashBuffer is the buffer files are hashed and written with, one per
// deploy on a host (components run one at a time; the lock is for safety).
type hashBuffer struct {
	mu  sync.Mutex
	buf []byte
}

// hashBufferSize is the size of the read and write buffer for blobs.
const hashBufferSize = 256 << 10

// buffer returns the deploy's blob buffer, locked; call the returned
// function to release it.
func (c *Context) buffer() ([]byte, func()) {
	var shared *Shared
	if c != nil {
		shared = c.Shared
	}
	hb := shared.Value("components.blobBuffer", func() any { return &hashBuffer{} }).(*hashBuffer)
	hb.mu.Lock()
	if hb.buf == nil {
		hb.buf = make([]byte, hashBufferSize)
	}
	return hb.buf, hb.mu.Unlock
}

// fileHasBlob reports whether the regular file at path holds b's content:
// the size is compared first, then the SHA-256 of the bytes. A file that
// this deploy has just written with b's content (and that nobody changed
// since, by its inode, size and times) is not read again. Anything but a
// regular file is not b.
func (c *Context) fileHasBlob(path string, b Blob) (bool, error) {
	if b.Size <= prefetchMax {
		data, err := c.readFile(path)
		var special *notRegularError
		if errors.As(err, &special) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		sum := sha256.Sum256(data)
		return int64(len(data)) == b.Size && hex.EncodeToString(sum[:]) == b.SHA256, nil
	}
	// O_NONBLOCK: opening a named pipe must not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if _, special := notRegularAt(path, err); special {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return false, err
	}
	if !info.Mode().IsRegular() || info.Size() != b.Size {
		return false, nil
	}
	if c.wroteBlob(path, info, b) {
		return true, nil
	}
	sum, n, err := c.hashReader(f)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	return n == b.Size && sum == b.SHA256, nil
}

// hashReader returns the hex SHA-256 of what r yields and its length.
func (c *Context) hashReader(r io.Reader) (string, int64, error) {
	buf, release := c.buffer()
	defer release()
	h := sha256.New()
	n, err := io.CopyBuffer(h, onlyReader{r}, buf)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// onlyReader hides any WriterTo of the reader, so that io.CopyBuffer uses
// the buffer it is given instead of allocating one.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
