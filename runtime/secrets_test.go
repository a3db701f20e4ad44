package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/batou-go/batou/environments/secrets"
	"github.com/batou-go/batou/runtime/plan"
	"github.com/batou-go/batou/starlib"
	"github.com/batou-go/batou/starlib/jinja"
)

const secretApp = `
def _configure(self):
    self += File("app.conf", content = self.expand("pw={{ component.password }}\n"))
    self += File("short.conf", content = self.short)
    self += File("derived.conf", content = self.expand("s={{ component.short }}\n"))
    self += File("users.conf", content = ",".join(self.users))
    self += File("upper.conf", content = self.expand("{{ component.password | upper }}"))
    self += File("plain.conf", content = "nothing to hide")
    self += File("tls.key", content = self.environment.secret_files["tls.key"])
    self.dsn = "postgres://u:" + self.password + "@db"
    self.log("connecting with %s", self.password)

App = Component(configure = _configure, attrs = {
    "password": Attribute(str),
    "short": Attribute(str),
    "users": Attribute(list),
    "port": Attribute(int, default = 1),
})
`

const otherApp = `
def _configure(self):
    self += File("rack", content = self.host.data["rack"])

Other = Component(configure = _configure)
`

// secretProject writes a project whose environment test has age-encrypted
// secrets, and returns it with the keys that decrypt them.
func secretProject(t *testing.T, clear string) (string, *secrets.Keys) {
	t.Helper()
	dir := project(t, map[string]string{
		"components/app/component.star":     secretApp,
		"components/other/component.star":   otherApp,
		"environments/test/environment.cfg": env("web1 = app\nweb2 = other"),
	})
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "id.txt")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	keys := &secrets.Keys{Getenv: func(k string) string {
		if k == "BATOU_AGE_IDENTITIES" {
			return idFile
		}
		return ""
	}}
	s, err := secrets.Open(dir, "test", keys)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveConfig([]byte("[batou]\nmembers = " + id.Recipient().String() + "\n" + clear)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFile("tls.key", []byte("-----KEY sEcReT-tls-----\n")); err != nil {
		t.Fatal(err)
	}
	return dir, keys
}

const secretValues = "[component:app]\npassword = sEcReT-pw-1234\nshort = ab\nusers = u1, sEcReT-user\n" +
	"[host:web1]\ndata-token = sEcReT-token-99\n[host:web2]\nrack = r2\n"

func loadSecretProject(t *testing.T, dir string, keys *secrets.Keys) *Model {
	t.Helper()
	m, errs := LoadWith(dir, "test", starlib.NewSession(dir, jinja.New()), LoadOptions{Keys: keys})
	if len(errs) > 0 {
		t.Fatalf("load errors: %v", errs)
	}
	if errs := m.Configure(); len(errs) > 0 {
		t.Fatalf("configure errors: %v", errs)
	}
	return m
}

func TestPlansCarryOnlyTheSecretsTheirHostUses(t *testing.T) {
	dir, keys := secretProject(t, secretValues)
	m := loadSecretProject(t, dir, keys)
	plans := compiled(t, m)
	web1, web2 := plans[0], plans[1]
	raw2, _ := web2.Marshal()
	if strings.Contains(string(raw2), "sEcReT") || len(web2.Secrets) != 1 || web2.Secrets[0] != "r2" || web2.SecretFiles != nil {
		t.Errorf("web2's plan carries secrets it does not use: %v\n%s", web2.Secrets, raw2)
	}
	want := []string{"-----KEY sEcReT-tls-----\n", "SECRET-PW-1234", "ab", "pw=sEcReT-pw-1234\n", "s=ab\n", "sEcReT-pw-1234", "sEcReT-token-99", "sEcReT-user", "u1"}
	if got := strings.Join(web1.Secrets, "|"); got != strings.Join(want, "|") {
		t.Errorf("web1's secrets:\n got %q\nwant %q", web1.Secrets, want)
	}
	if web1.SecretFiles["tls.key"] != "-----KEY sEcReT-tls-----\n" || len(web1.SecretFiles) != 1 {
		t.Errorf("web1's secret files: %v", web1.SecretFiles)
	}
	masked, _ := web1.Masked(plan.NewMasker(web1.Secrets...)).Marshal()
	for _, leak := range []string{"sEcReT", "SECRET", `"ab"`, "s=ab"} {
		if strings.Contains(string(masked), leak) {
			t.Errorf("the masked plan shows %s:\n%s", leak, masked)
		}
	}
	if !strings.Contains(string(masked), `"postgres://u:***@db"`) || !strings.Contains(string(masked), `"nothing to hide"`) {
		t.Errorf("masked plan:\n%s", masked)
	}
}

func TestConfigureLogsAndErrorsHideSecrets(t *testing.T) {
	dir, keys := secretProject(t, secretValues)
	m := loadSecretProject(t, dir, keys)
	logs := m.ConfigureLogs()
	if len(logs) != 1 || m.Sensitive.Mask(logs[0].Message) != "connecting with ***" {
		t.Errorf("logs: %v", logs)
	}
	dir, keys = secretProject(t, strings.Replace(secretValues, "short = ab", "short = ab\nport = x-sEcReT-9", 1))
	m, errs := LoadWith(dir, "test", starlib.NewSession(dir, jinja.New()), LoadOptions{Keys: keys})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	errs = m.Configure()
	if len(errs) != 1 || strings.Contains(errs.Error(), "sEcReT") ||
		!strings.Contains(errs[0].Msg, "cannot convert the secret value of port to int") || errs[0].File != "environments/test/secrets.cfg.age" {
		t.Errorf("errors: %v", errs)
	}
}

func TestSecretsErrorsAtLoad(t *testing.T) {
	dir, keys := secretProject(t, "[component:app]\npassword = sEcReT-x\n[hosts]\nweb9 = app\n")
	os.WriteFile(filepath.Join(dir, "environments/test/environment.cfg"),
		[]byte(env("web1 = app\nweb2 = other")+"[component:app]\npassword = plain\n"), 0o644)
	_, errs := LoadWith(dir, "test", starlib.NewSession(dir, jinja.New()), LoadOptions{Keys: keys})
	text := errs.Error()
	for _, want := range []string{"environments/test/secrets.cfg.age:4: password of component app is set both here and at environments/test/environment.cfg:",
		"environments/test/secrets.cfg.age:5: [hosts] is not allowed in a secrets file"} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "sEcReT") {
		t.Error("errors show a secret")
	}
	other := &secrets.Keys{Getenv: func(string) string { return "" }, Home: t.TempDir()}
	_, errs = LoadWith(dir, "test", starlib.NewSession(dir, jinja.New()), LoadOptions{Keys: other})
	if len(errs) != 1 || errs[0].File != "environments/test/secrets.cfg.age" || errs[0].Hint == "" {
		t.Errorf("no key: %v", errs)
	}
}
