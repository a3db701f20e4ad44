package environments

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadLayouts(t *testing.T) {
	tests := []struct {
		name      string
		files     []string
		arg       string
		wantFile  string
		wantWarns int
	}{
		{"directory form", []string{"environments/dev/environment.cfg"}, "dev", "environments/dev/environment.cfg", 0},
		{"one-file form", []string{"environments/dev.cfg"}, "dev", "environments/dev.cfg", 0},
		{"suffix stripped", []string{"environments/dev.cfg"}, "dev.cfg", "environments/dev.cfg", 0},
		{"suffix stripped dir", []string{"environments/dev/environment.cfg"}, "dev.cfg", "environments/dev/environment.cfg", 0},
		{"both", []string{"environments/dev/environment.cfg", "environments/dev.cfg"}, "dev", "environments/dev/environment.cfg", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			for _, f := range tt.files {
				files[f] = minimal
			}
			env, errs := load(t, project(t, files), tt.arg)
			if errs != nil {
				t.Fatalf("errors: %v", errs)
			}
			if env.Name != "dev" || env.File != tt.wantFile || env.Dir != "environments/dev" {
				t.Errorf("Name, File, Dir = %q, %q, %q", env.Name, env.File, env.Dir)
			}
			if len(env.Warnings) != tt.wantWarns {
				t.Errorf("warnings: %v", env.Warnings)
			}
			if env.INI == nil || env.INI.Section("hosts") == nil {
				t.Error("INI not kept")
			}
		})
	}
}

func TestBothLayoutsWarning(t *testing.T) {
	dir := project(t, map[string]string{"environments/dev/environment.cfg": minimal, "environments/dev.cfg": "[nonsense]\n"})
	env, errs := load(t, dir, "dev")
	if errs != nil {
		t.Fatalf("the one-file form was read: %v", errs)
	}
	want := "environments/dev.cfg: both environments/dev/environment.cfg and environments/dev.cfg exist; using environments/dev/environment.cfg\n" +
		"  hint: remove environments/dev.cfg or merge it into environments/dev/environment.cfg"
	if got := env.Warnings[0].Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestMissing(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		hint  string
	}{
		{"no environments", map[string]string{"components/a.star": ""}, "hint: the project has no environments; `batou init` creates"},
		{"others exist", map[string]string{
			"environments/staging/environment.cfg": minimal, "environments/prod.cfg": minimal,
			"environments/empty/readme": "", "environments/notes.txt": "",
		}, "hint: environments of this project: prod, staging"},
		{"close name", map[string]string{"environments/production.cfg": minimal}, "hint: did you mean production? environments of this project: production"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := Load(project(t, tt.files), "prodution")
			var missing *MissingError
			if env != nil || !errors.As(err, &missing) {
				t.Fatalf("Load = %v, %v; want *MissingError", env, err)
			}
			msg := "environment prodution does not exist: there is neither environments/prodution/environment.cfg nor environments/prodution.cfg"
			if err.Error() != msg {
				t.Errorf("got %s\nwant %s", err, msg)
			}
			if hint := "hint: " + missing.Hint(); !strings.HasPrefix(hint, tt.hint) {
				t.Errorf("got %s\nwant prefix %s", hint, tt.hint)
			}
		})
	}
}

func TestInvalidName(t *testing.T) {
	dir := project(t, map[string]string{"environments/dev.cfg": minimal})
	for _, name := range []string{"", "..", "../dev", `a\b`, ".cfg"} {
		if env, err := Load(dir, name); env != nil || err == nil || !strings.Contains(err.Error(), "invalid environment name") {
			t.Errorf("Load(%q) = %v, %v", name, env, err)
		}
	}
}

func TestUnreadable(t *testing.T) {
	dir := project(t, map[string]string{"environments/dev.cfg": minimal})
	_, err := Load(dir+"/environments/dev.cfg", "x")
	var missing *MissingError
	if !errors.As(err, &missing) || missing.Known != nil {
		t.Errorf("Load below a file: %v", err)
	}
}

func TestList(t *testing.T) {
	dir := project(t, map[string]string{
		"environments/b/environment.cfg": "", "environments/a.cfg": "", "environments/b.cfg": "",
		"environments/c/secrets.cfg.age": "",
	})
	if got := strings.Join(List(dir), ","); got != "a,b" {
		t.Errorf("List = %s", got)
	}
	if List(t.TempDir()) != nil {
		t.Error("List of an empty directory")
	}
}
