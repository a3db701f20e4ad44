package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/batou-go/batou/runtime"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/urfave/cli/v3"
)

func planCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "write each host's compiled plan as JSON",
		ArgsUsage: "ENV",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "plans", Usage: "write the plans to `DIR`"},
			maxStepsFlag,
		},
		OnUsageError: usageError,
		Action: func(ctx context.Context, c *cli.Command) error {
			env, err := envArg(c)
			if err != nil {
				return err
			}
			return writePlans(ctx, c, env, c.String("output"))
		},
	}
}

// configured loads and configures env, printing errors; nil means failed
// (the error is the exit status).
func configured(ctx context.Context, c *cli.Command, r *renderer, env string) (*runtime.Model, error) {
	s, done, err := projectSession(ctx, c)
	if err != nil {
		return nil, err
	}
	defer done()
	r.setMasker(s.Sensitive)
	model, errs := runtime.LoadWith(".", env, s, runtime.LoadOptions{Keys: secretKeys()})
	if model != nil {
		for _, w := range model.Warnings {
			r.Event(errorEvent(plan.EventWarning, w))
		}
		model.Warnings = nil
	}
	if model != nil && s.Interrupted() == "" {
		errs = append(errs, model.ConfigureWith(configureOptions(ctx, r))...)
		errs.Sort()
	}
	for _, e := range errs {
		r.Event(errorEvent(plan.EventError, e))
	}
	if len(errs) > 0 {
		return nil, exitError{1}
	}
	return model, nil
}

func writePlans(ctx context.Context, c *cli.Command, env, dir string) error {
	r := newRenderer(c.Root().Writer, false)
	model, err := configured(ctx, c, r, env)
	if model == nil {
		return err
	}
	plans, err := model.Plans(runtime.CompileOptions{Version: version, Now: time.Now()})
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	for _, p := range plans {
		if err != nil {
			break
		}
		err = writePlan(filepath.Join(dir, p.Host.Name+".json"), p)
	}
	if err != nil {
		fmt.Fprintf(c.Root().ErrWriter, "batou plan: %v\n", err)
		return exitError{1}
	}
	fmt.Fprintf(c.Root().Writer, "wrote %d plan(s) to %s\n", len(plans), dir)
	return nil
}

// writePlan writes p with the sensitive values it carries shown as ***.
func writePlan(path string, p *plan.Plan) error {
	data, err := p.Masked(plan.NewMasker(p.Secrets...)).Marshal()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}
