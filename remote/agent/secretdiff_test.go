package agent

import (
	"testing"

	"github.com/batou-go/batou/runtime/plan"
)

func TestDiffShowsSecret(t *testing.T) {
	m := plan.NewMasker("ab", "hunter22")
	tests := []struct {
		attrs plan.Attrs
		diff  string
		want  bool
	}{
		{plan.Attrs{"content": "x"}, "-old\n+new\n", false},
		{plan.Attrs{"content": "ab"}, "+ab\n", true},                     // the new content is a secret
		{plan.Attrs{"content": "pw=hunter22\n"}, "+pw=hunter22\n", true}, // contains one
		{plan.Attrs{"content": "x\n"}, "-ab\n+x\n", true},                // a short one as a whole line
		{plan.Attrs{"content": "x\n"}, "-cab\n+x\n", false},              // not a whole line
		{plan.Attrs{"content": "x\n"}, "-old hunter22\n+x\n", true},      // the old content had one
		{plan.Attrs{"content": "ab"}, "", false},                         // no diff, nothing to hide
	}
	for _, tt := range tests {
		if got := diffShowsSecret(m, tt.attrs, tt.diff); got != tt.want {
			t.Errorf("diffShowsSecret(%v, %q) = %v", tt.attrs, tt.diff, got)
		}
	}
	if diffShowsSecret(nil, plan.Attrs{"content": "ab"}, "+ab\n") {
		t.Error("a plan without secrets hides a diff")
	}
}
