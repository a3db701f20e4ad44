package agent

import (
	"os"
	"path/filepath"
	"syscall"
)

// flush makes the changes below the given paths durable: it calls syncfs
// once for every file system they lie on (instead of an fsync per file,
// which would cost a flush for every file written).
func flush(paths []string) error {
	seen := map[uint64]bool{}
	var first error
	for _, p := range paths {
		dir := existingDir(p)
		var st syscall.Stat_t
		if syscall.Stat(dir, &st) != nil || seen[uint64(st.Dev)] {
			continue
		}
		seen[uint64(st.Dev)] = true
		if err := syncfs(dir); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// existingDir returns p if it is a directory, else its nearest existing
// parent.
func existingDir(p string) string {
	for {
		if info, err := os.Stat(p); err == nil && info.IsDir() {
			return p
		}
		parent := filepath.Dir(p)
		if parent == p {
			return p
		}
		p = parent
	}
}
