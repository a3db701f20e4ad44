package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cfg = "[batou]\n# who may read\nsecret_provider = age\nmembers = %s\n\n[component:app]\npassword = s3cr3t-pw\n"

func TestAgeMembersOfEveryKind(t *testing.T) {
	dir, keys := project(t, "dev"), t.TempDir()
	x25519, x25519Pub := ageKey(t, keys, "age.txt")
	ed, edPub := sshKey(t, keys, "id_ed25519", "ed25519", "")
	rsa, rsaPub := sshKey(t, keys, "id_rsa", "rsa", "")
	s := open(t, dir, "dev", keysWith(keys, "BATOU_AGE_IDENTITIES", x25519))
	members := strings.Join([]string{x25519Pub, edPub, rsaPub}, ",\n  ")
	if err := s.SaveConfig([]byte(strings.Replace(cfg, "%s", members, 1))); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFile("tls.key", []byte("-----BEGIN KEY-----\nabc\n")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{x25519, ed, rsa} {
		c, err := open(t, dir, "dev", keysWith(keys, "BATOU_AGE_IDENTITIES", id)).Read()
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(id), err)
		}
		if got := c.Config.Section("component:app").Key("password").Value; got != "s3cr3t-pw" || len(c.Members) != 3 {
			t.Errorf("%s: password %q, members %q", filepath.Base(id), got, c.Members)
		}
		if c.Files["tls.key"] != "-----BEGIN KEY-----\nabc\n" {
			t.Errorf("%s: secret file %q", filepath.Base(id), c.Files["tls.key"])
		}
		// The age command line reads what we wrote.
		out := run(t, nil, nil, "age", "-d", "-i", id, filepath.Join(dir, "environments/dev/secrets.cfg.age"))
		if !bytes.Contains(out, []byte("password = s3cr3t-pw")) {
			t.Errorf("age -d -i %s: %q", filepath.Base(id), out)
		}
	}
	// Without BATOU_AGE_IDENTITIES the ssh keys in ~/.ssh are used.
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	copyFile(t, ed, filepath.Join(home, ".ssh", "id_ed25519"))
	if _, err := open(t, dir, "dev", keysWith(home)).Read(); err != nil {
		t.Errorf("~/.ssh/id_ed25519: %v", err)
	}
}

func TestAgeReadsWhatTheAgeCommandWrote(t *testing.T) {
	dir, keys := project(t, "dev"), t.TempDir()
	id, pub := ageKey(t, keys, "age.txt")
	_, edPub := sshKey(t, keys, "id_ed25519", "ed25519", "")
	pubs := filepath.Join(keys, "recipients")
	os.WriteFile(pubs, []byte(pub+"\n"+edPub+"\n"), 0o644)
	clear := strings.Replace(cfg, "%s", pub+", "+edPub, 1)
	for _, armor := range []bool{false, true} {
		args := []string{"-e", "-R", pubs, "-o", filepath.Join(dir, "environments/dev/secrets.cfg.age")}
		if armor {
			args = append(args, "-a")
		}
		run(t, []byte(clear), nil, "age", args...)
		s := open(t, dir, "dev", keysWith(keys, "BATOU_AGE_IDENTITIES", id))
		c, err := s.Read()
		if err != nil {
			t.Fatalf("armor=%v: %v", armor, err)
		}
		if c.Config.Section("component:app").Key("password").Value != "s3cr3t-pw" {
			t.Errorf("armor=%v: wrong content", armor)
		}
		if armor {
			continue
		}
		// The age command wrote it for exactly these members: nothing to do.
		if written, err := s.Reencrypt(false); err != nil || len(written) != 0 {
			t.Errorf("Reencrypt after age -e: wrote %v, %v", written, err)
		}
	}
}

func TestAgeWrongKey(t *testing.T) {
	dir, keys := project(t, "dev"), t.TempDir()
	_, pub := ageKey(t, keys, "member.txt")
	other, _ := ageKey(t, keys, "other.txt")
	s := open(t, dir, "dev", keysWith(keys))
	if err := s.SaveConfig([]byte(strings.Replace(cfg, "%s", pub, 1))); err != nil {
		t.Fatal(err)
	}
	_, err := open(t, dir, "dev", keysWith(keys, "BATOU_AGE_IDENTITIES", other)).Read()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *Error, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"environments/dev/secrets.cfg.age: none of your age identities (" + other + ") is a member",
		"hint: ask a member to add your public key", "BATOU_AGE_IDENTITIES"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "s3cr3t") {
		t.Error("the error shows the secret")
	}
	_, err = open(t, dir, "dev", keysWith(t.TempDir())).Read()
	if err == nil || !strings.Contains(err.Error(), "no age identity to decrypt with") {
		t.Errorf("no identities: %v", err)
	}
}

func TestAgeRemovedMemberCannotDecrypt(t *testing.T) {
	dir, keys := project(t, "dev"), t.TempDir()
	alice, alicePub := ageKey(t, keys, "alice.txt")
	bob, bobPub := ageKey(t, keys, "bob.txt")
	s := open(t, dir, "dev", keysWith(keys, "BATOU_AGE_IDENTITIES", alice))
	for _, m := range []string{alicePub, bobPub} {
		if _, err := s.SetMembers(Age, func(ms []string) []string { return append(ms, m) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveFile("db.pw", []byte("hunter22")); err != nil {
		t.Fatal(err)
	}
	asBob := keysWith(keys, "BATOU_AGE_IDENTITIES", bob)
	if _, err := open(t, dir, "dev", asBob).Read(); err != nil {
		t.Fatalf("bob before removal: %v", err)
	}
	changed, err := s.SetMembers(Age, func(ms []string) []string { return removeString(ms, bobPub) })
	if err != nil || !changed {
		t.Fatalf("remove: %v %v", changed, err)
	}
	for _, rel := range []string{"environments/dev/secrets.cfg.age", "environments/dev/secret-db.pw.age"} {
		if _, err := DecryptData(asBob, rel, readFile(t, dir, rel)); err == nil {
			t.Errorf("bob still decrypts %s", rel)
		}
		if _, err := DecryptData(keysWith(keys, "BATOU_AGE_IDENTITIES", alice), rel, readFile(t, dir, rel)); err != nil {
			t.Errorf("alice: %v", err)
		}
	}
	if got := string(readFile(t, dir, "environments/dev/secrets.cfg.age")); strings.Contains(got, "members") {
		t.Error("cleartext on disk")
	}
}

func TestReencryptIsByteStable(t *testing.T) {
	dir, keys := project(t, "dev"), t.TempDir()
	id, pub := ageKey(t, keys, "a.txt")
	_, edPub := sshKey(t, keys, "id_ed25519", "ed25519", "")
	s := open(t, dir, "dev", keysWith(keys, "BATOU_AGE_IDENTITIES", id))
	if err := s.SaveConfig([]byte(strings.Replace(cfg, "%s", pub+","+edPub, 1))); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFile("x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	written, err := s.Reencrypt(false)
	if err != nil || len(written) != 0 || snapshot(t, dir) != before {
		t.Fatalf("Reencrypt(false) wrote %v, %v", written, err)
	}
	written, err = s.Reencrypt(true)
	if err != nil || len(written) != 2 || snapshot(t, dir) == before {
		t.Fatalf("Reencrypt(true) wrote %v, %v", written, err)
	}
	if _, err := open(t, dir, "dev", keysWith(keys, "BATOU_AGE_IDENTITIES", id)).Read(); err != nil {
		t.Fatal(err)
	}
}

func TestSaveConfigRefusesAndKeepsTheOldFile(t *testing.T) {
	dir, keys := project(t, "dev"), t.TempDir()
	_, pub := ageKey(t, keys, "a.txt")
	s := open(t, dir, "dev", keysWith(keys))
	if err := s.SaveConfig([]byte(strings.Replace(cfg, "%s", pub, 1))); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	for name, clear := range map[string]string{
		"no members":   "[batou]\nmembers =\n[component:app]\npassword = s3cr3t-pw\n",
		"bad member":   "[batou]\nmembers = alice@example.com\n",
		"bad INI":      "[batou]\nmembers = " + pub + "\nnot a key line\n",
		"bad provider": "[batou]\nsecret_provider = rot13\nmembers = " + pub + "\n",
	} {
		err := s.SaveConfig([]byte(clear))
		if err == nil {
			t.Errorf("%s: saved", name)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
		if snapshot(t, dir) != before {
			t.Errorf("%s: files changed", name)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		files []string
		want  string
	}{
		{[]string{"secrets.cfg.age", "secrets.cfg.gpg"}, "the environment has both secrets.cfg.age and secrets.cfg.gpg"},
		{[]string{"secrets.cfg"}, "secrets.cfg: a secrets file must be encrypted"},
		{[]string{"secrets.cfg.age-diffable"}, "age-diffable secrets are not supported"},
		{[]string{"secret-tls.key.age"}, "secret-tls.key.age: a secret file needs the environment's secrets.cfg.age or secrets.cfg.gpg"},
		{[]string{"secret-tls.key"}, "secret-tls.key: a secret file must be encrypted and end in .age or .gpg"},
		{[]string{"secrets.cfg.gpg", "secret-a.age"}, "secret-a.age: the environment's secrets use gpg, but this file is encrypted with age"},
	}
	for _, tt := range tests {
		dir := project(t, "dev")
		for _, f := range tt.files {
			os.WriteFile(filepath.Join(dir, "environments/dev", f), []byte("x"), 0o644)
		}
		_, err := Open(dir, "dev", nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "hint:") {
			t.Errorf("%v: got %v\nwant %q and a hint", tt.files, err, tt.want)
		}
	}
	s, err := Open(t.TempDir(), "nothere", nil)
	if err != nil || !s.Empty() {
		t.Errorf("no directory: %v", err)
	}
	if c, err := s.Read(); err != nil || c.Config != nil || len(c.Files) != 0 {
		t.Errorf("Read of nothing: %v %v", c, err)
	}
}

func TestProviderChangeMovesEveryFile(t *testing.T) {
	gnupg(t)
	fpr := gpgKey(t, "Alice <alice@example.com>", "ed25519")
	dir, keys := project(t, "dev"), t.TempDir()
	id, pub := ageKey(t, keys, "a.txt")
	k := keysWith(keys, "BATOU_AGE_IDENTITIES", id)
	s := open(t, dir, "dev", k)
	if err := s.SaveConfig([]byte(strings.Replace(cfg, "%s", pub, 1))); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFile("f", []byte("file")); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveConfig([]byte("[batou]\nsecret_provider = gpg\nmembers = " + fpr + "\n")); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listDir(t, filepath.Join(dir, "environments/dev")), " "); got != "secret-f.gpg secrets.cfg.gpg" {
		t.Fatalf("files: %s", got)
	}
	c, err := open(t, dir, "dev", k).Read()
	if err != nil || c.Files["f"] != "file" || c.Members[0] != fpr {
		t.Fatalf("after the move: %v %v", c, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func listDir(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// snapshot returns the names and contents of the files of every
// environment.
func snapshot(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.Walk(filepath.Join(dir, "environments"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			data, _ := os.ReadFile(p)
			b.WriteString(p + "\x00" + string(data) + "\x00")
		}
		return nil
	})
	return b.String()
}

func removeString(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func TestAgePassphraseProtectedSSHKey(t *testing.T) {
	dir, keys := project(t, "dev"), t.TempDir()
	id, pub := sshKey(t, keys, "id_ed25519", "ed25519", "open sesame")
	s := open(t, dir, "dev", keysWith(keys))
	if err := s.SaveConfig([]byte(strings.Replace(cfg, "%s", pub, 1))); err != nil {
		t.Fatal(err)
	}
	asked := 0
	k := keysWith(keys, "BATOU_AGE_IDENTITIES", id)
	k.Passphrase = func(what string) ([]byte, error) { asked++; return []byte("open sesame"), nil }
	if _, err := open(t, dir, "dev", k).Read(); err != nil || asked != 1 {
		t.Errorf("prompt: asked %d times, %v", asked, err)
	}
	k = keysWith(keys, "BATOU_AGE_IDENTITIES", id, "BATOU_AGE_IDENTITY_PASSPHRASE", "open sesame")
	if _, err := open(t, dir, "dev", k).Read(); err != nil {
		t.Errorf("BATOU_AGE_IDENTITY_PASSPHRASE: %v", err)
	}
	_, err := open(t, dir, "dev", keysWith(keys, "BATOU_AGE_IDENTITIES", id)).Read()
	if err == nil || !strings.Contains(err.Error(), "protected by a passphrase; set BATOU_AGE_IDENTITY_PASSPHRASE") {
		t.Errorf("no way to ask: %v", err)
	}
}

func TestNilKeysReadTheProcessEnvironment(t *testing.T) {
	dir, keys := project(t, "dev"), t.TempDir()
	id, pub := ageKey(t, keys, "a.txt")
	if err := open(t, dir, "dev", keysWith(keys)).SaveConfig([]byte(strings.Replace(cfg, "%s", pub, 1))); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BATOU_AGE_IDENTITIES", id)
	if _, err := open(t, dir, "dev", nil).Read(); err != nil {
		t.Fatal(err)
	}
	rel := "environments/dev/secrets.cfg.age"
	if _, err := DecryptData(nil, rel, readFile(t, dir, rel)); err != nil {
		t.Fatal(err)
	}
}
