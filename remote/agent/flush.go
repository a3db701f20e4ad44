package agent

import (
	"os"
	"path/filepath"
	"syscall"
)

// flush makes the changes below the given paths durable: it calls syncfs
// once for every file system they lie on (instead of an fsync per file,
// which would cost a flush for every file written). A path is looked at
// once, with one stat where it exists.
func flush(paths []string) error {
	seenDev := map[uint64]bool{}
	seenPath := make(map[string]bool, len(paths))
	var first error
	for _, p := range paths {
		if seenPath[p] {
			continue
		}
		seenPath[p] = true
		var st syscall.Stat_t
		at := p // any file of the file system will do for syncfs
		if syscall.Stat(p, &st) != nil {
			at = existingDir(p)
			if syscall.Stat(at, &st) != nil {
				continue
			}
		}
		if seenDev[uint64(st.Dev)] {
			continue
		}
		seenDev[uint64(st.Dev)] = true
		if err := syncfs(at); err != nil && first == nil {
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
