package secrets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGPGBinaryAndKeyringInteroperate(t *testing.T) {
	gnupg(t)
	keys := t.TempDir()
	for _, k := range []struct{ uid, kind, member string }{
		{"Alice <alice@example.com>", "ed25519", "alice@example.com"},
		{"Bob <bob@example.com>", "rsa", ""},
	} {
		fpr := gpgKey(t, k.uid, k.kind)
		member := cmpOr(k.member, fpr)
		secret := filepath.Join(keys, k.kind+".asc")
		os.WriteFile(secret, run(t, nil, nil, "gpg", "--batch", "--armor", "--export-secret-keys", fpr), 0o600)
		public := filepath.Join(keys, k.kind+".gpg")
		os.WriteFile(public, run(t, nil, nil, "gpg", "--batch", "--export", fpr), 0o644)
		clear := "[batou]\nsecret_provider = gpg\nmembers = " + member + "\n[component:app]\npassword = s3cr3t-pw\n"

		// gpg writes, go-crypto reads with the exported secret key alone.
		dir := project(t, "dev")
		if err := open(t, dir, "dev", keysWith(keys)).SaveConfig([]byte(clear)); err != nil {
			t.Fatal(err)
		}
		inProcess := keysWith(keys, "BATOU_GPG_KEYRING", secret)
		c, err := open(t, dir, "dev", inProcess).Read()
		if err != nil || c.Config.Section("component:app").Key("password").Value != "s3cr3t-pw" {
			t.Fatalf("%s: go-crypto reading gpg's file: %v", k.kind, err)
		}
		// go-crypto writes with the public key alone, gpg reads.
		dir2 := project(t, "dev")
		if err := open(t, dir2, "dev", keysWith(keys, "BATOU_GPG_KEYRING", public)).SaveConfig([]byte(clear)); err != nil {
			t.Fatal(err)
		}
		out := run(t, nil, nil, "gpg", "--batch", "--quiet", "--decrypt", filepath.Join(dir2, "environments/dev/secrets.cfg.gpg"))
		if !bytes.Contains(out, []byte("s3cr3t-pw")) {
			t.Fatalf("%s: gpg reading go-crypto's file: %q", k.kind, out)
		}
		// Each backend sees that the other encrypted for exactly the members.
		for _, keys := range []*Keys{keysWith(keys), inProcess} {
			for _, d := range []string{dir, dir2} {
				if w, err := open(t, d, "dev", keys).Reencrypt(false); err != nil || len(w) != 0 {
					t.Errorf("%s: Reencrypt(false): wrote %v, %v", k.kind, w, err)
				}
			}
		}
	}
}

func TestGPGRemovedMemberAndWrongKey(t *testing.T) {
	gnupg(t)
	alice := gpgKey(t, "Alice <alice@example.com>", "ed25519")
	bob := gpgKey(t, "Bob <bob@example.com>", "rsa")
	keys := t.TempDir()
	bobRing := filepath.Join(keys, "bob.asc")
	os.WriteFile(bobRing, run(t, nil, nil, "gpg", "--batch", "--armor", "--export-secret-keys", bob), 0o600)
	os.WriteFile(filepath.Join(keys, "alice.asc"), run(t, nil, nil, "gpg", "--batch", "--armor", "--export", alice), 0o600)
	dir := project(t, "dev")
	s := open(t, dir, "dev", keysWith(keys))
	if err := s.SaveConfig([]byte("[batou]\nsecret_provider = gpg\nmembers = " + alice + ", " + bob + "\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFile("key", []byte("k3y-material")); err != nil {
		t.Fatal(err)
	}
	asBob := keysWith(keys, "BATOU_GPG_KEYRING", bobRing)
	if _, err := open(t, dir, "dev", asBob).Read(); err != nil {
		t.Fatalf("bob: %v", err)
	}
	if _, err := s.SetMembers(GPG, func(ms []string) []string { return removeString(ms, bob) }); err != nil {
		t.Fatal(err)
	}
	_, err := open(t, dir, "dev", asBob).Read()
	if err == nil || !strings.Contains(err.Error(), "environments/dev/secrets.cfg.gpg: cannot decrypt with the keys of BATOU_GPG_KEYRING") ||
		!strings.Contains(err.Error(), "hint: ask a member to add your key id") {
		t.Errorf("bob after removal: %v", err)
	}
	// gpg itself without the secret key: a fresh GNUPGHOME with alice's public key only.
	gnupg(t)
	run(t, nil, nil, "gpg", "--batch", "--import", filepath.Join(keys, "alice.asc"))
	_, err = open(t, dir, "dev", keysWith(keys)).Read()
	if err == nil || !strings.Contains(err.Error(), "environments/dev/secrets.cfg.gpg: cannot decrypt") || !strings.Contains(err.Error(), "hint:") {
		t.Errorf("gpg without the secret key: %v", err)
	}
}
