package components

import (
	"io"
	"os"
	"sync/atomic"
)

// Prefetch reads, in the background, the files that verifies of one root
// will read (a Content's target), so that reading them overlaps with the
// rest of the deploy instead of happening one after the other. A file is
// read once; its bytes are handed to the first verify that asks and then
// dropped. The caller stops the prefetch before anything may change the
// host (an update, or Starlark code running); after that every verify reads
// for itself again, so nothing stale is ever compared.
type Prefetch struct {
	files   map[string]*prefetched
	order   []*prefetched
	next    atomic.Int64
	stopped atomic.Bool
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
	done  chan struct{}
	data  []byte
	err   error
	skip  bool // too large to hold: the verify reads it itself
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
	e := &prefetched{path: path, done: make(chan struct{})}
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
	for !p.stopped.Load() {
		i := int(p.next.Add(1)) - 1
		if i >= len(p.order) {
			return
		}
		e := p.order[i]
		if !e.state.CompareAndSwap(prefetchPending, prefetchReading) {
			continue // the verify got there first and reads it itself
		}
		e.data, e.err, e.skip = readSmall(e.path)
		close(e.done)
	}
}

// readSmall reads a file of at most prefetchMax bytes; larger ones are
// skipped.
func readSmall(path string) ([]byte, error, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err, false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err, false
	}
	if !info.Mode().IsRegular() || info.Size() > prefetchMax {
		return nil, nil, true
	}
	data, err := io.ReadAll(io.LimitReader(f, prefetchMax+1))
	if err != nil {
		return nil, err, false
	}
	if len(data) > prefetchMax {
		return nil, nil, true
	}
	return data, nil, false
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
	if p == nil || p.stopped.Load() {
		return nil, nil, false
	}
	e := p.files[path]
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
	<-e.done // reading: the worker closes done when it has the bytes
	if !e.state.CompareAndSwap(prefetchReading, prefetchTaken) || e.skip || p.stopped.Load() {
		return nil, nil, false
	}
	data, err := e.data, e.err
	e.data = nil
	return data, err, true
}

// readFile reads path, from the prefetch when it holds it.
func (c *Context) readFile(path string) ([]byte, error) {
	if c != nil {
		if data, err, ok := c.Files.take(path); ok {
			return data, err
		}
	}
	return os.ReadFile(path)
}
