package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/batou-go/batou/remote/agent"
	"github.com/urfave/cli/v3"
)

// agentCommand runs the host side of a deploy on stdin/stdout. It is what
// transports start; users do not call it.
func agentCommand() *cli.Command {
	return &cli.Command{
		Name:   "agent",
		Usage:  "apply a plan (started by batou on each host)",
		Hidden: true,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "relay",
			Usage: "serve the agents of several hosts of this machine over one connection (framed stdio)"}},
		Action: func(ctx context.Context, c *cli.Command) error {
			// The controller decides when to stop: it lets the current
			// component finish and then asks the agent to stop. A lost
			// connection (hangup, broken pipe) ends the input instead,
			// which stops the deploy after the current component too.
			//
			// The signals are noted on a channel nobody reads rather than
			// ignored: an ignored signal stays ignored in every command the
			// agent starts, and a shell pipeline whose reader has gone
			// (`while :; do echo y; done | head -1`) would then never end.
			// Ignore first drops run's handling of Ctrl-C.
			signal.Ignore(os.Interrupt, syscall.SIGHUP, syscall.SIGPIPE)
			signal.Notify(make(chan os.Signal, 1), os.Interrupt, syscall.SIGHUP, syscall.SIGPIPE)
			if c.Bool("relay") {
				serve := func(in io.Reader, out io.Writer, exit func(int)) error {
					return agent.Run(in, out, agent.Options{Version: version, Renderer: templates(), Exit: exit})
				}
				if err := agent.Relay(os.Stdin, os.Stdout, serve); err != nil {
					fmt.Fprintln(os.Stderr, "batou agent --relay:", err)
					return exitError{1}
				}
				return nil
			}
			if err := agent.Run(os.Stdin, os.Stdout, agent.Options{Version: version, Renderer: templates()}); err != nil {
				return exitError{1}
			}
			return nil
		},
	}
}
