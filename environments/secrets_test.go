package environments

import (
	"fmt"
	"strings"
	"testing"

	"github.com/batou-go/batou/environments/ini"
)

func TestMergeSecrets(t *testing.T) {
	env, errs := Parse("dev", "environments/dev/environment.cfg", []byte(
		"[hosts]\nweb1 = app\n[host:web2]\ncomponents = app\ndata-rack = r1\ndata-room = 7\n[component:app]\nport = 1\n"))
	if errs != nil {
		t.Fatal(errs)
	}
	secrets := "[batou]\nmembers = x\n[component:app]\npassword = s3cret\nport = 2\n[db]\nuser = admin\npassword = s3cret\n" +
		"[host:web2]\ndata-rack = r9\ntoken = t0k\n[host:web9]\ndata-x = 1\n[hosts]\n[component:nothere]\nx = y\n"
	f, err := ini.Parse("environments/dev/secrets.cfg.age", []byte(secrets))
	if err != nil {
		t.Fatal(err)
	}
	errs = env.MergeSecrets("environments/dev/secrets.cfg.age", f)
	want := []string{
		"5: port of component app is set both here and at environments/dev/environment.cfg:8\n  hint: set it in one place only",
		"12: secrets for host web9, which the environment does not define\n  hint: did you mean web1? hosts of the environment: web1, web2",
		"14: [hosts] is not allowed in a secrets file",
	}
	got := rendered(errs)
	if len(got) != len(want) {
		t.Fatalf("got %s", errs)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("got  %s\nwant %s", got[i], want[i])
		}
	}
	var settings []string
	for _, name := range []string{"app", "db", "nothere"} {
		for _, s := range env.Overrides[name] {
			settings = append(settings, fmt.Sprintf("%s.%s=%s@%s secret=%v", name, s.Key, s.Value, s.Pos, s.Secret))
		}
	}
	wantSettings := "app.port=1@environments/dev/environment.cfg:8 secret=false\n" +
		"app.password=s3cret@environments/dev/secrets.cfg.age:4 secret=true\n" +
		"db.user=admin@environments/dev/secrets.cfg.age:7 secret=true\n" +
		"db.password=s3cret@environments/dev/secrets.cfg.age:8 secret=true\n" +
		"nothere.x=y@environments/dev/secrets.cfg.age:16 secret=true"
	if strings.Join(settings, "\n") != wantSettings {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(settings, "\n"), wantSettings)
	}
	if env.OverrideSections["app"].File != "environments/dev/environment.cfg" || env.OverrideSections["nothere"].Line != 15 {
		t.Errorf("OverrideSections: %v", env.OverrideSections)
	}
	if got := fmt.Sprint(env.Host("web2").Data); got != "map[rack:r9 room:7 token:t0k]" {
		t.Errorf("host data: %s", got)
	}
	if got := fmt.Sprint(env.Host("web2").SecretData); got != "map[rack:environments/dev/secrets.cfg.age:10 token:environments/dev/secrets.cfg.age:11]" {
		t.Errorf("secret host data: %s", got)
	}
	if got := strings.Join(env.SecretValues, ","); got != "s3cret,admin,r9,t0k,y" {
		t.Errorf("SecretValues: %s", got)
	}
}

func TestMergeNoSecrets(t *testing.T) {
	env, _ := Parse("dev", "e.cfg", []byte(minimal))
	if errs := env.MergeSecrets("s", nil); errs != nil {
		t.Errorf("nil file: %v", errs)
	}
}
