package remote

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

	// An entry cut short (a crash before it reached the disk) is asked
	// again; an entry older than a month is removed when one is written.
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "*"))
	if len(entries) != 2 {
		t.Fatalf("cache entries: %v", entries)
	}
	data, _ := os.ReadFile(entries[0])
	write(entries[0], string(data[:len(data)/2]))
	old := filepath.Join(cacheDir, "old-entry")
	write(old, "x")
	month := time.Now().Add(-31 * 24 * time.Hour)
	if err := os.Chtimes(old, month, month); err != nil {
		t.Fatal(err)
	}
	if b1, b2 := deploy(); b1 != a1 || b2 != a2 || calls() != 1 {
		t.Fatalf("a damaged entry was used, or more were asked again")
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("an entry older than a month was kept")
	}
	if data2, _ := os.ReadFile(entries[0]); !bytes.Equal(data2, data) {
		t.Errorf("the damaged entry was not written again")
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

	// ssh reads a file the hash left out (here: says so on stderr, as
	// ssh -v does), or says nothing of the files it read: nothing is kept.
	write(config, "Host a1 a2\n  HostName 127.0.0.1\n")
	for _, stderr := range []string{
		"echo 'debug1: Reading configuration data /opt/elsewhere/ssh_config' >&2",
		"exec 2>/dev/null",
	} {
		script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %s\n%s\n%s \"$@\"\n", log, stderr, real)
		if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		deploy()
		if k, _ := deploy(); calls() != 4 || !strings.Contains(k, "hostname 127.0.0.1") {
			t.Errorf("%s: kept, or no key: %q", stderr, k)
		}
	}
	writeSSH("third")

	// An unreadable cache directory only costs the ssh -G.
	write(config, "Host a1\n  HostName 127.0.0.1\n")
	plain := filepath.Join(dir, "plain")
	write(plain, "")
	c := newSSHKeyCache(filepath.Join(plain, "cache"))
	if k := c.key(args, "a1"); !strings.Contains(k, "hostname 127.0.0.1") {
		t.Errorf("without a cache: %q", k)
	}
}
