package remote

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The connection keys ssh -G gives are kept across deploys (each deploy
// makes a new cache) and asked again when anything ssh reads changes: the
// configuration, a file it includes, the ssh binary. A configuration with
// a Match block is never cached. Counted with a stand-in ssh on PATH that
// logs each call and runs the real one.
func TestSSHKeyCache(t *testing.T) {
	real, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("needs OpenSSH's ssh")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	log := filepath.Join(dir, "ssh.log")
	writeSSH := func(extra string) {
		t.Helper()
		script := fmt.Sprintf("#!/bin/sh\n# %s\necho \"$*\" >> %s\nexec %s \"$@\"\n", extra, log, real)
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeSSH("first")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	calls := func() int {
		data, _ := os.ReadFile(log)
		_ = os.Remove(log)
		return strings.Count(string(data), " -G ")
	}
	config := filepath.Join(dir, "ssh_config")
	extra := filepath.Join(dir, "extra.conf")
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(extra, "Host a2\n  Port 2300\n")
	write(config, "Include "+extra+"\nHost a1 a2\n  HostName 127.0.0.1\n  Port 2222\n")
	cacheDir := filepath.Join(dir, "cache")
	args := sshBaseArgs(config, 0)
	deploy := func() (string, string) { // one deploy: a new cache, both hosts
		c := newSSHKeyCache(cacheDir)
		return c.key(args, "a1"), c.key(args, "a2")
	}

	a1, a2 := deploy()
	if n := calls(); n != 2 || a1 == "" || !strings.Contains(a1, "port 2222") || !strings.Contains(a2, "port 2300") {
		t.Fatalf("first deploy: %d ssh -G, keys %q %q", n, a1, a2)
	}
	if b1, b2 := deploy(); b1 != a1 || b2 != a2 || calls() != 0 {
		t.Fatalf("an unchanged configuration was asked again, or answered differently")
	}

	// The included file changes: a2 moves to a1's port, and shares.
	write(extra, "Host a2\n  Port 2222\n")
	b1, b2 := deploy()
	if n := calls(); n != 2 || b1 != a1 || b2 != b1 {
		t.Fatalf("after the included file changed: %d ssh -G, a2 %q", n, b2)
	}
	// The configuration itself changes.
	write(config, "Include "+extra+"\nHost a1 a2\n  HostName 127.0.0.1\n  Port 2222\n  User other\n")
	if b1, _ := deploy(); calls() != 2 || !strings.Contains(b1, "user other") {
		t.Fatalf("after the configuration changed: a1 %q", b1)
	}
	// Another ssh binary (here: another size).
	writeSSH("second, longer")
	deploy()
	if n := calls(); n != 2 {
		t.Fatalf("after ssh changed: %d ssh -G", n)
	}
	deploy()
	if n := calls(); n != 0 {
		t.Fatalf("unchanged again: %d ssh -G", n)
	}

	// What may differ from one call to the next is never cached.
	for _, text := range []string{
		"Match host a1\n  Port 2400\nHost a1 a2\n  HostName 127.0.0.1\n",
		"Host a1 a2\n  HostName 127.0.0.1\n  IdentityFile ${HOME}/.ssh/k\n",
		"Host a1 a2\n  HostName 127.0.0.1\n  CanonicalizeHostname yes\n",
		"Include \"" + extra + "\"\nHost a1 a2\n  HostName 127.0.0.1\n",
	} {
		write(config, text)
		deploy()
		deploy()
		if n := calls(); n != 4 {
			t.Errorf("%q: %d ssh -G in two deploys, want 4", text, n)
		}
	}

	// An unreadable cache directory only costs the ssh -G.
	write(config, "Host a1\n  HostName 127.0.0.1\n")
	plain := filepath.Join(dir, "plain")
	write(plain, "")
	c := newSSHKeyCache(filepath.Join(plain, "cache"))
	if k := c.key(args, "a1"); !strings.Contains(k, "hostname 127.0.0.1") {
		t.Errorf("without a cache: %q", k)
	}
}
