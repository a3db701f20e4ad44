package components

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// Stage writes ahead the files of a run of consecutive Files that a
// deploy creates, on other cores: each new file's content goes to its
// temporary file next to the target (the name an atomic write uses), and
// the deploy, when it reaches that File in order, only moves it into
// place (CreateStaged). Targets so appear one after the other as without a
// stage, and a deploy that stops half way (an error, Ctrl-C) removes what
// was written ahead (Stop): the host ends as it would have without it.
//
// A run holds only Files whose only sub-components are a Presence and a
// Content of the same path: each writes its own path and nothing else, so
// no component between the deploy and a file written ahead can see the
// temporary file. A file is written ahead only when its target is missing
// when a worker comes to it; anything else is left to the deploy. (Once a
// worker found a target missing, as in a first deploy where all are, the
// workers write without looking first, until the deploy finds a target
// there after all: moving the file into place fails then and changes
// nothing, and the deploy removes it.) The workers stay at most stageWindow files ahead of the deploy, so that
// what waits (space, inodes, the diffs to show, the files a killed agent
// leaves) stays small however long the run.
type Stage struct {
	ctx     *Context
	attrs   func(i int, dst Attrs) Attrs
	jobs    []staged // one per path, in order (a path twice is one job)
	byPath  map[string]*staged
	next    atomic.Int64
	stopped atomic.Bool
	// missing: the targets are likely missing (see write).
	missing atomic.Bool
	wg      sync.WaitGroup
	// mu and moved guard reached: the jobs before it are the deploy's.
	mu      sync.Mutex
	moved   *sync.Cond
	reached int
}

// stageWindow is how many files the workers may be ahead of the deploy;
// the deploy wakes them every stageWindow/4 files.
const stageWindow = 64

// Job states.
const (
	stagePending int32 = iota // no worker came yet
	stageWriting              // a worker writes it
	stageDone                 // written (tmp set) or left to the deploy
	stageTaken                // the deploy has it, or it was removed
)

type staged struct {
	path, tmp string
	res       Result
	done      sync.WaitGroup // done when written or left (stageDone)
	index     int32          // of its attributes (Stage.attrs)
	pos       int32          // in Stage.jobs
	state     atomic.Int32
}

// StartStage starts writing ahead the files at paths (path attributes of
// Contents, in deploy order), with the given number of goroutines; the
// workers get the Content attributes of the file at index i with
// attrs(i, dst), which must be safe to call from several goroutines. dst
// is nil or what the calling worker's previous call returned: the stage
// keeps nothing of the attributes, so attrs may fill dst and return it
// (a map per worker instead of one per file). ctx gives the workdir, home
// and Atomic; it must not change while the stage runs.
func StartStage(ctx *Context, paths []string, attrs func(i int, dst Attrs) Attrs, workers int) *Stage {
	s := &Stage{ctx: ctx, attrs: attrs, byPath: make(map[string]*staged, len(paths))}
	s.moved = sync.NewCond(&s.mu)
	s.jobs = make([]staged, 0, len(paths))
	for i, path := range paths {
		p := ctx.hostPath(path)
		if s.byPath[p] != nil {
			continue
		}
		s.jobs = s.jobs[:len(s.jobs)+1]
		j := &s.jobs[len(s.jobs)-1]
		j.index, j.pos, j.path, j.tmp = int32(i), int32(len(s.jobs)-1), p, tmpName(p)
		j.done.Add(1)
		s.byPath[p] = j
	}
	for range workers {
		s.wg.Add(1)
		go s.work()
	}
	return s
}

func (s *Stage) work() {
	defer s.wg.Done()
	var scratch Attrs // the worker's attributes map (see StartStage)
	for !s.stopped.Load() {
		i := int(s.next.Add(1)) - 1
		if i >= len(s.jobs) || !s.wait(i) {
			return
		}
		if j := &s.jobs[i]; j.state.CompareAndSwap(stagePending, stageWriting) {
			scratch = s.write(j, scratch)
			j.state.Store(stageDone)
			j.done.Done()
		}
	}
}

// wait waits until the deploy is close enough to job i; false means the
// stage stopped.
func (s *Stage) wait(i int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i >= s.reached+stageWindow && !s.stopped.Load() {
		s.moved.Wait()
	}
	return !s.stopped.Load()
}

// advance notes that the deploy is past job i, waking the workers every
// stageWindow/4 jobs.
func (s *Stage) advance(i int) {
	if (i+1)%(stageWindow/4) != 0 {
		return
	}
	s.mu.Lock()
	s.reached = max(s.reached, i+1)
	s.moved.Broadcast()
	s.mu.Unlock()
}

// write writes j's content to its temporary file when its target is
// missing, or likely missing (s.missing); j.tmp is cleared when it did
// not. scratch is the worker's attributes map, which write returns for
// the next file; nothing else keeps it.
func (s *Stage) write(j *staged, scratch Attrs) Attrs {
	if !s.missing.Load() {
		var st syscall.Stat_t
		if err := syscall.Lstat(j.path, &st); !errors.Is(err, syscall.ENOENT) {
			j.tmp = ""
			return scratch
		}
		s.missing.Store(true)
	}
	a := s.attrs(int(j.index), scratch)
	if _, blob := a["content"].(Blob); blob || s.ctx.Atomic.note(j.tmp) != nil {
		j.tmp = ""
		return a
	}
	data := writtenBytes(a["content"])
	if writeNewTemp(j.tmp, data) != nil {
		j.tmp = ""
		return a
	}
	j.res = createdResult(a, j.path, data)
	return a
}

// take hands the deploy the job of path: ok is false when there is none
// or nothing was written ahead for it (the deploy then does it itself).
// No worker touches the path afterwards.
func (s *Stage) take(path string) (*staged, bool) {
	if s == nil {
		return nil, false
	}
	j := s.byPath[path]
	if j == nil {
		return nil, false
	}
	s.advance(int(j.pos))
	for {
		switch j.state.Load() {
		case stagePending:
			if j.state.CompareAndSwap(stagePending, stageTaken) {
				return nil, false
			}
		case stageWriting:
			j.done.Wait()
		case stageDone:
			if j.state.CompareAndSwap(stageDone, stageTaken) {
				return j, j.tmp != ""
			}
		default: // taken before: the same file twice
			return nil, false
		}
	}
}

// Stop ends the stage and removes every file written ahead that the
// deploy did not take. It waits for the workers.
func (s *Stage) Stop() {
	if s == nil || s.stopped.Swap(true) {
		return
	}
	s.mu.Lock()
	s.moved.Broadcast() // workers waiting for the deploy see the stop
	s.mu.Unlock()
	s.wg.Wait()
	for i := range s.jobs {
		j := &s.jobs[i]
		if j.state.CompareAndSwap(stagePending, stageTaken) {
			continue
		}
		if j.state.CompareAndSwap(stageDone, stageTaken) && j.tmp != "" {
			_ = os.Remove(j.tmp)
		}
	}
}

// CreateStaged is CreateWithContent for a file the stage may have written
// ahead (path is the Content's path attribute): it moves the file into
// place if the target is still missing, and returns what Content's verify
// would have found after Presence created the file. done is false, with
// nothing changed, when nothing was written ahead for the path or the
// target exists now; the deploy then goes on as without a stage. Either
// way no worker touches the path afterwards.
func CreateStaged(ctx *Context, path string) (res Result, done bool) {
	p := ctx.hostPath(path)
	j, ok := ctx.Stage.take(p)
	if !ok {
		return Result{}, false
	}
	if err := renameNoReplace(j.tmp, p); err != nil {
		if errors.Is(err, syscall.EEXIST) { // written without looking: look again
			ctx.Stage.missing.Store(false)
		}
		_ = os.Remove(j.tmp)
		return Result{}, false
	}
	return j.res, true
}

// renameIfMissing renames oldpath to newpath after looking that newpath
// does not exist (for file systems without an atomic way to say so).
func renameIfMissing(oldpath, newpath string) error {
	var st syscall.Stat_t
	if err := syscall.Lstat(newpath, &st); !errors.Is(err, syscall.ENOENT) {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EEXIST}
	}
	return rename(oldpath, newpath)
}
