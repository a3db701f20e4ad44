package agent

import (
	"encoding/json"
	"fmt"
	"github.com/batou-go/batou/runtime/plan"
	"os"
	"os/user"
	"path/filepath"
	"syscall"
	"time"
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
	return fmt.Sprintf("%s@%s (pid %d, since %s)", h.User, h.Host, h.PID, h.Started.Local().Format("2006-01-02 15:04:05"))
}

// hostLock is a held lock: an flock on the lock file, which also records
// the holder. The flock ends with the process, so a lock whose holder died
// (or whose host rebooted) is free again; the holder record left behind
// shows it was not released cleanly.
type hostLock struct {
	f *os.File
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
// holder record is taken over with a warning.
func acquireLock(target string, breakLock bool, who *plan.Holder) (*hostLock, string, error) {
	path := filepath.Join(target, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("opening lock %s: %w", path, err)
	}
	warning := ""
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		prev, hasPrev := readHolderSoon(f)
		if !breakLock {
			f.Close()
			return nil, "", lockedError(path, prev, hasPrev)
		}
		warning = fmt.Sprintf("breaking the lock %s held by %s (--break-lock)", path, describe(prev, hasPrev))
	} else if prev, hasPrev := readHolder(f); hasPrev {
		warning = fmt.Sprintf("taking over a stale lock %s: the deploy of %s ended without releasing it", path, prev)
	}
	if err := writeHolder(f, currentHolder(who)); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("writing lock %s: %w", path, err)
	}
	return &hostLock{f: f}, warning, nil
}

func describe(h holder, ok bool) string {
	if !ok {
		return "an unknown process"
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
	var h holder
	data := make([]byte, 4096)
	n, _ := f.ReadAt(data, 0)
	if n == 0 || json.Unmarshal(data[:n], &h) != nil {
		return h, false
	}
	return h, true
}

func writeHolder(f *os.File, h holder) error {
	data, _ := json.Marshal(h)
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(data, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// release empties the holder record and drops the flock.
func (l *hostLock) release() {
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
