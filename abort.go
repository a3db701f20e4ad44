package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// abortHooks are what a second Ctrl-C runs before batou exits at once
// (ending a deploy's ssh masters, so that the agents on the hosts see
// their controller gone). run puts them into the context of the command.
type abortHooks struct {
	mu  sync.Mutex
	fns []func()
	// sigs receives the signals that interrupt the command (run's).
	sigs chan<- os.Signal
}

type abortKey struct{}

// abortHooksFrom returns the hooks of ctx; without any, adding to them
// does nothing.
func abortHooksFrom(ctx context.Context) *abortHooks {
	h, _ := ctx.Value(abortKey{}).(*abortHooks)
	return h
}

// stopOnTerm makes SIGTERM (what CI runners and service managers send
// first) and SIGHUP (the terminal batou runs in is gone, say a dropped ssh
// login) interrupt the command as Ctrl-C does; for a deploy, that is an
// orderly stop, which also ends its ssh masters (killed by either signal,
// batou would leave them running until the next deploy). Other commands
// keep their default: they end.
func (h *abortHooks) stopOnTerm() {
	if h != nil && h.sigs != nil {
		signal.Notify(h.sigs, syscall.SIGTERM, syscall.SIGHUP)
	}
}

// stopOnLostOutput keeps batou running when a write to its output fails
// because nobody reads it any more (`batou deploy prod | head`, a pager
// quit before the end): without it, the first such write would kill batou
// (SIGPIPE) in the middle of the deploy, leaving its ssh masters running
// until the next deploy. The renderer then stops the deploy in order
// (interrupt).
func (h *abortHooks) stopOnLostOutput() {
	// A channel nobody reads: the signal is only noted (writes fail
	// with EPIPE instead), and a broken pipe to a child process must
	// not count as Ctrl-C.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// interrupt stops the command as Ctrl-C does (a second one, or a Ctrl-C
// after it, ends batou at once).
func (h *abortHooks) interrupt() {
	if h == nil || h.sigs == nil {
		return
	}
	select {
	case h.sigs <- outputGone:
	default: // two signals wait already: batou is ending
	}
}

// outputGone is the signal interrupt sends: the output is gone. No
// handler receives a real SIGPIPE on sigs (stopOnLostOutput notes it
// elsewhere), so it stands only for interrupt's.
const outputGone = syscall.SIGPIPE

// add registers fn; it must be safe to call from another goroutine.
func (h *abortHooks) add(fn func()) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fns = append(h.fns, fn)
}

// run calls every hook.
func (h *abortHooks) run() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, fn := range h.fns {
		fn()
	}
}
