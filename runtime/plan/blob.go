package plan

import (
	"fmt"
	"regexp"
	"sync"
)

// Blob is file content that travels by digest: the plan carries its
// SHA-256 and size, and the agent asks the controller for the bytes only
// when the host does not already have them (see the blob request and
// event). Its JSON form is {"$blob": {"sha256": "<hex>", "size": N}}.
type Blob struct {
	// SHA256 is the lower-case hex SHA-256 of the content.
	SHA256 string
	// Size is the length of the content in bytes.
	Size int64
	// Source says where the controller finds the bytes. It exists only on
	// the controller: it is not part of the plan's JSON.
	Source BlobSource
}

// BlobSource is where the controller reads a blob's bytes: a file (read
// when the agent asks), or the bytes themselves (rendered content).
type BlobSource struct {
	Path string
	Data string
	// Name is the file as the user knows it (project-relative), for
	// messages.
	Name string
}

// blobDigest matches the hex SHA-256 of a blob.
var blobDigest = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })

// ValidDigest reports whether s is a lower-case hex SHA-256.
func ValidDigest(s string) bool { return blobDigest().MatchString(s) }

// decodeBlob turns the body of a $blob tag into a Blob.
func decodeBlob(body any) (Value, error) {
	a, _ := body.(Attrs)
	sum, _ := a["sha256"].(string)
	size, ok := a["size"].(int64)
	if !ValidDigest(sum) || !ok || size < 0 {
		return nil, fmt.Errorf("$blob needs a hex sha256 and a size")
	}
	return Blob{SHA256: sum, Size: size}, nil
}

// BlobSources returns where the controller finds the bytes of every blob
// in p's roots, by digest. A plan decoded on a host has none.
func (p *Plan) BlobSources() map[string]BlobSource {
	out := map[string]BlobSource{}
	if p.Wire != nil {
		for k, v := range p.Wire.Blobs {
			out[k] = v
		}
		return out
	}
	for _, r := range p.Roots {
		if r.Node != nil {
			r.Node.Walk(func(n *Node) {
				for _, v := range n.Attrs {
					collectBlobs(v, out)
				}
			})
		}
	}
	return out
}

func collectBlobs(v Value, out map[string]BlobSource) {
	switch v := v.(type) {
	case Blob:
		if v.Source != (BlobSource{}) {
			out[v.SHA256] = v.Source
		}
	case []Value:
		for _, x := range v {
			collectBlobs(x, out)
		}
	case Tuple:
		for _, x := range v {
			collectBlobs(x, out)
		}
	case *Dict:
		for _, x := range v.Values {
			collectBlobs(x, out)
		}
	case *Struct:
		for _, x := range v.Fields {
			collectBlobs(x, out)
		}
	}
}
