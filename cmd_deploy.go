package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/batou-go/batou/remote"
	"github.com/batou-go/batou/runtime"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"github.com/urfave/cli/v3"
)

func deployCommand() *cli.Command {
	return &cli.Command{
		Name:      "deploy",
		Usage:     "deploy an environment",
		ArgsUsage: "ENV",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "consistency-only", Aliases: []string{"c"}, Usage: "configure the model locally and stop; contact no host"},
			&cli.BoolFlag{Name: "predict-only", Aliases: []string{"P"}, Usage: "show what would change, with diffs; change nothing"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "run at most `N` roots at once across hosts"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object per line (events) instead of text"},
			&cli.BoolFlag{Name: "break-lock", Usage: "take over a lock held by another deploy"},
			maxStepsFlag,
			noCacheFlag,
		},
		OnUsageError: usageError,
		Action:       runDeploy,
	}
}

// run modes and their banners.
type mode struct {
	name, action, working string
}

var (
	modeDeploy      = mode{"deploy", "DEPLOYMENT", "Deploying"}
	modePredict     = mode{"predict", "DEPLOYMENT PREDICTION", "Predicting"}
	modeConsistency = mode{"consistency", "CONSISTENCY CHECK", ""}
)

// deployRun is one run of batou deploy.
type deployRun struct {
	r    *renderer
	mode mode
	env  string
	// line is the command line as the user gave it, for hints.
	line  string
	start time.Time
	times []string
	// cache keeps the plans for the next deploy (nil: configure afresh).
	cache *runtime.PlanCache
	// ended is set once the work is over and the final summary is being
	// written: an output lost from then on stops nothing.
	ended atomic.Bool
}

func runDeploy(ctx context.Context, c *cli.Command) error {
	abortHooksFrom(ctx).stopOnTerm()
	env, err := envArg(c)
	if err != nil {
		return err
	}
	m := modeDeploy
	switch {
	case c.Bool("consistency-only") && c.Bool("predict-only"):
		fmt.Fprintln(c.Root().ErrWriter, "batou deploy: -c and -P exclude each other")
		return exitError{2}
	case c.Bool("consistency-only"):
		m = modeConsistency
	case c.Bool("predict-only"):
		m = modePredict
	}
	d := &deployRun{r: newRenderer(c.Root().Writer, c.Bool("json")), mode: m, env: env, line: commandLine(ctx), start: time.Now()}
	defer d.r.flush()
	abortHooksFrom(ctx).add(d.r.flushUnlessBusy)
	abortHooksFrom(ctx).stopOnLostOutput()
	d.r.lost = func(err error) { d.outputLost(err, c.Root().ErrWriter, abortHooksFrom(ctx).interrupt) }
	s, done, err := projectSession(ctx, c)
	if err != nil {
		return err
	}
	defer done()
	if m != modeConsistency {
		d.cache = planCache(c)
		s.Inputs = &starlib.Inputs{}
	}
	return d.run(ctx, s, int(c.Int("jobs")), c.Bool("break-lock"))
}

func (d *deployRun) section(title string) {
	d.r.Event(plan.Event{Type: plan.EventSection, Title: title})
}

func (d *deployRun) info(msg string) {
	d.r.Event(plan.Event{Type: plan.EventLog, Host: "main", Message: msg})
}

// fail prints the banner of a failed run and returns exit status 1.
func (d *deployRun) fail(step string, counts *plan.Counts) error {
	return d.failWith(step, plan.Event{Counts: counts})
}

// failWith prints the final event e as a failure during step.
func (d *deployRun) failWith(step string, e plan.Event) error {
	d.ended.Store(true)
	e.Type, e.Status, e.Title = plan.EventFinish, "failed", d.mode.action+" FAILED"
	e.MaxRSS = maxRSS()
	if d.mode == modeDeploy {
		e.Title += " (during " + step + ")"
	}
	d.r.Event(e)
	return exitError{1}
}

func (d *deployRun) run(ctx context.Context, s *starlib.Session, jobs int, breakLock bool) error {
	d.r.Event(plan.Event{Type: plan.EventStart, Format: plan.Format, Environment: d.env, Mode: d.mode.name})
	d.section("Preparing")
	d.info(fmt.Sprintf("Loading environment `%s`...", d.env))
	d.r.setMasker(s.Sensitive)
	model, errs := runtime.LoadWith(".", d.env, s, runtime.LoadOptions{Keys: secretKeys()})
	d.warn(model)
	if len(errs) > 0 {
		if model != nil && s.Interrupted() == "" { // show configure errors of what loaded, too
			errs = append(errs, model.ConfigureWith(configureOptions(ctx, d.r))...)
			errs.Sort()
		}
		d.showErrors(errs)
		return d.fail("load", nil)
	}
	var pre *remote.Prestarted
	if d.mode != modeConsistency {
		pre = remote.Prestart(targets(model, nil, nil), d.agentCommand(), projectSSHConfig())
		defer pre.Close()
		abortHooksFrom(ctx).add(pre.Abort)
		if reused, _ := d.cache.Lookup(model); reused != nil {
			return d.deployReused(ctx, model, reused, jobs, breakLock, pre)
		}
	}
	cerrs := model.ConfigureWith(configureOptions(ctx, d.r))
	c := &configureResult{warnings: model.Warnings}
	d.warn(model)
	c.logs = model.ConfigureLogs()
	for _, e := range c.logs {
		d.r.Event(e)
	}
	if len(cerrs) > 0 {
		d.showErrors(cerrs)
		return d.fail("configure", nil)
	}
	if d.mode == modeConsistency {
		return d.finish(nil, 0)
	}
	plans, err := model.Plans(runtime.CompileOptions{Version: version, Now: time.Now()})
	if err != nil {
		d.r.Event(plan.Event{Type: plan.EventError, Message: err.Error()})
		return d.fail("configure", nil)
	}
	c.plans, c.schedule = plans, model.Schedule()
	if d.cache.Keeps(model) {
		c.wires = make([]*plan.Wire, len(plans))
		for i := range plans {
			c.wires[i] = &plan.Wire{}
		}
	}
	return d.deploy(ctx, model, c, jobs, breakLock, pre)
}

// configureResult is what configure and compile produced: the plans and the
// schedule, and what deploy keeps for the next run (the configure log
// lines and warnings, the plans' wire form as sent).
type configureResult struct {
	plans    []*plan.Plan
	schedule *plan.Schedule
	logs     []plan.Event
	warnings []*runtime.Error
	// wires receive the plans' wire form as they are sent (nil: nothing
	// is kept).
	wires []*plan.Wire
}

// deployReused deploys the plans of an earlier run that read the same
// files, after showing its warnings and log lines.
func (d *deployRun) deployReused(ctx context.Context, model *runtime.Model, r *runtime.Reused, jobs int, breakLock bool, pre *remote.Prestarted) error {
	d.info("Nothing configure reads has changed since the last deploy: using its plans.")
	model.Warnings = r.Warnings
	d.warn(model)
	for _, e := range r.Logs {
		d.r.Event(e)
	}
	now := time.Now().UTC()
	for _, p := range r.Plans {
		p.Created = now
	}
	return d.deploy(ctx, model, &configureResult{plans: r.Plans, schedule: r.Schedule}, jobs, breakLock, pre)
}

// agentCommand is how this binary starts an agent on this machine.
func (d *deployRun) agentCommand() []string {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return []string{exe, "agent"}
}

// warn shows (once) the warnings the model collected so far.
func (d *deployRun) warn(m *runtime.Model) {
	if m == nil {
		return
	}
	for _, w := range m.Warnings {
		d.r.Event(errorEvent(plan.EventWarning, w))
	}
	m.Warnings = nil
}

func (d *deployRun) showErrors(errs runtime.Errors) {
	for _, e := range errs {
		d.r.Event(errorEvent(plan.EventError, e))
	}
}

func errorEvent(typ string, e *runtime.Error) plan.Event {
	return plan.Event{Type: typ, Host: e.Host, Path: e.Component, File: e.File, Line: e.Line,
		Message: e.Msg, Hint: e.Hint, Detail: e.Detail}
}

func (d *deployRun) deploy(ctx context.Context, model *runtime.Model, c *configureResult, jobs int, breakLock bool, pre *remote.Prestarted) error {
	if jobs == 0 {
		jobs = model.Env.Jobs
	}
	d.section("Connecting hosts")
	connectStart := time.Now()
	opts := remote.Options{Mode: d.mode.name, Jobs: jobs, Agent: d.agentCommand(), BreakLock: breakLock, Emit: d.r.Event,
		Prestarted: pre, SSHConfig: projectSSHConfig(), AgentBinary: agentBinary, Holder: holder()}
	dep := remote.NewDeployment(opts)
	abortHooksFrom(ctx).add(dep.Abort)
	if err := dep.Connect(ctx, targets(model, c.plans, c.wires)); err != nil {
		d.r.Event(plan.Event{Type: plan.EventError, Message: err.Error()})
		return d.fail("connect", nil)
	}
	d.times = append(d.times, "connect="+seconds(time.Since(connectStart)))
	d.section(d.mode.working)
	deployStart := time.Now()
	sum := dep.Deploy(ctx, c.schedule)
	// The plans are kept while the agents end (not while they deploy,
	// when their CPU is worth more).
	kept := make(chan error, 1)
	if c.wires != nil {
		go func() { kept <- d.cache.Store(model, c.plans, c.wires, c.schedule, c.logs, c.warnings) }()
	} else {
		kept <- nil
	}
	if err := dep.Close(); err != nil {
		d.r.Event(plan.Event{Type: plan.EventWarning, Message: err.Error()})
	}
	d.times = append(d.times, "deploy="+seconds(time.Since(deployStart)))
	if err := <-kept; err != nil {
		d.r.Event(plan.Event{Type: plan.EventWarning, Host: "main", Message: err.Error(),
			Hint: "the next deploy configures afresh; check the cache directory or use --no-cache"})
	}
	return d.finish(sum, len(model.Hosts))
}

// targets pairs hosts with their plans (and where to keep each plan's
// wire form, when wires is not nil).
func targets(m *runtime.Model, plans []*plan.Plan, wires []*plan.Wire) []*remote.Target {
	byHost := map[string]*plan.Plan{}
	keep := map[string]*plan.Wire{}
	for i, p := range plans {
		byHost[p.Host.Name] = p
		if wires != nil {
			keep[p.Host.Name] = wires[i]
		}
	}
	out := make([]*remote.Target, 0, len(m.Hosts))
	for _, h := range m.Hosts {
		// The environment accepts only connect methods that name a
		// transport (TestConnectMethodsHaveTransports).
		tr, _ := remote.TransportNamed(h.ConnectMethod)
		out = append(out, &remote.Target{Host: h.Name, Transport: tr, Plan: byHost[h.Name], Keep: keep[h.Name], Ignore: h.Ignore,
			Address: h.Info.FQDN, ServiceUser: h.ServiceUser, RequireSudo: h.RequireSudo,
			Timeout: time.Duration(m.Env.Timeout) * time.Second})
	}
	return out
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// finish prints the summary and the final banner.
func (d *deployRun) finish(sum *remote.Summary, hosts int) error {
	d.ended.Store(true)
	d.section("Summary")
	counts := &plan.Counts{Hosts: hosts}
	took := "Deployment took"
	if d.mode == modeConsistency {
		took = "Consistency check took"
	}
	msg := fmt.Sprintf("%s total=%s", took, seconds(time.Since(d.start)))
	if len(d.times) > 0 {
		msg += ", " + strings.Join(d.times, ", ")
	}
	detail := ""
	if sum != nil {
		counts.Roots, counts.Done, counts.Changed = len(sum.Roots), sum.Done, sum.Changed
		counts.Failed, counts.Skipped, counts.NotStarted = sum.Failed, sum.Skipped, sum.NotStarted
		detail = summaryLists(sum)
	}
	if sum != nil && (sum.Failed > 0 || sum.NotStarted > 0) {
		return d.failWith("deploy", plan.Event{Message: msg, Counts: counts, Detail: detail})
	}
	d.r.Event(plan.Event{Type: plan.EventFinish, Status: "ok", Title: d.mode.action + " FINISHED", Message: msg, Counts: counts, Detail: detail,
		MaxRSS: maxRSS()})
	return nil
}

// summaryLists names the roots that changed, failed or never started.
func summaryLists(sum *remote.Summary) string {
	groups := map[string][]string{}
	for _, r := range sum.Roots {
		id := r.Host + ": " + r.Root
		if r.Changed {
			groups["changed"] = append(groups["changed"], id)
		}
		if r.Status == "failed" || r.Status == "not-started" {
			groups[r.Status] = append(groups[r.Status], id)
		}
	}
	var lines []string
	for _, k := range []string{"changed", "failed", "not-started"} {
		if len(groups[k]) > 0 {
			lines = append(lines, fmt.Sprintf("%s: %s", strings.ReplaceAll(k, "-", " "), strings.Join(groups[k], ", ")))
		}
	}
	return strings.Join(lines, "\n")
}

// outputLost tells errw that the output cannot be written (err) and,
// while the work goes on, stops it in order (interrupt). Once the work has
// ended, only the rest of the summary is lost: nothing is stopped, and the
// exit status is the run's own.
func (d *deployRun) outputLost(err error, errw io.Writer, interrupt func()) {
	what, hint := lostOutput(err, d.line)
	if d.ended.Load() {
		fmt.Fprintf(errw, "batou deploy: %s (%v) after the work had ended: the rest of the summary is not shown\n", what, err)
		return
	}
	fmt.Fprintf(errw, "batou deploy: %s (%v): the deploy stops in order, as on Ctrl-C\n  hint: %s\n", what, err, hint)
	interrupt()
}

// lostOutput says what happened to an output that a write failed on
// (err), and what to do, with the user's own command line (line): nobody
// reads a pipe any more (`| head`), or the file it goes to cannot take
// more (a full disk). A deploy whose record is lost stops rather than go
// on unseen.
func lostOutput(err error, line string) (what, hint string) {
	if errors.Is(err, syscall.EPIPE) {
		return "its output is closed", fmt.Sprintf("to deploy without watching, send the output to a file (%s > deploy.log)", line)
	}
	return "cannot write its output", fmt.Sprintf("make room where the output goes, or send it elsewhere (%s > /path/with/room/deploy.log)", line)
}
