package components

import (
	"errors"
	"io/fs"
	"sync"
	"sync/atomic"
	"syscall"
)

// Prefetch reads, in the background, the files that verifies of one root
// will read (a Content's target), so that reading them overlaps with the
// rest of the deploy instead of happening one after the other. A file is
// read once; its bytes are handed to the first verify that asks and then
// dropped. The type of the file found when opening it answers the verify
// of a Presence of the same path (which comes first in a File). The caller stops the prefetch before anything may change the
// host (an update, or Starlark code running); after that every verify reads
// for itself again, so nothing stale is ever compared.
type Prefetch struct {
	// UntilMissing ends reading ahead at the first file found missing
	// (set it before Start): a deploy creates that file when it comes to
	// it, which stops the prefetch, so the files after it would be read
	// in vain (all of them in a first deploy). Their verifies read for
	// themselves.
	UntilMissing bool
	files        map[string]*prefetched
	order        []*prefetched
	spare        []prefetched // entries for the next Adds, allocated together
	next         atomic.Int64
	stopped      atomic.Bool
	ended        atomic.Bool // no more reading ahead (UntilMissing)
}

// Entry states.
const (
	prefetchPending int32 = iota
	prefetchReading
	prefetchTaken
)

type prefetched struct {
	path  string
	state atomic.Int32
	done  sync.WaitGroup // done when read (from the Add on, for whoever reads)
	res   readResult
}

// prefetchMax is the largest file a prefetch holds in memory.
const prefetchMax = 1 << 20

// NewPrefetch returns an empty prefetch.
func NewPrefetch() *Prefetch { return &Prefetch{files: map[string]*prefetched{}} }

// Add records a file a verify will read whole (the path attribute of a
// kind's ReadAhead; ctx gives its workdir and home). It must be called
// before Start.
func (p *Prefetch) Add(ctx *Context, path string) {
	if p == nil || path == "" {
		return
	}
	path = ctx.hostPath(path)
	if p.files[path] != nil {
		return
	}
	if len(p.spare) == 0 {
		p.spare = make([]prefetched, 64)
	}
	e := &p.spare[0]
	p.spare = p.spare[1:]
	e.path = path
	e.done.Add(1)
	p.files[path] = e
	p.order = append(p.order, e)
}

// Start reads the files with the given number of goroutines.
func (p *Prefetch) Start(workers int) {
	if p == nil || len(p.order) == 0 {
		return
	}
	for range workers {
		go p.work()
	}
}

func (p *Prefetch) work() {
	for !p.stopped.Load() && !p.ended.Load() {
		i := int(p.next.Add(1)) - 1
		if i >= len(p.order) {
			return
		}
		p.read(p.order[i], prefetchPending)
	}
}

// read reads the file of e unless someone else got there first (its state
// is not from).
func (p *Prefetch) read(e *prefetched, from int32) {
	if e.state.CompareAndSwap(from, prefetchReading) {
		e.res = readRegular(e.path, prefetchMax)
		if p.UntilMissing && isMissing(e.res.err) {
			p.ended.Store(true)
		}
		e.done.Done()
	}
}

// isMissing reports whether err says that a file or a directory on its
// path does not exist.
func isMissing(err error) bool {
	return err != nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR))
}

// Stop ends the prefetch: from now on every verify reads for itself.
func (p *Prefetch) Stop() {
	if p != nil {
		p.stopped.Store(true)
	}
}

// take returns the prefetched bytes of path, or false when the caller
// must read the file itself.
func (p *Prefetch) take(path string) ([]byte, error, bool) {
	e := p.entry(path)
	if e == nil {
		return nil, nil, false
	}
	if e.state.CompareAndSwap(prefetchPending, prefetchTaken) {
		return nil, nil, false // not read yet: cheaper to read it now
	}
	if e.state.Load() == prefetchTaken {
		// Taken already (a second component reads the same path): done
		// may never close, as nobody read it ahead.
		return nil, nil, false
	}
	e.done.Wait() // reading: the worker is done when it has the bytes
	if !e.state.CompareAndSwap(prefetchReading, prefetchTaken) || e.res.skip || p.stopped.Load() {
		return nil, nil, false
	}
	data, err := e.res.data, e.res.err
	e.res.data = nil
	return data, err, true
}

// stat returns the type of what stands at path, as the prefetch found it
// when it opened the file (reading it now if no worker has yet, so that
// the verify after this one takes the bytes). False means the caller must
// look itself: path is not prefetched, the prefetch stopped, or opening
// failed for another reason than a missing file.
func (p *Prefetch) stat(path string) (fs.FileMode, error, bool) {
	e := p.entry(path)
	if e == nil {
		return 0, nil, false
	}
	p.read(e, prefetchPending)
	if e.state.Load() == prefetchTaken {
		return 0, nil, false
	}
	e.done.Wait()
	switch err := e.res.err; {
	case p.stopped.Load():
		return 0, nil, false
	case err == nil:
		return e.res.mode, nil, true
	case isMissing(err):
		return 0, err, true
	}
	return 0, nil, false
}

// entry returns the entry of path while the prefetch runs, else nil.
func (p *Prefetch) entry(path string) *prefetched {
	if p == nil || p.stopped.Load() {
		return nil
	}
	return p.files[path]
}
