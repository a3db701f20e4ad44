package agent

import (
	"os"
	"time"
)

// When the controller goes away (batou was killed, or the connection was
// lost), nobody reads the agent's events and nobody will ask it to stop.
// It must not hold the lock for ever: it stops before the next component
// (interrupted is set), and a component that keeps running is ended.
//
// A verify is only looking, so it is cancelled at once. An update is given
// orphanUpdateGrace to finish, since stopping it half way leaves more to
// repair. Then Starlark code is cancelled and the commands it started are
// killed; an agent that still has not ended after orphanExitGrace (code
// that cannot be cancelled) exits. Its flock ends with the process; the
// holder record stays behind, so the next deploy recognises the lock as
// stale, says so, and removes temporary files this deploy left.
var (
	orphanUpdateGrace = 10 * time.Second
	orphanExitGrace   = 2 * time.Second
)

// orphanReason is the error a cancelled component reports.
const orphanReason = "stopped: the controller went away (batou ended or the connection was lost)"

// orphaned ends the deploy of an agent whose controller has gone away.
func (a *agent) orphaned() {
	if d := a.deploying.Load(); d != nil && d.busy.comp.Load() != nil && d.busy.update.Load() {
		if a.wait(orphanUpdateGrace) {
			return
		}
	}
	a.cancel()
	if d := a.deploying.Load(); d != nil {
		d.cancel(orphanReason)
	}
	if a.wait(orphanExitGrace) {
		return
	}
	a.exit()
}

// wait reports whether the deploy ends within d.
func (a *agent) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-a.finished:
		return true
	case <-t.C:
		return false
	}
}

// exit ends the process without releasing the lock record (see above).
func (a *agent) exit() {
	if a.opts.Exit != nil {
		a.opts.Exit(1)
		return
	}
	os.Exit(1)
}
