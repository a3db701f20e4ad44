package agent

import (
	"runtime"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
)

// aheadMin is the shortest run of Files worth writing ahead.
const aheadMin = 8

// ahead is a run of consecutive Files that only create their file (see
// stageable). Once the deploy finds one of them missing, the new files
// of the ones after it are written ahead on other cores while the deploy
// goes on (components.Stage).
type ahead struct {
	// after are the Files of the run after the one being deployed.
	after []*plan.Node
	// stage writes them ahead (nil until one is found missing).
	stage *components.Stage
	// missing is set once a File of the run was found missing (as in a
	// first deploy, where the rest are too): the next ones are then
	// created without looking first (components.CreateIfMissing), until
	// one is not missing.
	missing bool
}

// findRun looks at the run of Files that starts with nodes[i]. When it is
// long enough, it returns it (it is now w.ahead). end is the end of the
// run (i+1 when nodes[i] starts none).
func (w *walker) findRun(nodes []*plan.Node, i int) (run *ahead, end int) {
	end = i
	for end < len(nodes) && w.stageable(nodes[end]) {
		end++
	}
	if end == i {
		return nil, i + 1
	}
	if end-i < aheadMin {
		return nil, end
	}
	w.ahead = &ahead{}
	return w.ahead, end
}

// endRun stops writing ahead for run, removing what was written ahead and
// not used; run is no longer w.ahead.
func (w *walker) endRun(run *ahead) {
	if run == nil {
		return
	}
	run.stage.Stop()
	if w.ahead == run {
		w.ahead = nil
	}
}

// writeAhead starts writing ahead the Files of the run after the one being
// deployed, which was just found missing.
func (w *walker) writeAhead() {
	run := w.ahead
	workers := stageWorkers()
	if run == nil || run.stage != nil || len(run.after) == 0 || workers == 0 {
		return
	}
	after := run.after
	paths := make([]string, len(after))
	for i, n := range after {
		paths[i], _ = n.Children[1].Attrs["path"].(string) // a string: the Presence's (stageable, pairs)
	}
	def := w.d.kindDefaults(w.d.session.Kinds.Get("Content"))
	attrs := func(i int, dst components.Attrs) components.Attrs {
		return withDefaultsIn(dst, def, after[i].Children[1].Attrs)
	}
	ctx := &components.Context{Workdir: w.workdir, Home: w.d.home, Atomic: w.d.session.Atomic}
	run.stage = components.StartStage(ctx, paths, attrs, workers)
}

// stageable reports whether n is a File that only creates its file: its
// only sub-components are a Presence and a Content of the same path, with
// content held in the plan. A File named like a temporary file
// (.NAME.batou-tmp) ends a run: what is written ahead for a File NAME
// would stand at its path.
func (w *walker) stageable(n *plan.Node) bool {
	if n.Kind != "File" || n.Def != nil || len(n.Children) != 2 || !w.pairs(n.Children[0], n.Children[1]) {
		return false
	}
	if path, ok := n.Children[0].Attrs["path"].(string); !ok || components.IsTempName(path) {
		return false
	}
	switch n.Children[1].Attrs["content"].(type) {
	case string, plan.Bytes:
		return true
	}
	return false
}

// stageWorkers is how many goroutines write ahead: none on one core (the
// hand-overs between deploy and writers then only cost: a first deploy of
// the bench took 1.13x with two writers on one core), else as many as
// there are cores, two at least (the deploy itself mostly waits for the
// kernel; one writer gained half of what two gain on two cores), four at
// most.
func stageWorkers() int {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		return min(max(n, 2), 4)
	}
	return 0
}
