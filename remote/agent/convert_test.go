package agent

import (
	"reflect"
	"testing"

	"github.com/batou-go/batou/components"
	"github.com/batou-go/batou/runtime/plan"
)

// TestWithDefaultsInForgetsTheLastFile: a map reused for the attributes of
// the next file holds exactly what a new one would, whatever the last
// file set (a sensitive file before one that is not, a name without a
// default).
func TestWithDefaultsInForgetsTheLastFile(t *testing.T) {
	def := components.Attrs{"path": nil, "content": nil, "encoding": "utf-8", "sensitive_data": nil}
	files := []plan.Attrs{
		{"path": "/a", "content": "secret", "sensitive_data": true},
		{"path": "/b", "content": "plain"},
		{"path": "/c", "content": plan.Bytes("x"), "mode": int64(0o600)},
		{"path": "/d", "content": "latin", "encoding": "latin-1"},
		{"path": "/e", "content": "plain again"},
	}
	var dst components.Attrs
	for _, a := range files {
		dst = withDefaultsIn(dst, def, a)
		if want := withDefaults(def, a); !reflect.DeepEqual(dst, want) {
			t.Errorf("%s: got %v, want %v", a["path"], dst, want)
		}
	}
	if !reflect.DeepEqual(def, components.Attrs{"path": nil, "content": nil, "encoding": "utf-8", "sensitive_data": nil}) {
		t.Errorf("def changed: %v", def)
	}
}
