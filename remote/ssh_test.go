package remote

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A socket directory left by a deploy that no longer runs is removed; those
// of running processes stay.
func TestRemoveStaleControlDirs(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{ // name: should survive
		fmt.Sprintf("%s%d-a", controlPrefix, dead.Process.Pid): false,
		fmt.Sprintf("%s%d-b", controlPrefix, os.Getpid()):      true,
		fmt.Sprintf("%s%d-c", controlPrefix, os.Getppid()):     true,
		controlPrefix + "x-d":                                  true, // not ours
		"other-dir":                                            true,
	}
	for name := range dirs {
		if err := os.MkdirAll(filepath.Join(tmp, name, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleControlDirs(tmp)
	for name, keep := range dirs {
		_, err := os.Stat(filepath.Join(tmp, name))
		if keep && err != nil {
			t.Errorf("%s was removed", name)
		}
		if !keep && err == nil {
			t.Errorf("%s (of a dead process) was left", name)
		}
	}
}

// Aliases that ssh resolves to the same connection have the same key;
// another port, user or identity makes another connection.
func TestConnectionKey(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("needs OpenSSH's ssh")
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "ssh_config")
	block := func(name, port, user, key string) string {
		return fmt.Sprintf("Host %s\n  HostName 127.0.0.1\n  Port %s\n  User %s\n  IdentityFile %s\n", name, port, user, key)
	}
	text := block("a1", "2222", "deploy", "/k1") + block("a2", "2222", "deploy", "/k1") +
		block("port", "2223", "deploy", "/k1") + block("user", "2222", "other", "/k1") + block("ident", "2222", "deploy", "/k2")
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	args := sshBaseArgs(config, 0)
	k1 := connectionKey(args, "a1")
	if k1 == "" || k1 != connectionKey(args, "a2") {
		t.Fatalf("a1 and a2 are one connection:\n%s", k1)
	}
	for _, other := range []string{"port", "user", "ident"} {
		if k := connectionKey(args, other); k == "" || k == k1 {
			t.Errorf("%s shares a1's connection", other)
		}
	}
	if k := connectionKey(sshBaseArgs(filepath.Join(dir, "missing"), 0), "a1"); k != "" {
		t.Errorf("a missing config gave a key")
	}
}

// A master serves sessionsPerMaster hosts; then the next gets a new one;
// a master whose last host is done is not shared any more.
func TestMasterPoolShares(t *testing.T) {
	var p masterPool
	defer p.remove()
	h := &sshHost{dest: "a"}
	first, fresh, err := p.take("k", h, false)
	if err != nil || !fresh {
		t.Fatalf("first take: fresh %v, %v", fresh, err)
	}
	for i := 1; i < sessionsPerMaster; i++ {
		if m, fresh, _ := p.take("k", h, false); m != first || fresh {
			t.Fatalf("host %d got another master", i+1)
		}
	}
	second, fresh, _ := p.take("k", h, false)
	if second == first || !fresh || second.socket == first.socket {
		t.Fatal("host 11 shares the full master")
	}
	if m, _, _ := p.take("other", h, false); m == first || m == second {
		t.Fatal("another key shares a master")
	}
	if m, _, _ := p.take("", h, false); m == first || m == second {
		t.Fatal("no key shares a master")
	}
	close(second.ready)
	p.release(second, false)
	if m, _, _ := p.take("k", h, false); m == second {
		t.Fatal("an ended master is shared")
	}

	// Relayed hosts need no session of their own: any number share.
	relay, _, _ := p.take("r", h, true)
	for i := 0; i < 2*sessionsPerMaster; i++ {
		if m, _, _ := p.take("r", h, true); m != relay {
			t.Fatalf("relayed host %d got another master", i+2)
		}
	}
	// A master that logged in and then lost its connection (ssh exited)
	// is not shared any more; one whose login failed is, with its error.
	close(relay.ready)
	relay.dead.Store(true)
	if m, _, _ := p.take("r", h, true); m == relay {
		t.Fatal("a master whose ssh has exited is shared")
	}
	failed, _, _ := p.take("f", h, true)
	failed.err = fmt.Errorf("Permission denied")
	close(failed.ready)
	failed.dead.Store(true)
	if m, _, _ := p.take("f", h, true); m != failed {
		t.Fatal("a failed login is tried again by every host that shares it")
	}
}

// Logins are bounded per sshd (host name and port) and per jump host.
func TestServers(t *testing.T) {
	for key, want := range map[string]string{
		"user u\nhostname 10.0.0.1\nport 22\nproxyjump none\n": "server 10.0.0.1:22",
		"hostname h\nport 2222\nproxyjump bastion\n":           "server h:2222|jump bastion",
		"": "",
	} {
		if got := strings.Join(servers(key), "|"); got != want {
			t.Errorf("servers(%q) = %q, want %q", key, got, want)
		}
	}
}

// An agent binary is named by its Go build ID (read, not hashed: the ID
// ends with a hash of the content); anything else by its sha256.
func TestAgentFileNames(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	f, err := hashFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte("go build ID " + strings.TrimSpace(string(out))))
	if f.id != hex.EncodeToString(want[:]) {
		t.Errorf("test binary: id %s, want the hash of its build ID %s", f.id, strings.TrimSpace(string(out)))
	}
	if info, _ := os.Stat(exe); f.size != info.Size() {
		t.Errorf("size %d, want %d", f.size, info.Size())
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if nameOf(data) != f.id {
		t.Error("the name of the binary's content differs from the name of its file")
	}

	script := filepath.Join(t.TempDir(), "agent.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err = hashFile(script)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("#!/bin/sh\necho hi\n"))
	if f.id != hex.EncodeToString(sum[:]) || f.dynamic || nameOf([]byte("#!/bin/sh\necho hi\n")) != f.id {
		t.Errorf("script: id %s dynamic %v, want its sha256 and static", f.id, f.dynamic)
	}
	if _, err := hashFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("no error for a missing agent binary")
	}
}
