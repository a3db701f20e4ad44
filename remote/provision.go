package remote

import (
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

// agentFile is an agent binary and its sha256.
type agentFile struct {
	path string
	sum  string
	size int64
	// dynamic is set for an ELF binary that needs a dynamic loader (batou
	// built with cgo): it runs only where a compatible C library is.
	dynamic bool
}

// agentCache hashes each agent binary once per deploy.
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
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("agent binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("agent binary: %w", err)
	}
	return &agentFile{path: path, sum: hex.EncodeToString(h.Sum(nil)), size: n, dynamic: needsLoader(path)}, nil
}

// needsLoader reports whether path is an ELF executable with a program
// interpreter, i.e. dynamically linked.
func needsLoader(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
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
func agentName(f *agentFile) string { return "batou-agent-" + f.sum[:32] }

// uploadScript stores the agent from stdin in the cache, checking its size
// and, where the host has sha256sum, its sha256 before it is renamed into
// place (its name is what later deploys trust).
func uploadScript(dir string, f *agentFile) string {
	d, target := shellQuote(dir), shellQuote(dir+"/"+agentName(f))
	return fmt.Sprintf(`umask 022; mkdir -p %s && t=%s.$$ && cat > "$t" && [ "$(wc -c < "$t")" -eq %d ] && `+
		`{ ! command -v sha256sum >/dev/null 2>&1 || [ "$(sha256sum < "$t" | cut -c1-64)" = %s ]; } && `+
		`chmod 755 "$t" && mv -f "$t" %s || { rm -f "$t"; echo "storing the agent in %s failed (size or sha256 differ, or no space)" >&2; exit 1; }`,
		d, target, f.size, f.sum, target, dir)
}
