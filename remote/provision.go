package remote

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// AgentBinary returns the path of an agent binary for a platform (GOOS,
// GOARCH), or an error that says which file to provide.
type AgentBinary func(goos, goarch string) (string, error)

// agentFile is an agent binary and what names it.
type agentFile struct {
	path string
	// id names the agent in a host's cache: the hash of its Go build ID,
	// whose last part is a hash of the binary's content (reading it takes
	// microseconds; hashing a 22 MB binary takes ~35 ms of CPU), or the
	// sha256 of a binary without one.
	id   string
	size int64
	// dynamic is set for an ELF binary that needs a dynamic loader (batou
	// built with cgo): it runs only where a compatible C library is.
	dynamic bool
}

// agentCache identifies each agent binary once per deploy.
type agentCache struct {
	mu    sync.Mutex
	files map[string]*hashing
}

// hashing is a hash being computed (or done).
type hashing struct {
	done chan struct{}
	file *agentFile
	err  error
}

// prefetch starts hashing path in the background, so the hash is ready
// when the first host asks for it.
func (c *agentCache) prefetch(path string) { c.start(path) }

func (c *agentCache) start(path string) *hashing {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.files[path]; h != nil {
		return h
	}
	if c.files == nil {
		c.files = map[string]*hashing{}
	}
	h := &hashing{done: make(chan struct{})}
	c.files[path] = h
	go func() {
		h.file, h.err = hashFile(path)
		close(h.done)
	}()
	return h
}

func (c *agentCache) get(path string) (*agentFile, error) {
	h := c.start(path)
	<-h.done
	return h.file, h.err
}

func hashFile(path string) (*agentFile, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("agent binary: %w", err)
	}
	f := &agentFile{path: path, size: info.Size()}
	ef, err := elf.Open(path)
	if err == nil {
		defer ef.Close()
		f.dynamic = needsLoader(ef)
		if id := buildIDName(ef); id != "" {
			f.id = id
			return f, nil
		}
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("agent binary: %w", err)
	}
	defer file.Close()
	h := sha256.New()
	if _, err := io.Copy(h, file); err != nil {
		return nil, fmt.Errorf("agent binary: %w", err)
	}
	f.id = hex.EncodeToString(h.Sum(nil))
	return f, nil
}

// buildIDName is the name an ELF binary gets from its Go build ID ("":
// it has none).
func buildIDName(ef *elf.File) string {
	id := goBuildID(ef)
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("go build ID " + id))
	return hex.EncodeToString(sum[:])
}

// nameOf is the name the agent binary data gets (what hashFile gives
// the file).
func nameOf(data []byte) string {
	if ef, err := elf.NewFile(bytes.NewReader(data)); err == nil {
		if id := buildIDName(ef); id != "" {
			return id
		}
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// goBuildID returns the Go build ID of an ELF binary ("" without one): a
// note named "Go" of type 4 in the section .note.go.buildid.
func goBuildID(f *elf.File) string {
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return ""
	}
	data, err := sec.Data()
	if err != nil || len(data) < 16 {
		return ""
	}
	order := f.ByteOrder
	nameSize, descSize, kind := order.Uint32(data), order.Uint32(data[4:]), order.Uint32(data[8:])
	if nameSize != 4 || kind != 4 || string(data[12:16]) != "Go\x00\x00" || uint64(len(data)) < 16+uint64(descSize) {
		return ""
	}
	id := string(data[16 : 16+descSize])
	// An executable's ID ends with the hash of its content; without
	// one, it names nothing.
	if strings.Count(id, "/") < 1 || strings.HasSuffix(id, "/") {
		return ""
	}
	return id
}

// needsLoader reports whether f is an ELF executable with a program
// interpreter, i.e. dynamically linked.
func needsLoader(f *elf.File) bool {
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}

// probe is what one round trip tells about a host.
type probe struct {
	user   string
	goos   string
	goarch string
	dir    string          // the agent cache directory
	cached map[string]bool // file names in dir
}

// probeScript prints the login user, the kernel and machine, the agent
// cache directory and its entries.
const probeScript = `echo "$(id -un)"; uname -sm; d="${XDG_CACHE_HOME:-$HOME/.cache}/batou"; echo "$d"; ls "$d" 2>/dev/null || true`

func parseProbe(out string) (*probe, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("unexpected answer from the host: %q", out)
	}
	p := &probe{user: lines[0], dir: lines[2], cached: map[string]bool{}}
	f := strings.Fields(lines[1])
	if len(f) != 2 {
		return nil, fmt.Errorf("unexpected uname output %q", lines[1])
	}
	p.goos, p.goarch = strings.ToLower(f[0]), machineArch(f[1])
	for _, name := range lines[3:] {
		p.cached[name] = true
	}
	return p, nil
}

// machineArch maps uname -m to GOARCH.
func machineArch(m string) string {
	switch m {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	case "i386", "i686":
		return "386"
	}
	return m
}

// agentName is the file name of an agent in the host's cache.
func agentName(f *agentFile) string { return "batou-agent-" + f.id[:32] }

// uploadScript stores the agent from stdin in the cache, checking its size
// and, where the host has sha256sum, its sha256 (sum) before it is renamed
// into place (its name is what later deploys trust).
func uploadScript(dir string, f *agentFile, sum string) string {
	d, target := shellQuote(dir), shellQuote(dir+"/"+agentName(f))
	return fmt.Sprintf(`umask 022; mkdir -p %s && t=%s.$$ && cat > "$t" && [ "$(wc -c < "$t")" -eq %d ] && `+
		`{ ! command -v sha256sum >/dev/null 2>&1 || [ "$(sha256sum < "$t" | cut -c1-64)" = %s ]; } && `+
		`chmod 755 "$t" && mv -f "$t" %s || { rm -f "$t"; echo "storing the agent in %s failed (size or sha256 differ, or no space)" >&2; exit 1; }`,
		d, target, f.size, sum, target, dir)
}
