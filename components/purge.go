package components

import (
	"fmt"
	"path/filepath"
	"strings"
)

func purgeKind() *Kind {
	return &Kind{
		Name:    "Purge",
		Namevar: "pattern",
		Doc: "Purge removes every path matching a glob pattern (*, ?, [...]; no **). As in Python's glob, " +
			"* and ? do not match a leading dot. Directories are removed with their contents; symlinks " +
			"are removed themselves and never followed, even when they point to a directory.",
		Attrs: []Attr{
			{Name: "pattern", Type: TypeStr, Required: true, Doc: "the glob pattern; relative patterns are relative to the workdir"},
		},
		Expand: expandPurge,
		Verify: verifyPurge,
		Update: updatePurge,
	}
}

func expandPurge(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	given := a.str("pattern")
	out, _, err := normPath(ctx, a, "pattern")
	if err != nil {
		return nil, nil, err
	}
	if _, err := filepath.Match(out.str("pattern"), ""); err != nil {
		return nil, nil, fmt.Errorf("invalid pattern %q: %w", given, err)
	}
	return out, nil, nil
}

// globVisible is filepath.Glob without matches where a wildcard matched a
// name starting with a dot, as in Python's glob.
func globVisible(pattern string) ([]string, error) {
	pattern = filepath.Clean(pattern)
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid pattern %q: %w", pattern, err)
	}
	parts := strings.Split(pattern, string(filepath.Separator))
	out := matches[:0]
	for _, m := range matches {
		if !hiddenMatch(parts, strings.Split(m, string(filepath.Separator))) {
			out = append(out, m)
		}
	}
	return out, nil
}

// hiddenMatch reports whether a wildcard pattern element matched a dot name.
func hiddenMatch(pattern, match []string) bool {
	if len(pattern) != len(match) {
		return false
	}
	for i, p := range pattern {
		if strings.ContainsAny(p, "*?[") && !strings.HasPrefix(p, ".") && strings.HasPrefix(match[i], ".") {
			return true
		}
	}
	return false
}

func verifyPurge(ctx *Context, a Attrs) (Result, error) {
	matches, err := globVisible(ctx.hostPath(a.str("pattern")))
	if err != nil || len(matches) == 0 {
		return Result{}, err
	}
	var b strings.Builder
	for _, m := range matches {
		fmt.Fprintf(&b, "- %s\n", m)
	}
	return Result{NeedsUpdate: true, Reason: fmt.Sprintf("%d paths to remove", len(matches)), Diff: capLines(b.String())}, nil
}

func updatePurge(ctx *Context, a Attrs) error {
	matches, err := globVisible(ctx.hostPath(a.str("pattern")))
	if err != nil {
		return err
	}
	for _, m := range matches {
		if err := removeAny(m); err != nil {
			return err
		}
	}
	return nil
}
