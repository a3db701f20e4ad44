package secrets

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tool returns the path of a program the tests drive for real; test.sh
// installs them (gnupg, age, openssh-client).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed for this test (./test.sh installs it): %v", name, err)
	}
	return p
}

// run runs a program and returns its stdout.
func run(t *testing.T, stdin []byte, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// ageKey makes an age identity with age-keygen and returns its file and
// public key.
func ageKey(t *testing.T, dir, name string) (file, pub string) {
	file = filepath.Join(dir, name)
	run(t, nil, nil, "age-keygen", "-o", file)
	return file, strings.TrimSpace(string(run(t, nil, nil, "age-keygen", "-y", file)))
}

// sshKey makes an ssh key pair with ssh-keygen and returns the private key
// file and the public key.
func sshKey(t *testing.T, dir, name, typ, passphrase string) (file, pub string) {
	file = filepath.Join(dir, name)
	args := []string{"-q", "-t", typ, "-N", passphrase, "-C", name, "-f", file}
	if typ == "rsa" {
		args = append(args, "-b", "2048")
	}
	run(t, nil, nil, "ssh-keygen", args...)
	data, err := os.ReadFile(file + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return file, strings.TrimSpace(string(data))
}

// gnupg makes a GNUPGHOME for the test and stops its gpg-agent at the end.
func gnupg(t *testing.T) string {
	tool(t, "gpg")
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GNUPGHOME", home)
	t.Cleanup(func() {
		_ = exec.Command("gpgconf", "--kill", "gpg-agent").Run()
		os.RemoveAll(home)
	})
	return home
}

// gpgKey generates a key without passphrase in $GNUPGHOME: "ed25519"
// (ed25519 with a cv25519 subkey) or "rsa" (rsa2048 with an rsa
// encryption subkey). It returns the fingerprint.
func gpgKey(t *testing.T, uid, kind string) string {
	algo, usage := "future-default", "default"
	if kind == "rsa" {
		algo, usage = "rsa2048", "sign,cert"
	}
	run(t, nil, nil, "gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid, algo, usage, "never")
	fpr := gpgFingerprint(t, uid)
	if kind == "rsa" {
		run(t, nil, nil, "gpg", "--batch", "--passphrase", "", "--quick-add-key", fpr, "rsa2048", "encr", "never")
	}
	return fpr
}

// gpgFingerprint returns the fingerprint of the key of uid.
func gpgFingerprint(t *testing.T, uid string) string {
	out := run(t, nil, nil, "gpg", "--batch", "--with-colons", "--list-keys", uid)
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" {
			return f[9]
		}
	}
	t.Fatalf("no fingerprint for %s", uid)
	return ""
}

// project makes a project with one environment and returns its directory.
func project(t *testing.T, env string) string {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "environments", env), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// env returns Keys that see vars instead of the process environment.
func keysWith(home string, vars ...string) *Keys {
	m := map[string]string{}
	for i := 0; i+1 < len(vars); i += 2 {
		m[vars[i]] = vars[i+1]
	}
	return &Keys{Home: home, Getenv: func(k string) string { return m[k] }}
}

// open opens the store of env or fails.
func open(t *testing.T, dir, env string, keys *Keys) *Store {
	t.Helper()
	s, err := Open(dir, env, keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readFile returns the content of a project file.
func readFile(t *testing.T, dir, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
