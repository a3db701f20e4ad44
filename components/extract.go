package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// archiveFormats maps file name endings to formats, longest first.
var archiveFormats = [][2]string{
	{".tar.gz", "tar.gz"}, {".tgz", "tar.gz"}, {".tar.bz2", "tar.bz2"}, {".tbz2", "tar.bz2"}, {".tbz", "tar.bz2"},
	{".tar.xz", "tar.xz"}, {".txz", "tar.xz"}, {".tar", "tar"}, {".zip", "zip"},
}

// extractMarker is the file in the target that records what was
// extracted there.
const extractMarker = ".batou-extract"

func extractKind() *Kind {
	return &Kind{
		Name:    "Extract",
		Namevar: "archive",
		Doc: "Extract unpacks a tar.gz, tar.bz2, tar.xz, tar or zip archive into target, natively (tar.xz " +
			"drives the xz program). Entries that would land outside the target (.. in the path, " +
			"absolute paths, symlinks or hard links pointing out, paths through a symlink) fail the " +
			"component before anything is written. Files are written atomically with the archive's " +
			"permission bits and times. A marker file (.batou-extract in the target) records the " +
			"archive's sha256 and the entries, so verify only hashes the archive when it changed and " +
			"checks each entry with one stat; files the previous archive had and the new one lacks are " +
			"removed.",
		Attrs: []Attr{
			{Name: "archive", Type: TypeStr, Required: true, Doc: "the archive on the host; relative paths are relative to the workdir"},
			{Name: "target", Type: TypeStr, Doc: "the directory to extract into; default: the archive's path without its ending"},
			{Name: "strip", Type: TypeInt, Default: int64(0), Doc: "leading path components to remove from every entry (entries with fewer are skipped)"},
			{Name: "format", Type: TypeStr, Default: "", Doc: "tar.gz, tar.bz2, tar.xz, tar or zip; default: from the archive's name"},
		},
		Expand: expandExtract,
		Verify: verifyExtract,
		Update: updateExtract,
		Writes: "target",
	}
}

func expandExtract(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, display, err := normPath(ctx, a, "archive")
	if err != nil {
		return nil, nil, err
	}
	format, err := archiveFormat(display, out.str("format"))
	if err != nil {
		return nil, nil, err
	}
	out["format"] = format
	if s, _ := out["strip"].(int64); s < 0 {
		return nil, nil, fmt.Errorf("strip must be 0 or more, not %d", s)
	}
	target := out.str("target")
	if target == "" {
		suffix := archiveSuffix(display)
		if suffix == "" {
			return nil, nil, fmt.Errorf("target= is needed: %s has no archive ending to remove", display)
		}
		target = strings.TrimSuffix(out.str("archive"), suffix)
	}
	out["target"] = ctx.Map(target)
	return out, nil, nil
}

func archiveSuffix(name string) string {
	for _, f := range archiveFormats {
		if strings.HasSuffix(name, f[0]) {
			return f[0]
		}
	}
	return ""
}

func archiveFormat(name, given string) (string, error) {
	if given != "" {
		for _, f := range archiveFormats {
			if f[1] == given {
				return given, nil
			}
		}
		return "", fmt.Errorf("format %q is not supported; use tar.gz, tar.bz2, tar.xz, tar or zip", given)
	}
	for _, f := range archiveFormats {
		if strings.HasSuffix(name, f[0]) {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("cannot tell the format of %s from its name; hint: set format= (tar.gz, tar.bz2, tar.xz, tar or zip)", name)
}

// markerEntry is one extracted entry as the marker records it.
type markerEntry struct {
	Path  string `json:"p"`
	Type  byte   `json:"t"` // 'f' file, 'd' directory, 'l' symlink, 'h' hard link
	Size  int64  `json:"s,omitempty"`
	Mode  int64  `json:"m,omitempty"`
	MTime int64  `json:"mt,omitempty"` // Unix seconds
	Link  string `json:"l,omitempty"`
}

// marker is the content of the marker file.
type marker struct {
	SHA256  string        `json:"sha256"`
	Size    int64         `json:"size"`
	MTime   int64         `json:"mtime_ns"` // of the archive when it was hashed
	Strip   int64         `json:"strip"`
	Entries []markerEntry `json:"entries"`
}

func readMarker(target string) (*marker, error) {
	data, err := os.ReadFile(filepath.Join(target, extractMarker))
	if err != nil {
		return nil, err
	}
	var m marker
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", extractMarker, err)
	}
	return &m, nil
}

func verifyExtract(ctx *Context, a Attrs) (Result, error) {
	archive, target := ctx.hostPath(a.str("archive")), ctx.hostPath(a.str("target"))
	info, err := os.Stat(archive)
	switch {
	case err != nil && missing(ctx, err):
		return Result{NeedsUpdate: true, Reason: "archive missing"}, nil
	case err != nil:
		return Result{}, fmt.Errorf("checking archive %s: %w", archive, err)
	}
	m, err := readMarker(target)
	if err != nil {
		return Result{NeedsUpdate: true, Reason: "not extracted yet"}, nil
	}
	strip, _ := a["strip"].(int64)
	if m.Strip != strip {
		return Result{NeedsUpdate: true, Reason: "strip changed"}, nil
	}
	if m.Size != info.Size() || m.MTime != info.ModTime().UnixNano() {
		sum, err := hashFile(archive, "sha256")
		if err != nil {
			return Result{}, fmt.Errorf("hashing archive %s: %w", archive, err)
		}
		if sum != m.SHA256 {
			return Result{NeedsUpdate: true, Reason: "archive changed"}, nil
		}
	}
	return checkEntries(target, m.Entries)
}

// checkEntries looks at every extracted entry with one lstat (and a
// readlink for symlinks).
func checkEntries(target string, entries []markerEntry) (Result, error) {
	var changed []string
	for _, e := range entries {
		ok, err := entryIntact(filepath.Join(target, filepath.FromSlash(e.Path)), e)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			changed = append(changed, e.Path)
		}
	}
	if len(changed) == 0 {
		return Result{}, nil
	}
	var b strings.Builder
	for _, p := range changed {
		fmt.Fprintf(&b, "~ %s\n", p)
	}
	return Result{NeedsUpdate: true, Reason: plural(len(changed), "entry", "entries") + " changed or missing",
		Diff: capLines(b.String())}, nil
}

func entryIntact(full string, e markerEntry) (bool, error) {
	info, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking %s: %w", full, err)
	}
	m := info.Mode()
	switch e.Type {
	case 'd':
		return m.IsDir(), nil
	case 'l':
		link, err := os.Readlink(full)
		return m&fs.ModeSymlink != 0 && err == nil && link == e.Link, nil
	}
	return m.IsRegular() && info.Size() == e.Size && unixMode(m) == e.Mode && info.ModTime().Unix() == e.MTime, nil
}

func updateExtract(ctx *Context, a Attrs) error {
	archive, target := ctx.hostPath(a.str("archive")), ctx.hostPath(a.str("target"))
	info, err := os.Stat(archive)
	if err != nil {
		return fmt.Errorf("archive %s: %w", archive, err)
	}
	strip, _ := a["strip"].(int64)
	src := archiveSource{path: archive, format: a.str("format"), strip: int(strip)}
	sum, plan, err := src.plan()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("creating target %s: %w", target, err)
	}
	entries, err := src.extract(ctx.Atomic, target, plan)
	if err != nil {
		return err
	}
	if old, err := readMarker(target); err == nil {
		if err := removeStale(target, old.Entries, entries); err != nil {
			return err
		}
	}
	m := marker{SHA256: sum, Size: info.Size(), MTime: info.ModTime().UnixNano(), Strip: strip, Entries: entries}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return ctx.Atomic.WriteFile(filepath.Join(target, extractMarker), data, 0o644)
}

// removeStale removes what the previous archive extracted and the new one
// does not have: files and links, then directories that are left empty.
func removeStale(target string, old, now []markerEntry) error {
	keep := make(map[string]bool, len(now))
	for _, e := range now {
		keep[e.Path] = true
	}
	var dirs []string
	for _, e := range old {
		switch {
		case keep[e.Path]:
		case e.Type == 'd':
			dirs = append(dirs, e.Path)
		default:
			if err := os.Remove(filepath.Join(target, filepath.FromSlash(e.Path))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing %s (no longer in the archive): %w", e.Path, err)
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dirs))) // children first
	for _, d := range dirs {
		_ = os.Remove(filepath.Join(target, filepath.FromSlash(d))) // only when empty
	}
	return nil
}

// setTimes gives an extracted entry the archive's modification time.
func setTimes(full string, mtime time.Time) error {
	if mtime.IsZero() {
		return nil
	}
	return os.Chtimes(full, mtime, mtime)
}
