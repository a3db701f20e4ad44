package remote

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/batou-go/batou/runtime/plan"
)

// blobChunk is how many bytes of a blob go in one chunk: small enough
// that an interrupt request is not held up for long, large enough that
// the request lines between chunks cost nothing.
const blobChunk = 256 << 10

// blobServer is what a conn keeps to answer the agent's blob events: the
// blobs of the host's plan and the transfers the agent cancelled.
type blobServer struct {
	once      sync.Once
	sources   map[string]plan.BlobSource
	mu        sync.Mutex
	cancelled map[int]bool
	sent      int64 // bytes of blob content sent
}

// serveBlob starts sending the blob the agent asked for with e (an
// EventBlob). The bytes are read from the project file (or the rendered
// content) in chunks while they are sent, and hashed on the way: a file
// that changed since configure read it is reported instead of sent as
// what the plan names.
func (c *conn) serveBlob(e plan.Event) {
	c.blobs.once.Do(func() {
		c.blobs.sources = map[string]plan.BlobSource{}
		if c.plan != nil {
			c.blobs.sources = c.plan.BlobSources()
		}
	})
	src, ok := c.blobs.sources[e.Digest]
	go func() {
		if !ok {
			_ = c.sendChunk(e.Transfer, nil, false, "this host's plan names no content with sha256 "+e.Digest)
			return
		}
		if msg := c.streamBlob(e.Transfer, e.Digest, e.Bytes, src); msg != "" {
			_ = c.sendChunk(e.Transfer, nil, false, msg)
		}
	}()
}

// cancelBlob stops sending transfer id (the agent no longer reads it).
func (c *conn) cancelBlob(id int) {
	c.blobs.mu.Lock()
	defer c.blobs.mu.Unlock()
	if c.blobs.cancelled == nil {
		c.blobs.cancelled = map[int]bool{}
	}
	c.blobs.cancelled[id] = true
}

func (c *conn) blobCancelled(id int) bool {
	c.blobs.mu.Lock()
	defer c.blobs.mu.Unlock()
	return c.blobs.cancelled[id]
}

// streamBlob sends src in chunks and ends the transfer. It returns what
// went wrong for the agent to report, or "" (also when sending failed: the
// agent is gone then, or cancelled).
func (c *conn) streamBlob(id int, digest string, size int64, src plan.BlobSource) string {
	r, closer, err := openSource(src)
	if err != nil {
		return fmt.Sprintf("reading %s: %v", src.Name, err)
	}
	defer closer()
	h := sha256.New()
	buf := make([]byte, blobChunk)
	var n int64
	for {
		if c.blobCancelled(id) {
			return ""
		}
		k, rerr := io.ReadFull(r, buf[:min(int64(len(buf)), size-n+1)])
		if k > 0 {
			h.Write(buf[:k])
			n += int64(k)
			if n > size {
				break
			}
			if err := c.sendChunk(id, buf[:k], false, ""); err != nil {
				return ""
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return fmt.Sprintf("reading %s: %v", src.Name, rerr)
		}
	}
	if n != size || hex.EncodeToString(h.Sum(nil)) != digest {
		return fmt.Sprintf("%s changed since this deploy read it; hint: deploy again", src.Name)
	}
	_ = c.sendChunk(id, nil, true, "")
	return ""
}

// openSource opens where a blob's bytes are.
func openSource(src plan.BlobSource) (io.Reader, func(), error) {
	if src.Path == "" {
		return strings.NewReader(src.Data), func() {}, nil
	}
	f, err := os.Open(src.Path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// sendChunk writes one blob request and its bytes to the agent.
func (c *conn) sendChunk(id int, data []byte, end bool, msg string) error {
	chunk := &plan.BlobChunk{Transfer: id, Size: len(data), End: end, Error: msg}
	head, err := plan.AppendRequest(nil, plan.Request{Type: "blob", Blob: chunk})
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.stdin.Write(head)
	c.sent += int64(n)
	if err == nil && len(data) > 0 {
		n, err = c.stdin.Write(data)
		c.sent += int64(n)
		c.blobs.sent += int64(n)
	}
	if err != nil {
		return fmt.Errorf("sending to the agent: %w", err)
	}
	return nil
}
