package starlib_test

import (
	"strings"
	"testing"

	"github.com/batou-go/batou/starlib"
	"github.com/batou-go/batou/starlib/jinja"
	"go.starlark.net/starlark"
)

// A template rendered outside configure (an expand=True default first
// read while the plans are compiled, the REPL, verify and update on the
// host) stops at the step limit, on Ctrl-C (Interrupt) and when its
// thread is cancelled, as Starlark code there does; before, a loop that
// did not end hung batou show, plan and deploy, and the REPL, for ever.
func TestTemplateStopsOutsideConfigure(t *testing.T) {
	endless := "a\n{% for i in range(1000000) %}{% endfor %}" // long enough to be stopped
	for _, tc := range []struct {
		name  string
		phase starlib.Phase
		max   uint64
		stop  func(*starlib.Session, *starlark.Thread)
		want  string
	}{
		{"step limit", starlib.PhaseCompile, 100000, nil, "did not finish within 100000 steps"},
		{"Ctrl-C", starlib.PhaseCompile, 0, func(s *starlib.Session, _ *starlark.Thread) { s.Interrupt("interrupted (Ctrl-C)") }, "interrupted (Ctrl-C)"},
		{"REPL Ctrl-C", starlib.PhaseInspect, 0, func(_ *starlib.Session, th *starlark.Thread) { th.Cancel("interrupted") }, "t.j2:2: interrupted"},
		{"agent orphaned", starlib.PhaseHost, 0, func(_ *starlib.Session, th *starlark.Thread) { th.Cancel("the controller went away") }, "the controller went away"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := starlib.NewSession(t.TempDir(), jinja.New())
			s.MaxSteps = tc.max
			th := s.NewThread("template", tc.phase)
			if tc.stop != nil {
				tc.stop(s, th)
			}
			_, err := jinja.New().Render(th, "t.j2", endless, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
		})
	}
}
