package components

import (
	"os"
	"testing"
)

func TestParseMode(t *testing.T) {
	good := []struct {
		in   any
		want int64
	}{
		{int64(0o755), 0o755},
		{int64(0), 0},
		{"755", 0o755},
		{"0755", 0o755},
		{"4755", 0o4755},
		{"0o644", 0o644},
		{"rwxr-x---", 0o750},
		{"---------", 0},
		{"rwxrwxrwx", 0o777},
		{"rwsr-xr-x", 0o4755},
		{"rwSr--r--", 0o4644},
		{"rwxr-sr-x", 0o2755},
		{"rwxrwxrwt", 0o1777},
		{"rw-rw-rwT", 0o1666},
	}
	for _, tt := range good {
		got, err := parseMode(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseMode(%#v) = %o, %v; want %o", tt.in, got, err, tt.want)
		}
	}
	bad := []any{"rwxr-x--", "rwxr-x--x-", "999", "abc", "", int64(-1), int64(0o10000), true, "rwtr-xr-x", "rwxr-xr-s", 1.5}
	for _, in := range bad {
		_, err := parseMode(in)
		wantErr(t, err, "invalid mode", "ls-style")
	}
}

func TestModeVerifyUpdate(t *testing.T) {
	tests := []struct {
		name   string
		dir    bool
		before os.FileMode
		mode   any
	}{
		{"file", false, 0o644, int64(0o755)},
		{"file string", false, 0o600, "rw-r-----"},
		{"setuid", false, 0o755, "4755"},
		{"directory sticky", true, 0o755, "1777"},
		{"unchanged", false, 0o640, "0640"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t)
			path := p.work("x")
			if tt.dir {
				if err := os.Mkdir(path, tt.before); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFile(t, path, "", tt.before)
			}
			n := p.mustExpand("Mode", Attrs{"path": "x", "mode": tt.mode})
			changed := mustDeploy(t, p.ctx(false), n)
			info, _ := os.Stat(path)
			want := n.attrs["mode"].(int64)
			if unixMode(info.Mode()) != want || (len(changed) == 0) != (unixMode(tt.before) == want) {
				t.Fatalf("mode %o (changed %v), want %o", unixMode(info.Mode()), changed, want)
			}
		})
	}
}

func TestModeEdgeCases(t *testing.T) {
	p := newProject(t)
	writeFile(t, p.work("target"), "", 0o644)
	mustSymlink(t, p.work("target"), p.work("link"))
	_, err := modeKind().Verify(p.ctx(false), Attrs{"path": p.work("link"), "mode": int64(0o600)})
	wantErr(t, err, "Mode on a symlink is not supported", p.work("link"))

	res, err := modeKind().Verify(p.ctx(true), Attrs{"path": p.work("missing"), "mode": int64(0o600)})
	if err != nil || !res.NeedsUpdate {
		t.Fatalf("predict on a missing path: %+v %v", res, err)
	}
	err = modeKind().Update(p.ctx(false), Attrs{"path": p.work("missing"), "mode": int64(0o600)})
	wantErr(t, err, "setting mode of "+p.work("missing"), "no such file")

	_, err = p.expand("Mode", Attrs{"path": "x"})
	wantErr(t, err, "mode is required")
}
