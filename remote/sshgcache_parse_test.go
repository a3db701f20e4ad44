package remote

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The cache reads a configuration as ssh does: a Match that ssh obeys is
// seen however it is written (so the answer is asked every time), and a
// file ssh includes is hashed whatever pattern names it (so an edit to it
// is seen). Each case changes what ssh -G answers for a1 without changing
// anything the cache would otherwise notice, and a1's key must follow.
func TestSSHKeyCacheReadsAsSSHDoes(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("needs OpenSSH's ssh")
	}
	dir := t.TempDir()
	flag := filepath.Join(dir, "flag")
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	matchExec := ` exec "test -e ` + flag + `"` + "\n  Port 2400\nHost a1\n  HostName 127.0.0.1\n"
	included := filepath.Join(dir, "conf.d", "hosts")
	for _, c := range []struct {
		name, config string
		change       func()
		cached       bool // the answer is kept (else asked every time)
	}{
		{"quoted keyword", `"Match"` + matchExec, func() { write(flag, "") }, false},
		{"keyword after =", `=Match` + matchExec, func() { write(flag, "") }, false},
		{"keyword ended by CR", "Match\r" + matchExec, func() { write(flag, "") }, false},
		{"keyword after empty quotes", `""Match` + matchExec, func() { write(flag, "") }, false},
		{"keyword partly quoted", `Ma"tch"` + matchExec, func() { write(flag, "") }, false},
		{"after a line of 70,000 bytes", "# " + strings.Repeat("x", 70000) + "\nMatch" + matchExec, func() { write(flag, "") }, false},
		{"Include with [!...]", "Include " + filepath.Join(dir, "conf.d", "[!_]*") + "\nHost a1\n  HostName 127.0.0.1\n",
			func() { write(included, "Host a1\n  Port 2400\n") }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_ = os.Remove(flag)
			write(included, "Host a1\n  Port 2300\n")
			config := filepath.Join(dir, "ssh_config")
			write(config, c.config)
			if got := sshInputs(config).hash != ""; got != c.cached {
				t.Errorf("kept: %v, want %v", got, c.cached)
			}
			args := sshBaseArgs(config, 0)
			cacheDir := filepath.Join(dir, "cache-"+strings.ReplaceAll(c.name, " ", "-"))
			before := newSSHKeyCache(cacheDir).key(args, "a1")
			if before == "" || strings.Contains(before, "port 2400") {
				t.Fatalf("before the change: %q", before)
			}
			c.change()
			if after := newSSHKeyCache(cacheDir).key(args, "a1"); !strings.Contains(after, "port 2400") {
				t.Errorf("ssh now answers port 2400 for a1, the cache still gives:\n%s", after)
			}
		})
	}
}

// Lines are split into keyword and arguments as ssh does.
func TestSSHKeyword(t *testing.T) {
	for _, c := range []struct{ line, word, rest string }{
		{"Host a1 a2", "host", "a1 a2"},
		{"  HostName=127.0.0.1", "hostname", "127.0.0.1"},
		{"\tPort = 22\r", "port", "22"},
		{"Include\tconf.d/* other", "include", "conf.d/* other"},
		{"Include==x", "include", "=x"},
		{"INCLUDE x", "include", "x"},
		{"# Match all", "", ""},
		{"   ", "", ""},
		{`"Match`, "", ""},
	} {
		word, rest, ok := sshKeyword(c.line)
		if word != c.word || rest != c.rest || ok != (c.word != "") {
			t.Errorf("%q: %q %q %v, want %q %q", c.line, word, rest, ok, c.word, c.rest)
		}
	}
	for _, c := range []struct{ glob, want string }{
		{"/d/[!_]*", "/d/[^_]*"},
		{"/d/[^_]*.conf", "/d/[^_]*.conf"},
		{"/d/*.conf", "/d/*.conf"},
		{"/d/[a-c]?", "/d/[a-c]?"},
		{"/d/[[:alpha:]]*", ""},
		{"/d/[]x]", ""},
	} {
		got, ok := goGlob(c.glob)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("goGlob(%q) = %q, %v; want %q", c.glob, got, ok, c.want)
		}
	}
}

// A host whose key was not resolved early (vagrant's: its configuration
// is a new temporary file every deploy) leaves nothing in the cache,
// where it would pile up one entry per deploy that is never read again.
func TestSSHKeyCacheKeepsNoTemporaryConfigs(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("needs OpenSSH's ssh")
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	p := &Prestarted{}
	for range 3 { // three deploys
		config := filepath.Join(t.TempDir(), "vagrant-1.config")
		if err := os.WriteFile(config, []byte("Host default\n  HostName 127.0.0.1\n  Port 2222\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if k := p.connectionKey(sshBaseArgs(config, 0), "default"); !strings.Contains(k, "port 2222") {
			t.Fatalf("key %q", k)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(cache, "batou", "ssh-config")); len(entries) != 0 {
		t.Errorf("%d entries kept for temporary configurations", len(entries))
	}
}
