package starlib

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/batou-go/batou/components"
)

// Inputs records what configure and compile read outside the project's
// Starlark sources: project files, symlinks, directory trees. Each record
// is an Observation that can be made again later; when every one comes
// out the same, and the sources and the environment are the same,
// configure would compute the same model (it can see the world only
// through these reads), so its plans can be used again. Something
// configure learnt in a way that cannot be made again (a DNS answer)
// makes the run not reusable: Reusable then says why.
//
// A nil *Inputs records nothing.
type Inputs struct {
	mu   sync.Mutex
	seen map[Observation]bool
	list []Observation
	not  string
}

// Observation is one read of configure or compile: its kind, the path
// and a digest of what was found.
type Observation struct {
	Kind   string `json:"kind"`
	Path   string `json:"path"`
	Digest string `json:"digest"`
}

// Kinds of Observation.
const (
	ObserveFile    = "file"    // the content of a file (or its absence)
	ObserveResolve = "resolve" // a path with its symlinks resolved
	ObserveLarge   = "large"   // a file that may be sent as a blob: its size and digest
	ObserveTree    = "tree"    // a directory tree: names, types, modes, links, contents
)

// add records o once.
func (in *Inputs) add(o Observation) {
	if in == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.seen == nil {
		in.seen = map[Observation]bool{}
	}
	if !in.seen[o] {
		in.seen[o] = true
		in.list = append(in.list, o)
	}
}

// NotReusable marks the run as not reusable, for reason (the first one
// given is kept).
func (in *Inputs) NotReusable(reason string) {
	if in == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.not == "" {
		in.not = reason
	}
}

// Reusable returns "" when everything recorded can be observed again, or
// why not.
func (in *Inputs) Reusable() string {
	if in == nil {
		return "nothing was recorded"
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.not
}

// List returns the observations in the order they were first made.
func (in *Inputs) List() []Observation {
	if in == nil {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Observation(nil), in.list...)
}

// File records that path held data (or could not be read: err).
func (in *Inputs) File(path string, data []byte, err error) {
	if in != nil {
		in.add(Observation{ObserveFile, path, contentDigest(data, err)})
	}
}

// Resolve records that path resolved to real.
func (in *Inputs) Resolve(path, real string) {
	if in != nil {
		in.add(Observation{ObserveResolve, path, real})
	}
}

// Large records what largeFile found at path.
func (in *Inputs) Large(path string, b *components.Blob, err error) {
	if in != nil {
		in.add(Observation{ObserveLarge, path, blobDigest(b, err)})
	}
}

// Tree records what readTree found below dir.
func (in *Inputs) Tree(dir string, entries []components.TreeEntry, err error) {
	if in != nil {
		in.add(Observation{ObserveTree, dir, entriesDigest(entries, err)})
	}
}

// Observe records an observation of kind made at path now (for a read
// whose result the caller does not keep whole).
func (in *Inputs) Observe(kind, path string) {
	if in != nil {
		in.add(Observation{kind, path, observe(kind, path)})
	}
}

// Holds reports whether o comes out the same when made now.
func (o Observation) Holds() bool {
	return observe(o.Kind, o.Path) == o.Digest
}

func observe(kind, path string) string {
	switch kind {
	case ObserveFile:
		data, err := os.ReadFile(path)
		return contentDigest(data, err)
	case ObserveResolve:
		return resolvePath(path)
	case ObserveLarge:
		return largeDigest(path)
	case ObserveTree:
		return treeDigest(path)
	}
	return "unknown kind " + kind
}

// resolvePath is path with its symlinks resolved, or path itself when
// that fails (as Session.resolve does).
func resolvePath(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	return path
}

func contentDigest(data []byte, err error) string {
	if err != nil {
		return "error: " + errorKind(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// errorKind names an error by its operation and cause, without the path.
func errorKind(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// largeDigest is what largeFile finds at path: a file over
// components.InlineMax with its size and digest, or a smaller one.
func largeDigest(path string) string {
	b, err := (&Session{}).largeFile(path, "")
	return blobDigest(b, err)
}

func blobDigest(b *components.Blob, err error) string {
	switch {
	case err != nil:
		return "error: " + errorKind(err)
	case b == nil:
		return "inline"
	}
	return fmt.Sprintf("%d %s", b.Size, b.SHA256)
}

// treeDigest covers everything readTree takes from the tree below dir:
// every entry's relative path, type and permissions, a link's target, a
// file's content digest.
func treeDigest(dir string) string {
	entries, err := (&Session{}).readTree(dir, "")
	return entriesDigest(entries, err)
}

func entriesDigest(entries []components.TreeEntry, err error) string {
	if err != nil {
		return "error: " + errorKind(err)
	}
	h := sha256.New()
	for _, e := range entries {
		fmt.Fprintf(h, "%q %t %o %q ", e.Path, e.Dir, e.Mode, e.Link)
		if e.Blob != nil {
			fmt.Fprintf(h, "blob %d %s\n", e.Blob.Size, e.Blob.SHA256)
		} else {
			fmt.Fprintf(h, "data %s\n", contentDigest(e.Data, nil))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
