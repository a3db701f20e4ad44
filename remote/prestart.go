package remote

import (
	"os"
	"sync"
)

// Prestarted holds agents started before their plans exist: starting a
// process and its runtime takes a few milliseconds, which can overlap with
// configuring the model. Only local agents are started early; remote hosts
// are not contacted before the model is known to be consistent.
type Prestarted struct {
	mu    sync.Mutex // hosts connect in parallel
	conns map[string]*conn
}

// Prestart starts an agent for every local target that is not ignored.
// Failures are left for Connect to report.
func Prestart(targets []*Target, agent []string) *Prestarted {
	p := &Prestarted{conns: map[string]*conn{}}
	for _, t := range targets {
		if t.Ignore || !isLocal(t) {
			continue
		}
		if c, err := startLocal(t.Host, agent, os.Environ()); err == nil {
			p.conns[t.Host] = c
		}
	}
	return p
}

// take returns the prestarted agent of host (once), or nil.
func (p *Prestarted) take(host string) *conn {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.conns[host]
	delete(p.conns, host)
	return c
}

// Close stops the agents that were not used.
func (p *Prestarted) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for h, c := range p.conns {
		_ = c.close()
		delete(p.conns, h)
	}
}
