package components

import (
	"archive/tar"
	"archive/zip"
	"compress/bzip2"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// archEntry is one entry of an archive, checked and with strip applied.
type archEntry struct {
	name  string // slash separated, relative to the target
	typ   byte   // 'f', 'd', 'l' (symlink), 'h' (hard link)
	mode  int64  // permission bits
	mtime time.Time
	link  string // symlink target as written; hard link: the linked entry's name
}

// archiveSource reads one archive, twice: once to check every entry
// (plan) and once to write them (extract).
type archiveSource struct {
	path   string
	format string
	strip  int
}

// member is what the readers of both formats hand to a visitor: the
// entry's header fields and, for files, its content.
type member struct {
	name    string
	typ     byte // 0: skipped (devices, fifos, pax headers)
	mode    fs.FileMode
	mtime   time.Time
	link    string
	content io.Reader
}

// plan reads the archive, returns its sha256 and its entries, and fails
// on the first entry that would land outside the target.
func (s archiveSource) plan() (string, []archEntry, error) {
	var entries []archEntry
	seen := map[string]byte{}
	sum, err := s.each(func(m member) error {
		e, ok, err := s.check(m, seen)
		if err != nil {
			return fmt.Errorf("archive %s: entry %q: %w; nothing was extracted", s.path, m.name, err)
		}
		if ok {
			entries = append(entries, e)
		}
		return nil
	})
	return sum, entries, err
}

// check applies strip to a member and refuses names and links that
// escape the target. ok is false for members that are skipped.
func (s archiveSource) check(m member, seen map[string]byte) (archEntry, bool, error) {
	if m.typ == 0 {
		return archEntry{}, false, nil
	}
	name, ok, err := s.relName(m.name)
	if err != nil || !ok {
		return archEntry{}, false, err
	}
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if seen[dir] == 'l' {
			return archEntry{}, false, fmt.Errorf("it lies below the symlink %s", dir)
		}
	}
	e := archEntry{name: name, typ: m.typ, mode: int64(m.mode.Perm()), mtime: m.mtime, link: m.link}
	switch m.typ {
	case 'l':
		if path.IsAbs(m.link) {
			return archEntry{}, false, fmt.Errorf("the symlink points to the absolute path %s", m.link)
		}
		if escapes(path.Join(path.Dir(name), m.link)) {
			return archEntry{}, false, fmt.Errorf("the symlink points outside the target (%s)", m.link)
		}
	case 'h':
		linked, ok, err := s.relName(m.link)
		if err != nil || !ok || seen[linked] != 'f' {
			return archEntry{}, false, fmt.Errorf("the hard link points to %s, which is not a file extracted before it", m.link)
		}
		e.link = linked
	}
	seen[name] = m.typ
	return e, true, nil
}

// relName cleans an entry name and applies strip; ok is false when strip
// removes it entirely.
func (s archiveSource) relName(name string) (string, bool, error) {
	if strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || (len(name) > 1 && name[1] == ':') {
		return "", false, errors.New("absolute paths are refused")
	}
	var parts []string
	for _, p := range strings.Split(name, "/") {
		switch p {
		case "", ".":
		case "..":
			return "", false, errors.New(".. in a path is refused")
		default:
			parts = append(parts, p)
		}
	}
	if len(parts) <= s.strip {
		return "", false, nil
	}
	return strings.Join(parts[s.strip:], "/"), true, nil
}

// escapes reports whether a cleaned relative path leaves its root.
func escapes(p string) bool {
	p = path.Clean(p)
	return p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p)
}

// each calls visit for every member and returns the archive's sha256.
func (s archiveSource) each(visit func(member) error) (string, error) {
	if s.format == "zip" {
		return s.eachZip(visit)
	}
	f, err := os.Open(s.path)
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", s.path, err)
	}
	defer f.Close()
	h := sha256.New()
	raw := io.TeeReader(f, h)
	r, wait, err := s.decompress(raw)
	if err != nil {
		return "", err
	}
	err = eachTar(r, visit)
	if err == nil {
		_, err = io.Copy(io.Discard, r) // the rest of the stream, for the hash
	}
	if werr := wait(); err == nil && werr != nil {
		err = werr
	}
	if err == nil {
		_, err = io.Copy(io.Discard, raw)
	}
	if err != nil {
		return "", s.wrap(err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (s archiveSource) wrap(err error) error {
	if strings.Contains(err.Error(), "archive "+s.path) {
		return err
	}
	return fmt.Errorf("archive %s: %w", s.path, err)
}

// decompress returns the tar stream of the compressed stream r and a
// function to call when done with it.
func (s archiveSource) decompress(r io.Reader) (io.Reader, func() error, error) {
	done := func() error { return nil }
	switch s.format {
	case "tar":
		return r, done, nil
	case "tar.gz":
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("archive %s: %w", s.path, err)
		}
		return z, z.Close, nil
	case "tar.bz2":
		return bzip2.NewReader(r), done, nil
	case "tar.xz":
		return unxz(r, s.path)
	}
	return nil, nil, fmt.Errorf("format %q is not supported", s.format)
}

// unxz decompresses through the xz program (Go's standard library has no
// xz decoder).
func unxz(r io.Reader, name string) (io.Reader, func() error, error) {
	cmd := exec.Command("xz", "--decompress", "--stdout")
	cmd.Stdin = r
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if errors.Is(err, exec.ErrNotFound) {
		return nil, nil, fmt.Errorf("archive %s: tar.xz needs the xz program on the host (hint: install xz-utils)", name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("archive %s: starting xz: %w", name, err)
	}
	wait := func() error {
		_, _ = io.Copy(io.Discard, out)
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("xz: %w: %s", err, strings.TrimSpace(stderr.String()))
		}
		return nil
	}
	return out, wait, nil
}

func eachTar(r io.Reader, visit func(member) error) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		m := member{name: h.Name, mode: fs.FileMode(h.Mode).Perm(), mtime: h.ModTime, link: h.Linkname}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			m.typ, m.content = 'f', tr
		case tar.TypeDir:
			m.typ = 'd'
		case tar.TypeSymlink:
			m.typ = 'l'
		case tar.TypeLink:
			m.typ = 'h'
		}
		if err := visit(m); err != nil {
			return err
		}
	}
}

func (s archiveSource) eachZip(visit func(member) error) (string, error) {
	sum, err := hashFile(s.path, "sha256")
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", s.path, err)
	}
	zr, err := zip.OpenReader(s.path)
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", s.path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if err := visitZip(f, visit); err != nil {
			return "", s.wrap(err)
		}
	}
	return sum, nil
}

func visitZip(f *zip.File, visit func(member) error) error {
	mode := f.Mode()
	m := member{name: f.Name, mode: mode.Perm(), mtime: f.Modified}
	if mode.Perm() == 0 && !mode.IsDir() {
		m.mode = 0o644 // zip tools without Unix attributes
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	switch {
	case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
		m.typ = 'd'
		if mode.Perm() == 0 {
			m.mode = 0o755
		}
	case mode&fs.ModeSymlink != 0:
		target, err := io.ReadAll(io.LimitReader(rc, 4096))
		if err != nil {
			return err
		}
		m.typ, m.link = 'l', string(target)
	case mode.IsRegular():
		m.typ, m.content = 'f', rc
	}
	return visit(m)
}

// extract writes the planned entries into target and returns what the
// marker records about them.
func (s archiveSource) extract(w Atomic, target string, plan []archEntry) ([]markerEntry, error) {
	x := &extractor{atomic: w, target: target, out: make([]markerEntry, 0, len(plan))}
	i := 0
	_, err := s.each(func(m member) error {
		if m.typ == 0 || i >= len(plan) {
			return nil
		}
		name, ok, _ := s.relName(m.name)
		if !ok || name != plan[i].name {
			return nil
		}
		i++
		return x.write(plan[i-1], m.content)
	})
	if err == nil {
		err = x.finishDirs()
	}
	return x.out, err
}

// extractor writes entries below target, never through a symlink.
type extractor struct {
	atomic Atomic
	target string
	out    []markerEntry
	dirs   []archEntry
}

func (x *extractor) write(e archEntry, content io.Reader) error {
	full := filepath.Join(x.target, filepath.FromSlash(e.name))
	if err := x.mkdirs(path.Dir(e.name)); err != nil {
		return err
	}
	var err error
	switch e.typ {
	case 'd':
		err = x.mkdir(full)
		x.dirs = append(x.dirs, e)
	case 'l':
		err = x.atomic.replaceSymlink(full, e.link)
	case 'h':
		err = x.hardlink(full, filepath.Join(x.target, filepath.FromSlash(e.link)))
	default:
		err = x.file(full, e, content)
	}
	if err != nil {
		return err
	}
	x.out = append(x.out, x.record(full, e))
	return nil
}

// record is the marker entry of an entry just written.
func (x *extractor) record(full string, e archEntry) markerEntry {
	me := markerEntry{Path: e.name, Type: e.typ, Link: e.link}
	if e.typ == 'h' {
		me.Type, me.Link = 'f', ""
	}
	if me.Type == 'f' {
		if info, err := os.Lstat(full); err == nil {
			me.Size, me.Mode, me.MTime = info.Size(), unixMode(info.Mode()), info.ModTime().Unix()
		}
	}
	return me
}

// mkdirs makes the directories of rel below the target, refusing to pass
// through a symlink that someone placed there.
func (x *extractor) mkdirs(rel string) error {
	if rel == "." || rel == "" {
		return nil
	}
	cur := x.target
	for _, p := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, p)
		if err := x.mkdir(cur); err != nil {
			return err
		}
	}
	return nil
}

func (x *extractor) mkdir(full string) error {
	info, err := os.Lstat(full)
	switch {
	case err == nil && info.IsDir():
		return nil
	case err == nil && info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("extracting into %s: %s is a symlink; refusing to write through it", x.target, full)
	case err == nil:
		if err := removeAny(full); err != nil {
			return err
		}
	}
	if err := os.Mkdir(full, 0o755); err != nil {
		return fmt.Errorf("creating directory %s: %w", full, err)
	}
	return nil
}

func (x *extractor) file(full string, e archEntry, content io.Reader) error {
	if info, err := os.Lstat(full); err == nil && !info.Mode().IsRegular() {
		if err := removeAny(full); err != nil {
			return err
		}
	}
	if err := writeStream(x.atomic, full, content, fileMode(e.mode)); err != nil {
		return fmt.Errorf("writing %s: %w", full, err)
	}
	return setTimes(full, e.mtime)
}

func (x *extractor) hardlink(full, existing string) error {
	if err := removeAny(full); err != nil {
		return err
	}
	if err := os.Link(existing, full); err != nil {
		return fmt.Errorf("creating hard link %s: %w", full, err)
	}
	return nil
}

// finishDirs sets the modes and times of directories, deepest first.
func (x *extractor) finishDirs() error {
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		full := filepath.Join(x.target, filepath.FromSlash(d.name))
		if err := os.Chmod(full, fileMode(d.mode)); err != nil {
			return fmt.Errorf("setting mode of %s: %w", full, err)
		}
		if err := setTimes(full, d.mtime); err != nil {
			return err
		}
	}
	return nil
}

// writeStream writes r to p atomically (temporary file, then rename)
// with exactly perm, without holding the content in memory.
func writeStream(w Atomic, p string, r io.Reader, perm fs.FileMode) error {
	tmp := tmpName(p)
	if err := w.note(tmp); err != nil {
		return err
	}
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing leftover temporary file: %w", err)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating temporary file: %w", err)
	}
	if r != nil {
		_, err = io.Copy(f, r)
	}
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}
