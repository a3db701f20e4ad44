package components

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// modeForms describes the accepted spellings of a mode, for errors.
const modeForms = `an int (0o644), an octal string ("644", "0755", "4755") or an ls-style string ("rwxr-x---", with s/S/t/T for setuid, setgid and sticky)`

func modeKind() *Kind {
	return &Kind{
		Name:    "Mode",
		Namevar: "path",
		Doc: "Mode sets the permission bits (including setuid, setgid and sticky) of a file or " +
			"directory that already exists. A symlink is an error: Linux cannot change the mode of a link.",
		Attrs: []Attr{
			pathAttr("the file or directory; relative paths are relative to the workdir"),
			{Name: "mode", Type: TypeAny, Required: true, Doc: "the mode: " + modeForms},
		},
		Expand: expandMode,
		Verify: verifyMode,
		Update: updateMode,
		Writes: "path",
	}
}

func expandMode(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, _, err := normPath(ctx, a, "path")
	if err != nil {
		return nil, nil, err
	}
	m, err := parseMode(out["mode"])
	if err != nil {
		return nil, nil, err
	}
	out["mode"] = m
	return out, nil, nil
}

// parseMode turns an int, an octal string or an ls-style string into Unix
// mode bits (at most 0o7777).
func parseMode(v any) (int64, error) {
	var m int64
	var ok bool
	switch v := v.(type) {
	case nil:
		return 0, errors.New("mode is required (" + modeForms + ")")
	case int64:
		m, ok = v, true
	case int:
		m, ok = int64(v), true
	case string:
		m, ok = parseModeString(v)
	}
	if !ok || m < 0 || m > 0o7777 {
		return 0, fmt.Errorf("invalid mode %v; use %s", modeRepr(v), modeForms)
	}
	return m, nil
}

func modeRepr(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

func parseModeString(s string) (int64, bool) {
	if len(s) == 9 && strings.Trim(s, "01234567") != "" {
		return parseLsMode(s)
	}
	s = strings.TrimPrefix(s, "0o")
	if s == "" {
		return 0, false
	}
	m, err := strconv.ParseInt(s, 8, 64)
	return m, err == nil
}

// lsSpecial is, for the owner, group and other triplets, the bit that an
// s/S (t/T for other) letter in the execute position sets.
var lsSpecial = [3]int64{0o4000, 0o2000, 0o1000}

// parseLsMode parses "rwxr-x---"; in the x positions s/t mean special bit
// plus execute, S/T the special bit alone.
func parseLsMode(s string) (int64, bool) {
	var m int64
	for i := 0; i < 3; i++ {
		t := s[3*i : 3*i+3]
		shift := uint(3 * (2 - i))
		if (t[0] != 'r' && t[0] != '-') || (t[1] != 'w' && t[1] != '-') {
			return 0, false
		}
		if t[0] == 'r' {
			m |= 4 << shift
		}
		if t[1] == 'w' {
			m |= 2 << shift
		}
		x, ok := lsExec(t[2], i)
		if !ok {
			return 0, false
		}
		m |= int64(x&1)<<shift | int64(x>>1)*lsSpecial[i]
	}
	return m, true
}

// lsExec decodes an execute letter: bit 0 is execute, bit 1 the special bit.
func lsExec(c byte, triplet int) (int, bool) {
	special := byte('s')
	if triplet == 2 {
		special = 't'
	}
	switch c {
	case '-':
		return 0, true
	case 'x':
		return 1, true
	case special:
		return 3, true
	case special - 'a' + 'A':
		return 2, true
	}
	return 0, false
}

// specialBits pairs Go's setuid, setgid and sticky flags with their Unix
// bits.
func specialBits() [3]struct {
	flag fs.FileMode
	unix int64
} {
	return [3]struct {
		flag fs.FileMode
		unix int64
	}{{fs.ModeSetuid, 0o4000}, {fs.ModeSetgid, 0o2000}, {fs.ModeSticky, 0o1000}}
}

// unixMode returns the Unix permission bits of m, with setuid, setgid and
// sticky.
func unixMode(m fs.FileMode) int64 {
	u := int64(m.Perm())
	for _, b := range specialBits() {
		if m&b.flag != 0 {
			u |= b.unix
		}
	}
	return u
}

// fileMode is the inverse of unixMode.
func fileMode(u int64) fs.FileMode {
	m := fs.FileMode(u & 0o777)
	for _, b := range specialBits() {
		if u&b.unix != 0 {
			m |= b.flag
		}
	}
	return m
}

func verifyMode(ctx *Context, a Attrs) (Result, error) {
	p := ctx.hostPath(a.str("path"))
	want, err := parseMode(a["mode"])
	if err != nil {
		return Result{}, err
	}
	info, err := os.Lstat(p)
	switch {
	case err != nil && missing(ctx, err):
		return Result{NeedsUpdate: true, Reason: "path missing"}, nil
	case err != nil:
		return Result{}, fmt.Errorf("checking mode of %s: %w", p, err)
	case info.Mode()&fs.ModeSymlink != 0:
		return Result{}, fmt.Errorf("Mode on a symlink is not supported: %s is a symlink", p)
	}
	if have := unixMode(info.Mode()); have != want {
		return Result{NeedsUpdate: true, Reason: fmt.Sprintf("mode is %04o, want %04o", have, want)}, nil
	}
	return Result{}, nil
}

func updateMode(ctx *Context, a Attrs) error {
	p := ctx.hostPath(a.str("path"))
	m, err := parseMode(a["mode"])
	if err != nil {
		return err
	}
	if err := os.Chmod(p, fileMode(m)); err != nil {
		return fmt.Errorf("setting mode of %s to %04o: %w", p, m, err)
	}
	return nil
}
