package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"go.starlark.net/starlark"
)

// walker deploys the tree of one root.
type walker struct {
	d       *deployer
	hr      *hostRoot
	thread  *starlark.Thread
	workdir string
	// touched are the paths updated components wrote to, for flush.
	touched []string
	// files are read ahead for verifies until something may change them.
	files *components.Prefetch
	// ahead is the run of Files being deployed (nil outside one).
	ahead *ahead
	// ctx is the context built-in kinds get, for the component cur.
	ctx *components.Context
	cur *starlib.Component
	// reuse holds, by kind, the map reusedAttrs fills again for each
	// component.
	reuse map[*components.Kind]components.Attrs
}

// verdict is what verify found out about one component.
type verdict struct {
	needs  bool
	reason string
	diff   string
}

// errInterrupted stops a deploy between components.
var errInterrupted = fmt.Errorf("interrupted: stopped before this component; everything before it is deployed")

// deploy deploys n (component c): children first, then verify, update.
func (w *walker) deploy(n *plan.Node, c *starlib.Component) (bool, *plan.Event) {
	if w.d.interrupted != nil && w.d.interrupted.Load() {
		return false, w.d.failure(n, c.Path(), errInterrupted)
	}
	kids := c.Children()
	var run *ahead // the run of Files that child i belongs to, up to end
	end := 0
	defer func() { w.endRun(run) }()
	for i := 0; i < len(n.Children); i++ {
		if i >= end {
			w.endRun(run)
			run, end = w.findRun(n.Children, i)
		}
		if run != nil {
			run.after = n.Children[i+1 : end]
		}
		var changed, both bool
		var ev *plan.Event
		if i+1 < len(n.Children) && w.pairs(n.Children[i], n.Children[i+1]) {
			changed, ev, both = w.deployPair(n.Children[i], kids[i], n.Children[i+1], kids[i+1])
		} else {
			changed, ev = w.deploy(n.Children[i], kids[i])
		}
		c.Changed = c.Changed || changed
		if ev != nil {
			return c.Changed, ev
		}
		if both {
			i++
		}
	}
	v, ev := w.check(n, c)
	if ev != nil || !v.needs {
		return c.Changed, ev
	}
	return w.apply(n, c, v)
}

// check runs the verify of n (component c), after its children.
func (w *walker) check(n *plan.Node, c *starlib.Component) (verdict, *plan.Event) {
	w.d.busy.mark(c, false)
	v, err := w.verify(n, c)
	if err != nil {
		return verdict{}, w.d.failure(n, c.Path(), err)
	}
	return v, nil
}

// apply reports what verify found out of date and updates it.
func (w *walker) apply(n *plan.Node, c *starlib.Component, v verdict) (bool, *plan.Event) {
	path := c.Path()
	w.report(path, v)
	c.Changed = true // an update that fails half way has changed things too
	if !w.d.predict {
		w.d.busy.mark(c, true)
		// What was written ahead may hold the room (space, inodes) this
		// update needs, which it would have had without: writing ahead
		// ends for the rest of the run.
		if w.ahead != nil {
			w.ahead.stage.Stop()
		}
		if err := w.update(n, c); err != nil {
			return true, w.d.failure(n, path, err)
		}
	}
	return true, nil
}

// pairs reports whether p and q are the Presence and the Content of one
// file (as every File with content has), which deployPair may deploy in
// one step.
func (w *walker) pairs(p, q *plan.Node) bool {
	if p.Kind != "Presence" || q.Kind != "Content" || p.Def != nil || q.Def != nil ||
		len(p.Children) != 0 || len(q.Children) != 0 || w.d.predict || len(w.hr.handlers) != 0 {
		return false
	}
	path := p.Attrs["path"]
	return path != nil && path == q.Attrs["path"]
}

// deployPair deploys the Presence p and the Content q of one file. When
// the file is missing it is created with its content at once
// (components.CreateWithContent), with the same reports as deploying p
// and then q gives; content that comes as a blob is left to q, which
// creates the file whole (both true). Otherwise, or when that cannot be
// done, p is deployed as usual and q is left to the caller (both false).
func (w *walker) deployPair(p *plan.Node, cp *starlib.Component, q *plan.Node, cq *starlib.Component) (changed bool, ev *plan.Event, both bool) {
	if w.d.interrupted != nil && w.d.interrupted.Load() {
		return false, w.d.failure(p, cp.Path(), errInterrupted), false
	}
	path, _ := p.Attrs["path"].(string)
	if w.ahead != nil && (w.ahead.stage != nil || w.ahead.missing) {
		w.d.busy.mark(cp, false)
		if res, done := w.createAhead(path, q, cq); done {
			w.created(path, p, cp, q, cq, res)
			return true, nil, true
		}
	}
	v, ev := w.check(p, cp)
	if ev != nil || !v.needs {
		return false, ev, false
	}
	if v.reason != components.ReasonMissing {
		changed, ev = w.apply(p, cp, v)
		return changed, ev, false
	}
	w.files.Stop() // the host changes from here on
	w.writeAhead()
	// CreateWithContent keeps nothing of the attributes, which are read
	// no more once q's own deploy starts.
	k := w.d.session.Kinds.Get(q.Kind)
	attrs := w.reusedAttrs(k, q.Attrs)
	res, done := components.CreateWithContent(w.kindContext(cq), attrs)
	if !done {
		if _, blob := attrs["content"].(components.Blob); blob && isDir(filepath.Dir(expandHome(path, w.d.home))) {
			// Large content comes as a blob, streamed into a temporary
			// file moved into place: the Content creates the file whole.
			// An empty file first (Presence) would stay at the target
			// should the transfer fail (a full disk, Ctrl-C).
			w.report(cp.Path(), v)
			cp.Changed = true
			_, ev = w.deploy(q, cq)
			return true, ev, true
		}
		changed, ev = w.apply(p, cp, v)
		return changed, ev, false
	}
	if w.ahead != nil {
		w.ahead.missing = true
	}
	w.created(path, p, cp, q, cq, res)
	return true, nil, true
}

// createAhead creates the file path of the next File of the run (its
// Content q, component cq) without verifying its Presence first: from
// what was written ahead, or, once a File of the run was found missing,
// if nothing stands at path. It returns what Content's verify would have
// found after Presence created the file, and false, with nothing
// changed, when the deploy must verify as usual.
func (w *walker) createAhead(path string, q *plan.Node, cq *starlib.Component) (components.Result, bool) {
	ctx := w.kindContext(cq)
	if w.ahead.stage != nil {
		if res, done := components.CreateStaged(ctx, path); done {
			return res, true
		}
	}
	if !w.ahead.missing {
		return components.Result{}, false
	}
	// CreateIfMissing keeps nothing of the attributes.
	k := w.d.session.Kinds.Get(q.Kind)
	res, done := components.CreateIfMissing(ctx, w.reusedAttrs(k, q.Attrs))
	w.ahead.missing = done
	return res, done
}

// created reports that the missing file path of the Presence p (component
// cp) was created with the content of the Content q (cq): res is what q's
// verify found against the empty file.
func (w *walker) created(path string, p *plan.Node, cp *starlib.Component, q *plan.Node, cq *starlib.Component, res components.Result) {
	w.report(cp.Path(), verdict{needs: true, reason: components.ReasonMissing})
	cp.Changed = true
	// The new file is on the file system of its directory (it was renamed
	// into it): flush looks at each directory once, not at every file.
	if !w.touchedDirOf(path) {
		w.touched = append(w.touched, filepath.Dir(expandHome(path, w.d.home)))
	}
	if res.NeedsUpdate {
		w.report(cq.Path(), w.verdictOf(res, q))
		cq.Changed = true
	}
}

// touchedDirOf reports whether the directory of path is the last one
// noted in touched (as it is for most Files of a run).
func (w *walker) touchedDirOf(path string) bool {
	if len(w.touched) == 0 {
		return false
	}
	i := strings.LastIndexByte(path, '/')
	return i > 0 && path[:i] == w.touched[len(w.touched)-1]
}

func (w *walker) report(path string, v verdict) {
	action := "update"
	if w.d.predict {
		action = "predict"
	}
	w.d.emit(plan.Event{Type: plan.EventComponent, Root: w.d.root.Name, Path: path, Action: action, Diff: v.diff, Message: v.reason})
}

func (w *walker) verify(n *plan.Node, c *starlib.Component) (verdict, error) {
	if k := c.Def().Kind(); k != nil {
		return w.verifyKind(k, n, c)
	}
	w.files.Stop() // Starlark code may change files
	needs, reason, err := c.Verify(w.thread)
	return verdict{needs: needs, reason: reason}, err
}

func (w *walker) verifyKind(k *components.Kind, n *plan.Node, c *starlib.Component) (verdict, error) {
	if k.Verify == nil {
		return verdict{}, nil
	}
	// Verify neither keeps nor changes its attributes (components.Kind),
	// and update makes its own: the map is filled again for the next
	// component of the kind.
	res, err := k.Verify(w.kindContext(c), w.reusedAttrs(k, n.Attrs))
	if err != nil {
		return verdict{}, err
	}
	return w.verdictOf(res, n), nil
}

// reusedAttrs is kindAttrs in the walker's map for k, which the next call
// for k fills again: for a call that neither keeps nor changes the
// attributes (a kind's Verify, components.CreateIfMissing). That saves a
// copy of the defaults per component.
func (w *walker) reusedAttrs(k *components.Kind, a plan.Attrs) components.Attrs {
	dst, ok := w.reuse[k]
	dst = withDefaultsIn(dst, w.d.kindDefaults(k), a)
	if !ok {
		if w.reuse == nil {
			w.reuse = map[*components.Kind]components.Attrs{}
		}
		w.reuse[k] = dst
	}
	return dst
}

// verdictOf turns the result of a built-in kind's verify of n into a
// verdict, its diff masked where it would show a secret.
func (w *walker) verdictOf(res components.Result, n *plan.Node) verdict {
	v := verdict{needs: res.NeedsUpdate, reason: res.Reason, diff: res.Diff}
	switch {
	case res.Sensitive && v.diff != "":
		v.diff = "(diff not shown: the file holds sensitive data)\n"
	case diffShowsSecret(w.d.session.Sensitive, n.Attrs, v.diff):
		v.diff = secretNote
	}
	return v
}

// update fires before-update handlers, runs update and, for built-in
// kinds, checks that the update converged.
func (w *walker) update(n *plan.Node, c *starlib.Component) error {
	w.files.Stop() // the host changes from here on
	if err := w.beforeUpdate(c); err != nil {
		return err
	}
	k := c.Def().Kind()
	if k == nil {
		return c.Update(w.thread)
	}
	if k.Update == nil {
		return nil
	}
	attrs := w.d.kindAttrs(k, n.Attrs)
	ctx := w.kindContext(c)
	if err := k.Update(ctx, attrs); err != nil {
		return err
	}
	if p, ok := attrs[k.Writes].(string); ok && k.Writes != "" {
		w.touched = append(w.touched, expandHome(p, w.d.home))
	}
	res, err := k.Verify(ctx, attrs)
	if err != nil {
		return err
	}
	if res.NeedsUpdate {
		return fmt.Errorf("update did not converge: %s still needs an update after updating (%s)", c.Path(), res.Reason)
	}
	return nil
}

// kindContext returns the context for the built-in kind c: one per root,
// pointed at the component it serves.
func (w *walker) kindContext(c *starlib.Component) *components.Context {
	if w.ctx == nil {
		w.ctx = &components.Context{Workdir: w.workdir, Home: w.d.home, Predict: w.d.predict, Files: w.files,
			Atomic: w.d.session.Atomic, Shared: w.d.shared, Log: w.log, Blobs: w.d.blobs, Stop: w.d.session.Context}
	}
	w.cur = c
	w.ctx.Stage = nil
	if w.ahead != nil {
		w.ctx.Stage = w.ahead.stage
	}
	w.ctx.ParentChanged = c.Parent() != nil && c.Parent().Changed
	return w.ctx
}

// log reports a message of the built-in kind running now.
func (w *walker) log(format string, args ...any) {
	w.d.emit(plan.Event{Type: plan.EventLog, Root: w.d.root.Name, Path: w.cur.Path(), Message: fmt.Sprintf(format, args...)})
}

// beforeUpdate calls the before-update handlers of the root's components
// in scope: "*" handlers always, "precursor" ones when c is deployed
// before them (deploy order: sub-components before their parent).
func (w *walker) beforeUpdate(c *starlib.Component) error {
	if len(w.hr.handlers) == 0 {
		return nil
	}
	for _, x := range w.hr.handlers {
		scope := x.Def().BeforeUpdateScope()
		if x == c || (scope == "precursor" && w.hr.pos[c] >= w.hr.pos[x]) {
			continue
		}
		if err := x.BeforeUpdate(w.thread, c); err != nil {
			return fmt.Errorf("before-update handler of %s: %w", x.Path(), err)
		}
	}
	return nil
}

// indexHandlers records the components with before-update handlers and,
// when there are any, every component's place in deploy order (children
// before parents).
func (hr *hostRoot) indexHandlers() {
	var find func(c *starlib.Component)
	find = func(c *starlib.Component) {
		if c.Def().BeforeUpdateScope() != "" {
			hr.handlers = append(hr.handlers, c)
		}
		for _, ch := range c.Children() {
			find(ch)
		}
	}
	find(hr.sroot.Top)
	if len(hr.handlers) == 0 {
		return
	}
	hr.pos = map[*starlib.Component]int{}
	var walk func(c *starlib.Component)
	walk = func(c *starlib.Component) {
		for _, ch := range c.Children() {
			walk(ch)
		}
		hr.pos[c] = len(hr.pos)
	}
	walk(hr.sroot.Top)
}

// isDir reports whether p is a directory (following symlinks).
func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}
