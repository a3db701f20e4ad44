package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"
)

func graphCommand() *cli.Command {
	return &cli.Command{
		Name:         "graph",
		Usage:        "print the dependency graph of roots across hosts (DOT)",
		ArgsUsage:    "ENV",
		Flags:        []cli.Flag{maxStepsFlag},
		OnUsageError: usageError,
		Action: func(ctx context.Context, c *cli.Command) error {
			env, err := envArg(c)
			if err != nil {
				return err
			}
			r := newRenderer(c.Root().ErrWriter, false)
			model, err := configured(ctx, c, r, env)
			if model == nil {
				return err
			}
			sched := model.Schedule()
			var b strings.Builder
			fmt.Fprintf(&b, "digraph %q {\n  rankdir=LR;\n", env)
			for hi, h := range model.Hosts {
				fmt.Fprintf(&b, "  subgraph \"cluster_%d\" {\n    label=%q;\n", hi, h.Name)
				for i, sr := range sched.Roots {
					if sr.Host == h.Name {
						style := ""
						if sr.Ignored || sr.HostIgnored {
							style = ", style=dashed"
						}
						fmt.Fprintf(&b, "    r%d [label=%q%s];\n", i, sr.Root, style)
					}
				}
				b.WriteString("  }\n")
			}
			for i, sr := range sched.Roots {
				for _, dep := range sr.After {
					fmt.Fprintf(&b, "  r%d -> r%d;\n", i, dep)
				}
			}
			b.WriteString("}\n")
			fmt.Fprint(c.Root().Writer, b.String())
			return nil
		},
	}
}
