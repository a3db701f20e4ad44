package remote

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/batou-go/batou/runtime/plan"
)

// Transport is how the controller reaches the agent of a host. Local, SSH
// and Vagrant are the transports; the environment's connect_method names
// one (TransportNamed). The set is closed: every transport speaks the same
// agent protocol, so a new one is written in this package.
type Transport interface {
	// Name is the connect_method that selects the transport; the host
	// event reports it as "via".
	Name() string
	// start starts the agent of t for d and sends it req; w bounds each
	// step, and the agent's start (until it is ready) is the step left
	// running.
	start(ctx context.Context, w *stepWatch, d *Deployment, t *Target, req plan.Request) (*conn, error)
}

// Local runs the agent as a child process on this machine, in its own
// process group. An agent started by Prestart is used when there is one.
type Local struct{}

// SSH runs the agent over the user's OpenSSH client: hosts whose ssh
// configuration resolves to the same connection share one master.
type SSH struct{}

// Vagrant asks vagrant ssh-config how to reach the machine and then works
// as SSH.
type Vagrant struct{}

// Name returns "local".
func (Local) Name() string { return "local" }

// Name returns "ssh".
func (SSH) Name() string { return "ssh" }

// Name returns "vagrant".
func (Vagrant) Name() string { return "vagrant" }

func (Local) start(_ context.Context, w *stepWatch, d *Deployment, t *Target, req plan.Request) (*conn, error) {
	c := d.opts.Prestarted.take(t.Host)
	if c == nil {
		var err error
		if c, err = startLocal(t.Host, d.opts.Agent, os.Environ()); err != nil {
			return nil, err
		}
	}
	w.watchAgent(c, readyStep(t))
	return withPlan(c, nil, req)
}

func (SSH) start(ctx context.Context, w *stepWatch, d *Deployment, t *Target, req plan.Request) (*conn, error) {
	return d.openSSH(ctx, w, t, d.opts.SSHConfig, t.Address, req)
}

func (Vagrant) start(ctx context.Context, w *stepWatch, d *Deployment, t *Target, req plan.Request) (*conn, error) {
	dir, err := d.masters.directory()
	if err != nil {
		return nil, err
	}
	config, dest, err := vagrantConfig(dir, t.Host)
	if err != nil {
		return nil, err
	}
	return d.openSSH(ctx, w, t, config, dest, req)
}

// transports are the transports by connect_method.
func transports() []Transport { return []Transport{Local{}, SSH{}, Vagrant{}} }

// TransportNamed returns the transport a connect_method names.
func TransportNamed(name string) (Transport, error) {
	var names []string
	for _, tr := range transports() {
		if tr.Name() == name {
			return tr, nil
		}
		names = append(names, tr.Name())
	}
	return nil, fmt.Errorf("unknown connect_method %s (use one of: %s)", name, strings.Join(names, ", "))
}

// isLocal reports whether t runs its agent on this machine.
func isLocal(t *Target) bool {
	_, ok := t.Transport.(Local)
	return ok
}
