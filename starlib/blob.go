package starlib

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"os"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
	"go.starlark.net/starlark"
)

// Blob is file content held by digest, as Starlark sees it: the content
// attribute of a File (or Content, JSONContent, YAMLContent) larger than
// components.InlineMax. It shows its digest and size; the bytes stay
// where they are (a file of the project, or the rendered text) until an
// agent asks for them.
type Blob struct{ b components.Blob }

var (
	_ starlark.Value    = (*Blob)(nil)
	_ starlark.HasAttrs = (*Blob)(nil)
)

func newBlob(b components.Blob) *Blob { return &Blob{b: b} }

// String shows the digest and size.
func (v *Blob) String() string {
	return fmt.Sprintf("<blob sha256:%s, %d bytes>", v.b.SHA256, v.b.Size)
}

// Type returns "blob".
func (v *Blob) Type() string { return "blob" }

// Freeze does nothing: a blob is immutable.
func (v *Blob) Freeze() {}

// Truth is True.
func (v *Blob) Truth() starlark.Bool { return true }

// Hash hashes the digest.
func (v *Blob) Hash() (uint32, error) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(v.b.SHA256))
	return h.Sum32(), nil
}

// Attr returns sha256 (hex) or size.
func (v *Blob) Attr(name string) (starlark.Value, error) {
	switch name {
	case "sha256":
		return starlark.String(v.b.SHA256), nil
	case "size":
		return starlark.MakeInt64(v.b.Size), nil
	}
	return nil, nil
}

// AttrNames lists the attributes.
func (v *Blob) AttrNames() []string { return []string{"sha256", "size"} }

// blobToPlan is a blob in the plan: digest and size, and where the
// controller finds the bytes (not encoded).
func blobToPlan(b components.Blob) plan.Blob {
	return plan.Blob{SHA256: b.SHA256, Size: b.Size, Source: plan.BlobSource{Path: b.Path, Data: b.Data, Name: b.Name}}
}

// blobFromPlan is a blob of a plan on the host: digest and size only.
func blobFromPlan(b plan.Blob) components.Blob {
	return components.Blob{SHA256: b.SHA256, Size: b.Size}
}

// LargeAsset implements components.ExpandContext.
func (e expandContext) LargeAsset(p string) (*components.Blob, error) {
	full, err := e.c.root.assetPath(p)
	if err != nil {
		return nil, err
	}
	b, err := e.c.root.session.largeFile(full, e.c.root.rel(full))
	e.c.root.session.Inputs.Large(full, b, err)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", e.c.root.rel(full), unwrapPathError(err))
	}
	return b, nil
}

// Sensitive implements components.ExpandContext.
func (e expandContext) Sensitive(text string) bool {
	return e.c.root.session.Sensitive.Touches(text)
}

// largeFile returns the file full as a Blob when it holds more than
// components.InlineMax bytes, hashing it once per session; nil for a
// smaller file (which it remembers as a Blob without digest). name is its
// project-relative path.
func (s *Session) largeFile(full, name string) (*components.Blob, error) {
	s.mu.Lock()
	b, ok := s.digests[full]
	s.mu.Unlock()
	if ok && b.SHA256 == "" {
		return nil, nil
	}
	if ok {
		return &b, nil
	}
	info, err := os.Stat(full)
	if err != nil {
		return nil, err
	}
	if info.Mode().IsRegular() && info.Size() > components.InlineMax {
		sum, n, err := hashFile(full)
		if err != nil {
			return nil, err
		}
		b = components.Blob{SHA256: sum, Size: n, Path: full, Name: name}
	}
	s.mu.Lock()
	if s.digests == nil {
		s.digests = map[string]components.Blob{}
	}
	s.digests[full] = b
	s.mu.Unlock()
	if b.SHA256 == "" {
		return nil, nil
	}
	return &b, nil
}

// hashFile returns the hex SHA-256 and the length of a file's content,
// read in pieces.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, 256<<10))
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
