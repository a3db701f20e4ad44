package remote

import (
	"context"
	"os"
	"strings"
	"sync"
)

// Prestarted holds what is started before the plans exist, to overlap
// with configuring the model: agents of local hosts (starting a process
// and its runtime takes a few milliseconds) and, for ssh hosts, the hash
// of the agent binary, each host's resolved ssh settings (ssh -G, about
// 7 ms of CPU a host), which decide who shares a master, and the master
// connections themselves: a login takes 100-300 ms, as long as
// configuring a large model. Nothing runs on a host before the model is
// known to be consistent; when it is not, the logins are ended unused.
type Prestarted struct {
	mu    sync.Mutex // hosts connect in parallel
	conns map[string]*conn
	// starting counts the local agents still being started: the caller
	// goes on configuring meanwhile (starting a process waits for its
	// exec), and take and Close wait for them.
	starting sync.WaitGroup
	// pool holds the masters started early, for the deployment to adopt
	// (nil: no ssh host); warmed are the ones this holds until Close.
	pool    *masterPool
	warmed  []*master
	cancel  context.CancelFunc // ends logins still under way at Close
	adopted bool               // a Deployment uses pool (and removes it)
	closed  bool
	// agents hashes the agent binary (nil: no ssh host).
	agents *agentCache
	// keys are the connection keys being resolved, by ssh arguments and
	// destination (keyOf).
	keys map[string]*resolving
	// keyCache keeps ssh -G's answers across deploys.
	keyCache *sshKeyCache
}

// resolving is a connection key being resolved (or done).
type resolving struct {
	done  chan struct{}
	key   string
	hosts int // the targets it was asked for
}

// Prestart starts an agent for every local target that is not ignored
// (in the background: the caller goes on at once) and, for ssh targets,
// the work that does not contact them (sshConfig is the -F file, "" for
// the user's own). Failures are left for Connect to report.
func Prestart(targets []*Target, agent []string, sshConfig string) *Prestarted {
	p := &Prestarted{conns: map[string]*conn{}}
	share := remoteHosts(targets) > 1 // as Connect decides
	var ctx context.Context
	ctx, p.cancel = context.WithCancel(context.Background())
	var resolves []func()
	for _, t := range targets {
		if t.Ignore {
			continue
		}
		if isLocal(t) {
			p.starting.Add(1)
			go func(host string) {
				defer p.starting.Done()
				if c, err := startLocal(host, agent, os.Environ()); err == nil {
					p.mu.Lock()
					p.conns[host] = c
					p.mu.Unlock()
				}
			}(t.Host)
			continue
		}
		if _, ok := t.Transport.(SSH); !ok {
			continue
		}
		if p.agents == nil {
			p.agents = &agentCache{}
			if exe, err := os.Executable(); err == nil {
				p.agents.prefetch(exe)
			}
			p.pool = &masterPool{early: p, share: share}
			p.keyCache = newSSHKeyCache("")
		}
		h := &sshHost{t: t, config: sshConfig, dest: t.Address, timeout: hostTimeout(t)}
		if !share {
			p.warm(ctx, aloneKey(h), h)
			continue
		}
		args := h.baseArgs()
		id := keyOf(args, t.Address)
		if p.keys == nil {
			p.keys = map[string]*resolving{}
		}
		if p.keys[id] == nil {
			r := &resolving{done: make(chan struct{})}
			p.keys[id] = r
			resolve := func() {
				r.key = p.keyCache.key(args, t.Address)
				close(r.done)
				if r.key != "" {
					p.warm(ctx, r.key, h)
				}
			}
			resolves = append(resolves, resolve)
		}
		p.keys[id].hosts++
	}
	// The first host's key is resolved alone, so that its login starts
	// after one ssh -G rather than after all of them, which share the
	// cores with configuring the model: with aliases of one machine, that
	// login is the only one.
	if len(resolves) > 0 {
		go func() {
			resolves[0]()
			for _, f := range resolves[1:] {
				go f()
			}
		}()
	}
	return p
}

// keyOf identifies the resolution of dest with the ssh arguments args.
func keyOf(args []string, dest string) string {
	return strings.Join(append(args[:len(args):len(args)], dest), "\x00")
}

// connectionKey returns the connection key of dest with args: the one
// resolved early when there is one, else resolved now.
func (p *Prestarted) connectionKey(args []string, dest string) string {
	if p != nil {
		p.mu.Lock()
		r := p.keys[keyOf(args, dest)]
		p.mu.Unlock()
		if r != nil {
			<-r.done
			return r.key
		}
		// Not resolved early: a vagrant host, whose configuration is a
		// new temporary file every deploy. Its answer is not kept: it
		// would be a new entry in the cache every deploy, never read.
	}
	return connectionKey(args, dest)
}

// resolved reports whether the connection key of dest with args is
// resolved early (then sharedBy counts its hosts).
func (p *Prestarted) resolved(args []string, dest string) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[keyOf(args, dest)] != nil
}

// sharedBy counts the ssh targets whose connection key is key (0 when
// the keys were not resolved early).
func (p *Prestarted) sharedBy(key string) int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	all := make([]*resolving, 0, len(p.keys))
	for _, r := range p.keys {
		all = append(all, r)
	}
	p.mu.Unlock()
	n := 0
	for _, r := range all {
		<-r.done
		if r.key == key {
			n += r.hosts
		}
	}
	return n
}

// take returns the prestarted agent of host (once), or nil.
func (p *Prestarted) take(host string) *conn {
	if p == nil {
		return nil
	}
	p.starting.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.conns[host]
	delete(p.conns, host)
	return c
}

// warm starts the master of key early (once per key), unless Close came
// first.
func (p *Prestarted) warm(ctx context.Context, key string, h *sshHost) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	for _, m := range p.warmed {
		if m.key == key {
			return
		}
	}
	if m := p.pool.warm(ctx, key, h); m != nil {
		p.warmed = append(p.warmed, m)
	}
}

// Close stops the agents that were not used and lets go of the masters
// started early: hosts that connected hold them by now; the others end
// (a login still under way is stopped).
func (p *Prestarted) Close() {
	if p == nil {
		return
	}
	p.starting.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for h, c := range p.conns {
		_ = c.close()
		delete(p.conns, h)
	}
	if p.closed {
		return
	}
	p.closed = true
	p.cancel()
	for _, m := range p.warmed {
		p.pool.unwarm(m)
	}
	p.warmed = nil
	if p.pool != nil && !p.adopted {
		p.pool.remove()
	}
}

// Abort kills the masters started early at once (a second Ctrl-C).
func (p *Prestarted) Abort() {
	if p != nil && p.pool != nil {
		p.pool.abort()
	}
}
