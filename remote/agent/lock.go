package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
)

// LockFile is the name of the per-target lock, in the target directory.
const LockFile = ".batou-lock"

// holder describes who holds a lock: the deploy (user, machine and pid of
// the controller, start time) and the agent process on this host.
type holder struct {
	plan.Holder
	AgentPID int `json:"agent_pid"`
}

func (h holder) String() string {
	agent := ""
	if h.AgentPID > 0 {
		agent = fmt.Sprintf(", agent pid %d here", h.AgentPID)
	}
	return fmt.Sprintf("%s@%s (pid %d%s, since %s)", h.User, h.Host, h.PID, agent, h.Started.Local().Format("2006-01-02 15:04:05"))
}

// hostLock is a held lock: an flock on the lock file, which also records
// the holder. The flock ends with the process, so a lock whose holder died
// (or whose host rebooted) is free again; the holder record left behind
// shows it was not released cleanly.
//
// Below the holder record, the lock file lists (one quoted path a line)
// the directories in which this deploy created temporary files of atomic
// replacements, each once, before the first one there. Release empties the
// file. A deploy that takes over the lock of one that was killed removes
// the temporary files left in those directories (components.RemoveTempFiles),
// also next to files it will not rewrite, and keeps the list until it is
// released itself.
type hostLock struct {
	f    *os.File
	mu   sync.Mutex
	end  int64           // where the next directory line goes
	dirs map[string]bool // directories listed so far
}

// currentHolder describes this deploy; who is the controller's
// description, or nil (the agent then describes itself).
func currentHolder(who *plan.Holder) holder {
	h := holder{AgentPID: os.Getpid()}
	if who != nil {
		h.Holder = *who
	} else {
		h.PID, h.Started = os.Getpid(), time.Now()
		if u, err := user.Current(); err == nil {
			h.User = u.Username
		}
		h.Host, _ = os.Hostname()
	}
	return h
}

// acquireLock takes the lock of target. It fails at once when another
// deploy holds it, naming the holder, unless breakLock is set. A stale
// holder record is taken over with a warning, and the temporary files its
// deploy left behind are removed (with another warning).
func acquireLock(target string, breakLock bool, who *plan.Holder) (*hostLock, []string, error) {
	path := filepath.Join(target, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	var warnings, leftDirs []string
	sweep := false
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		prev, hasPrev := readHolderSoon(f)
		if !breakLock {
			f.Close()
			return nil, nil, lockedError(path, prev, hasPrev)
		}
		warnings = append(warnings, fmt.Sprintf("breaking the lock %s held by %s (--break-lock)", path, describe(prev, hasPrev)))
		// That deploy may still be writing: keep its directories, but
		// leave its temporary files alone.
		_, leftDirs = readLock(f)
	} else if data, dirs := readLock(f); len(data) > 0 {
		prev, ok := parseHolder(data)
		warnings = append(warnings, fmt.Sprintf("taking over a stale lock %s: the deploy of %s ended without releasing it", path, describe(prev, ok)))
		leftDirs, sweep = dirs, true
	}
	l := &hostLock{f: f, dirs: map[string]bool{}}
	if err := l.start(currentHolder(who), leftDirs); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("writing lock %s: %w", path, err)
	}
	if sweep {
		if w := removeLeftovers(leftDirs); w != "" {
			warnings[len(warnings)-1] += "; " + w
		}
	}
	return l, warnings, nil
}

// removeLeftovers removes the temporary files a killed deploy left in
// dirs and says what it did (or "" when there were none).
func removeLeftovers(dirs []string) string {
	var removed []string
	var failed []string
	for _, dir := range dirs {
		names, err := components.RemoveTempFiles(dir)
		for _, name := range names {
			removed = append(removed, filepath.Join(dir, name))
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", dir, err))
		}
	}
	var parts []string
	if len(removed) > 0 {
		parts = append(parts, fmt.Sprintf("removed %d temporary file(s) that deploy left behind: %s", len(removed), strings.Join(removed, ", ")))
	}
	if len(failed) > 0 {
		parts = append(parts, "could not remove the temporary files that deploy left behind in "+strings.Join(failed, "; "))
	}
	return strings.Join(parts, "; ")
}

// record lists dir (once) in the lock file before a temporary file is
// created there: components.Atomic.Record calls it for every file
// written; only the first file of a directory costs a write.
func (l *hostLock) record(dir string) error {
	if !filepath.IsAbs(dir) {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dirs[dir] {
		return nil
	}
	line := strconv.Quote(dir) + "\n"
	if _, err := l.f.WriteAt([]byte(line), l.end); err != nil {
		return err
	}
	l.end += int64(len(line))
	l.dirs[dir] = true
	return nil
}

func describe(h holder, ok bool) string {
	if !ok {
		return "an unknown process (its lock record is unreadable)"
	}
	return h.String()
}

func lockedError(path string, h holder, ok bool) error {
	return &HintError{Msg: fmt.Sprintf("another deploy is running here: %s holds the lock %s", describe(h, ok), path),
		HintText: "wait for it to finish, or use --break-lock if it hangs"}
}

// readHolderSoon reads the holder of a lock that is held: the holder
// writes its record right after taking the lock, so wait briefly for it.
func readHolderSoon(f *os.File) (holder, bool) {
	for i := 0; i < 20; i++ {
		if h, ok := readHolder(f); ok {
			return h, true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return holder{}, false
}

func readHolder(f *os.File) (holder, bool) {
	data := make([]byte, 4096)
	n, _ := f.ReadAt(data, 0)
	return parseHolder(data[:n])
}

// parseHolder parses the holder record, the first line of the lock file.
func parseHolder(data []byte) (holder, bool) {
	var h holder
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if len(first) == 0 || json.Unmarshal(first, &h) != nil {
		return h, false
	}
	return h, true
}

// readLock reads the whole lock file and the directories listed below the
// holder record.
func readLock(f *os.File) ([]byte, []string) {
	data, _ := io.ReadAll(io.NewSectionReader(f, 0, 1<<30))
	_, rest, _ := bytes.Cut(data, []byte("\n"))
	var dirs []string
	for _, line := range strings.Split(string(rest), "\n") {
		// A line cut short by a kill does not unquote; it is skipped.
		if dir, err := strconv.Unquote(line); err == nil && dir != "" {
			dirs = append(dirs, dir)
		}
	}
	return data, dirs
}

// start writes the holder record h and, below it, dirs (the directories
// listed by the deploy whose lock this one takes over) over what the lock
// file held, in one write, and then cuts the file to that length. So at
// no moment does the file list none of them: an agent killed while it
// takes over a stale lock (a kill -9, or a power cut while it syncs)
// leaves the old record or its own with the same directories (at worst
// followed by the end of the old list, whose cut line is skipped), and
// the next deploy still removes the temporary files left in them.
func (l *hostLock) start(h holder, dirs []string) error {
	data, _ := json.Marshal(h)
	data = append(data, '\n')
	for _, dir := range dirs {
		if !l.dirs[dir] {
			l.dirs[dir] = true
			data = append(strconv.AppendQuote(data, dir), '\n')
		}
	}
	if _, err := l.f.WriteAt(data, 0); err != nil {
		return err
	}
	if err := l.f.Truncate(int64(len(data))); err != nil {
		return err
	}
	l.end = int64(len(data))
	return l.f.Sync()
}

// release empties the holder record and drops the flock.
func (l *hostLock) release() {
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
