package agent

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
)

// rootPlan is a plan of one root whose top node has the given children.
func rootPlan(target string, kids ...*plan.Node) *plan.Plan {
	top := &plan.Node{ID: 1, Kind: "Top", Label: "Top", Children: kids}
	return &plan.Plan{Format: plan.Format, Version: testVersion, Host: plan.HostInfo{Name: "localhost", FQDN: "localhost"},
		TargetDirectory: target, Roots: []*plan.Root{{Name: "r", Workdir: filepath.Join(target, "work"), Node: top}}}
}

// runPlan runs the root of p in this process with the kinds of add
// registered too, and returns its events.
func runPlan(t *testing.T, p *plan.Plan, predict bool, add ...*components.Kind) []plan.Event {
	t.Helper()
	var events []plan.Event
	d := newDeployer(p, t.TempDir(), func(e plan.Event) { events = append(events, e) }, nil)
	for _, k := range add {
		d.session.Kinds.Add(k)
	}
	d.runRoot("r", predict, &atomic.Bool{})
	return events
}

// Every Content of a root is verified as if it were the only one: what
// one sets (sensitive_data=True, binary content, another encoding) is
// not seen by the next, whose diff shows as usual.
func TestVerifyForgetsTheLastComponent(t *testing.T) {
	target := t.TempDir()
	contents := []plan.Attrs{
		{"content": "secret\n", "sensitive_data": true},
		{"content": "plain\n"},
		{"content": plan.Bytes("bin\x00ary"), "encoding": nil},
		{"content": plan.Bytes("caf\xe9\n"), "encoding": "latin-1"},
		{"content": "na\u00efve\n"},
	}
	var kids []*plan.Node
	for i, a := range contents {
		name := string(rune('a' + i))
		p := filepath.Join(target, name)
		if err := os.WriteFile(p, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		a = maps.Clone(a)
		a["path"] = p
		kids = append(kids, &plan.Node{ID: i + 2, Kind: "Content", Label: "Content('" + name + "')", Attrs: a})
	}
	want := map[string][2]string{
		"Top > Content('a')": {"content differs", "(diff not shown: the file holds sensitive data)\n"},
		"Top > Content('b')": {"content differs", "--- " + filepath.Join(target, "b") + "\n+++ " + filepath.Join(target, "b") + "\n@@ -1 +1 @@\n-old\n+plain\n"},
		"Top > Content('c')": {"binary content differs", ""},
		"Top > Content('d')": {"content differs", "--- " + filepath.Join(target, "d") + "\n+++ " + filepath.Join(target, "d") + "\n@@ -1 +1 @@\n-old\n+caf\u00e9\n"},
		"Top > Content('e')": {"content differs", "--- " + filepath.Join(target, "e") + "\n+++ " + filepath.Join(target, "e") + "\n@@ -1 +1 @@\n-old\n+na\u00efve\n"},
	}
	seen := 0
	for _, e := range runPlan(t, rootPlan(target, kids...), true) {
		switch e.Type {
		case plan.EventError:
			t.Errorf("error: %s %s", e.Path, e.Message)
		case plan.EventComponent:
			seen++
			if w, ok := want[e.Path]; !ok || e.Message != w[0] || e.Diff != w[1] {
				t.Errorf("%s: %q\n%s\nwant %q\n%s", e.Path, e.Message, e.Diff, w[0], w[1])
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d components reported, want %d", seen, len(want))
	}
}

// A kind's Verify and Update get exactly the attributes of their own
// component over the kind's defaults, whatever the component verified
// before set (an attribute without a default too), also when a Verify
// asks for an update and the Update and the check after it follow.
func TestKindGetsOnlyItsComponentsAttrs(t *testing.T) {
	def := components.Attrs{"name": nil, "x": int64(0), "y": nil, "needs": false}
	type call struct {
		op    string
		attrs components.Attrs
	}
	var calls []call
	updated := map[string]bool{}
	probe := &components.Kind{Name: "Probe", Namevar: "name",
		Attrs: []components.Attr{{Name: "name", Type: components.TypeStr, Required: true},
			{Name: "x", Type: components.TypeInt, Default: int64(0)}, {Name: "y", Type: components.TypeStr},
			{Name: "needs", Type: components.TypeBool, Default: false}},
		Verify: func(_ *components.Context, a components.Attrs) (components.Result, error) {
			calls = append(calls, call{"verify", maps.Clone(a)})
			name, _ := a["name"].(string)
			return components.Result{NeedsUpdate: a["needs"] == true && !updated[name], Reason: "probe"}, nil
		},
		Update: func(_ *components.Context, a components.Attrs) error {
			calls = append(calls, call{"update", maps.Clone(a)})
			name, _ := a["name"].(string)
			updated[name] = true
			return nil
		},
	}
	probes := []plan.Attrs{
		{"name": "1", "x": int64(5), "extra": "e"},
		{"name": "2"},
		{"name": "3", "y": "why", "needs": true},
		{"name": "4", "x": int64(7)},
		{"name": "5", "extra": "f", "needs": true},
		{"name": "6"},
	}
	var kids []*plan.Node
	var want []call
	for i, a := range probes {
		kids = append(kids, &plan.Node{ID: i + 2, Kind: "Probe", Label: "Probe('" + a["name"].(string) + "')", Attrs: a})
		own := withDefaults(def, a)
		want = append(want, call{"verify", own})
		if a["needs"] == true {
			want = append(want, call{"update", own}, call{"verify", own})
		}
	}
	for _, e := range runPlan(t, rootPlan(t.TempDir(), kids...), false, probe) {
		if e.Type == plan.EventError {
			t.Errorf("error: %s %s", e.Path, e.Message)
		}
	}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("calls:\n%v\nwant\n%v", calls, want)
	}
}
