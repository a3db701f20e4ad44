package runtime

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
)

// PlanCache keeps what a successful configure and compile produced (each
// host's plan, already encoded as it was sent; the schedule; configure's
// log lines and warnings) for the next deploy of the same project and
// environment, together with everything configure read besides the
// Starlark sources (starlib.Inputs). Configure sees the world only
// through the project's files and the environment, so when the sources,
// the environment file, the batou binary and every recorded read are the
// same, configure would compute the same plans again: the next deploy
// uses the kept ones instead.
//
// Nothing is kept when a secret is in play (no secret value is ever
// written to the cache), when configure asked DNS, or when it or compile
// failed.
type PlanCache struct {
	// Dir holds one file per project and environment.
	Dir string
	// Facts are what the plans depend on besides the project: the batou
	// binary and its version.
	Facts []string
}

// Reused is a configure run kept by a PlanCache.
type Reused struct {
	Plans    []*plan.Plan
	Schedule *plan.Schedule
	Logs     []plan.Event
	Warnings []*Error
}

// cacheMagic starts every cache file; the number changes with the format.
const cacheMagic = "batou plan cache 1"

// cacheMaxAge is how long an entry that is not used again is kept.
const cacheMaxAge = 30 * 24 * time.Hour

type cacheHeader struct {
	Key          string                `json:"key"`
	Stored       time.Time             `json:"stored"`
	Observations []starlib.Observation `json:"observations"`
	Logs         []plan.Event          `json:"logs,omitempty"`
	Warnings     []*Error              `json:"warnings,omitempty"`
	Schedule     *plan.Schedule        `json:"schedule"`
	Hosts        []cachedPlan          `json:"hosts"`
}

// cachedPlan is a plan without its roots, and the length of their wire
// form in the bytes after the header.
type cachedPlan struct {
	Plan  *plan.Plan                 `json:"plan"`
	Wire  int                        `json:"wire"`
	Blobs map[string]plan.BlobSource `json:"blobs,omitempty"`
}

// key sums up what the model depends on besides the recorded reads.
func (c *PlanCache) key(m *Model) string {
	h := sha256.New()
	line := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(strconv.Quote(p)))
			h.Write([]byte{' '})
		}
		h.Write([]byte{'\n'})
	}
	line(cacheMagic)
	line(c.Facts...)
	line("project", m.Project.Dir)
	line("environment", m.Env.Name, m.Env.File, m.Env.Digest)
	line("steps", strconv.FormatUint(m.Project.Session.MaxSteps, 10))
	for _, rel := range slices.Sorted(maps.Keys(m.Project.Sources)) {
		sum := sha256.Sum256([]byte(m.Project.Sources[rel]))
		line("source", rel, hex.EncodeToString(sum[:]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// file is where the entry of m's project and environment is kept.
func (c *PlanCache) file(m *Model) string {
	sum := sha256.Sum256([]byte(m.Project.Dir + "\x00" + m.Env.Name))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:16]))
}

// Usable says why m's configure must run and its result not be kept
// ("" when it may be reused and kept).
func (c *PlanCache) Usable(m *Model) string {
	switch {
	case c == nil || c.Dir == "":
		return "no cache directory"
	case m.secrets || (m.Sensitive != nil && m.Sensitive.Len() > 0):
		// an empty secret is no value to mask, but it is a secret all
		// the same, and the key does not cover the secrets' files
		return "the environment has secrets"
	case len(m.SecretFiles) > 0:
		return "the environment has secret files"
	}
	return ""
}

// Keeps reports whether Store would keep m's run: the cache is usable
// for it and everything configure read can be observed again.
func (c *PlanCache) Keeps(m *Model) bool {
	return c.Usable(m) == "" && m.Project.Session.Inputs.Reusable() == ""
}

// Lookup returns the kept run for m when everything it read is still the
// same; otherwise nil and why not.
func (c *PlanCache) Lookup(m *Model) (*Reused, string) {
	if why := c.Usable(m); why != "" {
		return nil, why
	}
	data, err := readEntry(c.file(m))
	if errors.Is(err, errNotOwn) {
		return nil, err.Error()
	}
	if err != nil {
		return nil, "nothing kept"
	}
	hdr, rest, err := parseCacheFile(data)
	if err != nil {
		return nil, err.Error()
	}
	if hdr.Key != c.key(m) {
		return nil, "the sources, the environment or batou changed"
	}
	for _, o := range hdr.Observations {
		if !o.Holds() {
			return nil, fmt.Sprintf("%s %s changed", o.Kind, o.Path)
		}
	}
	out := &Reused{Schedule: hdr.Schedule, Logs: hdr.Logs, Warnings: hdr.Warnings}
	for _, h := range hdr.Hosts {
		if h.Plan == nil || h.Wire < 0 || h.Wire > len(rest) {
			return nil, "damaged"
		}
		if h.Wire > 0 {
			h.Plan.Wire = &plan.Wire{Parts: [][]byte{rest[:h.Wire:h.Wire]}, Blobs: h.Blobs}
			rest = rest[h.Wire:]
		}
		out.Plans = append(out.Plans, h.Plan)
	}
	if len(rest) != 0 || out.Schedule == nil {
		return nil, "damaged"
	}
	now := time.Now()
	_ = os.Chtimes(c.file(m), now, now) // keeps it from being pruned
	return out, ""
}

// errNotOwn is why an entry another user could have written is not used.
var errNotOwn = errors.New("the entry is not this user's alone")

// readEntry reads the cache file at path when only this user can have
// written it: kept plans run with the deploying user's rights on every
// host, and the cache directory may be shared.
func readEntry(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) != os.Geteuid() || !info.Mode().IsRegular() || info.Mode().Perm()&0o022 != 0 {
		return nil, errNotOwn
	}
	// Read it into one buffer of its size (io.ReadAll would grow one
	// from 512 bytes, copying a kept plan of half a megabyte many times).
	var b bytes.Buffer
	b.Grow(int(info.Size()) + bytes.MinRead)
	if _, err := b.ReadFrom(f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// parseCacheFile checks a cache file's first line (magic, checksum and
// length of the rest) and returns its header and the wire bytes after it.
func parseCacheFile(data []byte) (*cacheHeader, []byte, error) {
	first, rest, ok := bytes.Cut(data, []byte{'\n'})
	f := strings.Fields(string(first))
	if !ok || len(f) != 6 || strings.Join(f[:4], " ") != cacheMagic {
		return nil, nil, errors.New("not a cache file of this batou")
	}
	sum, err1 := strconv.ParseUint(f[4], 16, 32)
	n, err2 := strconv.Atoi(f[5])
	if err1 != nil || err2 != nil || n != len(rest) || uint32(sum) != crc32.Checksum(rest, castagnoli()) {
		return nil, nil, errors.New("damaged")
	}
	line, wire, ok := bytes.Cut(rest, []byte{'\n'})
	var hdr cacheHeader
	if !ok || json.Unmarshal(line, &hdr) != nil {
		return nil, nil, errors.New("damaged")
	}
	return &hdr, wire, nil
}

// castagnoli is made when first needed: making it takes 0.2 ms, at the
// start of every process otherwise.
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// Store keeps m's configure run: plans as they were sent (each plan with
// roots must have a Wire), the configure logs and warnings.
func (c *PlanCache) Store(m *Model, plans []*plan.Plan, wires []*plan.Wire, sched *plan.Schedule, logs []plan.Event, warnings []*Error) error {
	if !c.Keeps(m) {
		return nil
	}
	in := m.Project.Session.Inputs
	hdr := cacheHeader{Key: c.key(m), Stored: time.Now().UTC(), Observations: in.List(), Logs: logs,
		Warnings: warnings, Schedule: sched}
	var wire [][]byte
	for i, p := range plans {
		if len(p.Secrets) > 0 || len(p.SecretFiles) > 0 {
			return nil
		}
		head := *p
		cp := cachedPlan{Plan: &head}
		if len(p.Roots) > 0 {
			if i >= len(wires) || wires[i] == nil || wires[i].Len() == 0 {
				return nil // not sent: nothing to keep
			}
			cp.Wire, cp.Blobs = wires[i].Len(), p.BlobSources()
			wire = append(wire, wires[i].Parts...)
		}
		head.Roots, head.Wire = nil, nil
		hdr.Hosts = append(hdr.Hosts, cp)
	}
	line, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("keeping the plans: %w", err)
	}
	return c.write(m, line, wire)
}

// write writes the cache file of m atomically, then removes entries
// older than cacheMaxAge. The file holds a line of magic, checksum and
// length, then line, a newline and the pieces of wire.
func (c *PlanCache) write(m *Model, line []byte, wire [][]byte) error {
	pieces := append([][]byte{line, {'\n'}}, wire...)
	sum, size := uint32(0), 0
	for _, p := range pieces {
		sum = crc32.Update(sum, castagnoli(), p)
		size += len(p)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("keeping the plans: %w", err)
	}
	f, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("keeping the plans: %w", err)
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "%s %08x %d\n", cacheMagic, sum, size)
	for _, p := range pieces {
		if err == nil {
			_, err = bw.Write(p)
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.file(m))
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("keeping the plans: %w", err)
	}
	c.prune()
	return nil
}

// prune removes entries (and temporary files of interrupted writes) not
// written or used for cacheMaxAge.
func (c *PlanCache) prune() {
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return
	}
	old := time.Now().Add(-cacheMaxAge)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.ModTime().Before(old) {
			_ = os.Remove(filepath.Join(c.Dir, e.Name()))
		}
	}
}

// Remove deletes the entry of m's project and environment, if any.
func (c *PlanCache) Remove(m *Model) {
	if c != nil && c.Dir != "" {
		_ = os.Remove(c.file(m)) // a stale entry fails its checks anyway
	}
}
