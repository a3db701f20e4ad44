package agent

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"go.starlark.net/starlark"
)

// Renderer renders templates on the host (self.expand in verify/update).
type Renderer = starlib.Renderer

// deployer deploys the roots of one plan.
type deployer struct {
	plan    *plan.Plan
	home    string
	emit    func(plan.Event)
	session *starlib.Session
	loader  *starlib.Loader
	predict bool
	root    *plan.Root
	written []string // paths written while deploying the current root
	// interrupted stops the deploy before the next component.
	interrupted *atomic.Bool
	busy        busyState
	// shared is what built-in kinds keep for the whole plan.
	shared *components.Shared
	// blobs fetches file content from the controller.
	blobs *blobs
	// thread runs the current root's Starlark code; cancelled stops it
	// and every later one.
	thread    atomic.Pointer[starlark.Thread]
	cancelled atomic.Pointer[string]
	// defaults are the built-in kinds' attribute defaults (kindAttrs),
	// used by the walker's goroutine only.
	defaults map[*components.Kind]components.Attrs
}

// cancel stops the Starlark code running now, and any started later, with
// reason as its error.
func (d *deployer) cancel(reason string) {
	d.cancelled.Store(&reason)
	if t := d.thread.Load(); t != nil {
		t.Cancel(reason)
	}
}

// busyState is the component running now, for the watcher that reports
// long verifies and updates (and so lets the controller name the last
// thing a lost host did).
type busyState struct {
	comp   atomic.Pointer[starlib.Component]
	update atomic.Bool
	start  atomic.Int64 // when, in Unix nanoseconds
}

// mark records that c's verify (or update) starts.
func (b *busyState) mark(c *starlib.Component, update bool) {
	b.comp.Store(c)
	b.update.Store(update)
	b.start.Store(time.Now().UnixNano())
}

// Reports of a busy component: the first after busyFirst, then every
// busyEvery.
var (
	busyTick  = 250 * time.Millisecond
	busyFirst = 2 * time.Second
	busyEvery = 30 * time.Second
)

// watch emits a busy event while one component's verify or update keeps
// running, until stop is closed.
func (d *deployer) watch(root string, stop <-chan struct{}) {
	t := time.NewTicker(busyTick)
	defer t.Stop()
	last, next := int64(-1), busyFirst
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			start := d.busy.start.Load()
			if start != last { // another component (or phase) started
				last, next = start, busyFirst
			}
			c := d.busy.comp.Load()
			since := time.Unix(0, start)
			if c == nil || now.Sub(since) < next {
				continue
			}
			action := "verify"
			if d.busy.update.Load() {
				action = "update"
			}
			took := now.Sub(since).Round(time.Second)
			d.emit(plan.Event{Type: plan.EventBusy, Root: root, Path: c.Path(), Action: action,
				Message: fmt.Sprintf("%s still running after %s", action, took)})
			next = took + busyEvery
		}
	}
}

// touched returns the paths written while deploying r (at least its
// workdir).
func (d *deployer) touched(r *plan.Root) []string {
	if len(d.written) == 0 {
		return []string{expandHome(r.Workdir, d.home)}
	}
	return d.written
}

func newDeployer(p *plan.Plan, home string, emit func(plan.Event), r Renderer) *deployer {
	d := &deployer{plan: p, home: home, emit: emit, shared: components.NewShared()}
	d.session = starlib.NewSession("", r)
	d.session.Host = d
	d.session.HostAssets = p.Assets
	d.loader = &starlib.Loader{Session: d.session, Read: d.readProgram}
	return d
}

func (d *deployer) readProgram(rel string) ([]byte, error) {
	src, ok := d.plan.Programs[rel]
	if !ok {
		return nil, fmt.Errorf("%s is not part of the plan", rel)
	}
	return []byte(src), nil
}

// Predicting implements starlib.HostSide.
func (d *deployer) Predicting() bool { return d.predict }

// Home implements starlib.HostSide.
func (d *deployer) Home() string { return d.home }

// Log implements starlib.HostSide.
func (d *deployer) Log(c *starlib.Component, msg string) {
	d.emit(plan.Event{Type: plan.EventLog, Root: d.root.Name, Path: c.Path(), Message: msg})
}

// runRoot deploys the root called name and reports how it went. It stops
// before the next component once interrupted is set.
func (d *deployer) runRoot(name string, predict bool, interrupted *atomic.Bool) {
	d.predict, d.interrupted = predict, interrupted
	finish := plan.Event{Type: plan.EventRootFinish, Root: name, Status: "ok", Changed: plan.Bool(false)}
	r := d.findRoot(name)
	if r == nil {
		d.emit(plan.Event{Type: plan.EventError, Root: name, Message: "the plan has no root " + name})
		finish.Status = "failed"
		d.emit(finish)
		return
	}
	d.root = r
	stop := make(chan struct{})
	go d.watch(name, stop)
	changed, err := d.deployRoot(r)
	close(stop)
	d.busy.comp.Store(nil)
	if err != nil {
		d.emit(*err)
		finish.Status = "failed"
	}
	if !predict {
		d.finishKinds(r)
	}
	if changed && !predict {
		if ferr := flush(d.touched(r)); ferr != nil {
			d.emit(plan.Event{Type: plan.EventWarning, Root: r.Name, Message: "flushing written files to disk: " + ferr.Error()})
		}
	}
	finish.Changed = plan.Bool(changed)
	d.emit(finish)
}

func (d *deployer) findRoot(name string) *plan.Root {
	for _, r := range d.plan.Roots {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// hostRoot holds the components of one root during its deploy.
type hostRoot struct {
	sroot *starlib.Root
	// byID holds the components by the ID of their node: IDs count from
	// 1 within a root; the ones out of its range are in sparse.
	byID     []*starlib.Component
	sparse   map[int]*starlib.Component
	handlers []*starlib.Component // components with a before-update handler
	pos      map[*starlib.Component]int
}

func (d *deployer) deployRoot(r *plan.Root) (bool, *plan.Event) {
	workdir := expandHome(r.Workdir, d.home)
	if err := os.MkdirAll(workdir, 0o755); err != nil {
		return false, d.failure(r.Node, r.Node.Label, fmt.Errorf("creating workdir %s: %w", workdir, err))
	}
	files := d.prefetch(r, workdir) // read while the components are built
	defer files.Stop()
	hr, err := d.build(r, workdir)
	if err != nil {
		return false, d.failure(r.Node, r.Node.Label, err)
	}
	thread := d.session.NewThread(r.Name, starlib.PhaseHost)
	// Components run in their root's workdir: commands are started there
	// and fs paths are relative to it (the agent process never changes
	// directory, so that several agents can share a process).
	starlib.SetWorkdir(thread, workdir)
	d.thread.Store(thread)
	if reason := d.cancelled.Load(); reason != nil {
		thread.Cancel(*reason)
	}
	w := &walker{d: d, hr: hr, thread: thread, workdir: workdir, files: files}
	d.prepareKinds(r, workdir)
	changed, ev := w.deploy(r.Node, hr.sroot.Top)
	d.written = append(w.touched, workdir)
	return changed, ev
}

// prefetch starts reading the files the root's verifies will compare.
func (d *deployer) prefetch(r *plan.Root, workdir string) *components.Prefetch {
	pf := components.NewPrefetch()
	pf.UntilMissing = !d.predict // a missing file stops the prefetch when the deploy comes to it
	ctx := &components.Context{Workdir: workdir, Home: d.home}
	r.Node.Walk(func(n *plan.Node) {
		if k := d.session.Kinds.Get(n.Kind); n.Def == nil && k != nil && k.ReadAhead != "" {
			if path, ok := n.Attrs[k.ReadAhead].(string); ok {
				pf.Add(ctx, path)
			}
		}
	})
	pf.Start(min(max(runtime.GOMAXPROCS(0), 2), 4))
	return pf
}

// prepareKinds hands every kind with a Prepare hook the attributes of its
// components in the root.
func (d *deployer) prepareKinds(r *plan.Root, workdir string) {
	byKind := map[*components.Kind][]components.Attrs{}
	r.Node.Walk(func(n *plan.Node) {
		if k := d.session.Kinds.Get(n.Kind); n.Def == nil && k != nil && k.Prepare != nil {
			byKind[k] = append(byKind[k], d.kindAttrs(k, n.Attrs))
		}
	})
	for k, all := range byKind {
		k.Prepare(d.kindContext(workdir, r.Node.Label, nil, nil), all)
	}
}

// finishKinds runs the Finish hooks of the built-in kinds after a root;
// their errors are reported as warnings.
func (d *deployer) finishKinds(r *plan.Root) {
	for _, name := range d.session.Kinds.Names() {
		k := d.session.Kinds.Get(name)
		if k.Finish == nil {
			continue
		}
		ctx := d.kindContext(expandHome(r.Workdir, d.home), r.Node.Label, nil, nil)
		if err := k.Finish(ctx); err != nil {
			d.emit(plan.Event{Type: plan.EventWarning, Root: r.Name, Message: fmt.Sprintf("%s: %v", name, err)})
		}
	}
}

// build creates the host-side components of a root from its nodes.
func (d *deployer) build(r *plan.Root, workdir string) (*hostRoot, error) {
	env := d.plan.Environment
	sroot := d.session.NewRoot(r.Name, starlib.NewHost(d.plan.Host), starlib.NewEnvironment(env, d.plan.SecretFiles), workdir)
	// The project is not on the host: self.defdir is the project-relative
	// directory there (the files self.template reads come with the plan).
	sroot.DefdirRel, sroot.Defdir = r.Defdir, r.Defdir
	hr := &hostRoot{sroot: sroot}
	resolve := func(ref plan.Ref) starlark.Value {
		if c := hr.component(int(ref)); c != nil {
			return c
		}
		return starlark.None
	}
	count := countNodes(r.Node)
	b := starlib.NewHostBuilder(sroot, count)
	var create func(n *plan.Node, parent *starlib.Component) error
	create = func(n *plan.Node, parent *starlib.Component) error {
		def, err := d.defOf(n)
		if err != nil {
			return err
		}
		c := b.Add(def, parent, n.Label, len(n.Children))
		c.SetPlanAttrs(n.Attrs, resolve) // converted when read, after build
		hr.setComponent(n.ID, c)
		for _, ch := range n.Children {
			if err := create(ch, c); err != nil {
				return err
			}
		}
		return nil
	}
	hr.byID = make([]*starlib.Component, count+1) // IDs count from 1
	if err := create(r.Node, nil); err != nil {
		return nil, err
	}
	hr.indexHandlers()
	return hr, nil
}

// component returns the component of the node with the given ID (nil
// when there is none).
func (hr *hostRoot) component(id int) *starlib.Component {
	if id >= 0 && id < len(hr.byID) {
		return hr.byID[id]
	}
	return hr.sparse[id]
}

// setComponent records c as the component of the node with the given ID.
func (hr *hostRoot) setComponent(id int, c *starlib.Component) {
	if id >= 0 && id < len(hr.byID) {
		hr.byID[id] = c
		return
	}
	if hr.sparse == nil {
		hr.sparse = map[int]*starlib.Component{}
	}
	hr.sparse[id] = c
}

func countNodes(n *plan.Node) int {
	count := 0
	n.Walk(func(*plan.Node) { count++ })
	return count
}

// defOf returns the definition a node needs on the host.
func (d *deployer) defOf(n *plan.Node) (*starlib.Def, error) {
	if n.Def != nil {
		def, err := d.loader.Def(n.Def.File, n.Def.Name)
		if err != nil {
			return nil, fmt.Errorf("loading %s from the plan: %s", n.Def.Name, starlib.Message(err))
		}
		return def, nil
	}
	if def := d.session.KindDef(n.Kind); def != nil {
		return def, nil
	}
	return starlib.NewPlainDef(n.Kind), nil
}

// failure builds the error event of a failing component.
func (d *deployer) failure(n *plan.Node, path string, err error) *plan.Event {
	ev := &plan.Event{Type: plan.EventError, Root: d.root.Name, Path: path, Message: starlib.Message(err), Detail: starlib.Backtrace(err)}
	if f, l := starlib.Where(err); f != "" {
		ev.File, ev.Line = f, l
	} else if file, line, ok := splitOrigin(n.Origin); ok {
		ev.File, ev.Line = file, line
	}
	return ev
}

func splitOrigin(o string) (string, int, bool) {
	i := strings.LastIndex(o, ":")
	if i < 0 {
		return "", 0, false
	}
	var line int
	if _, err := fmt.Sscan(o[i+1:], &line); err != nil {
		return "", 0, false
	}
	return o[:i], line, true
}

// kindContext is a root-wide components.Context for built-in kinds (the
// Prepare and Finish hooks); c is the component (nil for a root-wide
// context). The walker keeps one context per root for components.
func (d *deployer) kindContext(workdir, path string, files *components.Prefetch, c *starlib.Component) *components.Context {
	parentChanged := c != nil && c.Parent() != nil && c.Parent().Changed
	return &components.Context{Workdir: workdir, Home: d.home, Predict: d.predict, Files: files, Atomic: d.session.Atomic,
		Shared: d.shared, ParentChanged: parentChanged, Blobs: d.blobs, Stop: d.session.Context,
		Log: func(format string, args ...any) {
			d.emit(plan.Event{Type: plan.EventLog, Root: d.root.Name, Path: path, Message: fmt.Sprintf(format, args...)})
		}}
}
