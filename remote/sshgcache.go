package remote

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Which hosts share a connection is decided by what ssh -G resolves for
// each (connectionKey). One ssh -G costs about 7 ms of CPU, nearly all of
// it starting ssh (loading its libraries, initialising OpenSSL), so 16
// aliases of one machine cost more in ssh -G than in deploying. Its answer
// depends only on the ssh binary, the configuration files it reads, the
// local user and host, and the arguments, unless the configuration asks
// for more (Match, environment variables, canonical host names): so the
// answers are kept in the user's cache directory, under a hash of all
// that, and ssh -G runs again when any of it changes. A configuration
// that uses what cannot be hashed is never cached.

// sshKeyCache keeps connection keys across deploys. A nil one caches
// nothing.
type sshKeyCache struct {
	dir    string // where entries are kept ("" caches nothing)
	mu     sync.Mutex
	inputs map[string]sshRead // sshInputs by -F file ("" for none)
}

// sshRead is the hash of what ssh -G reads ("": not cacheable) and the
// configuration files that went into it.
type sshRead struct {
	hash  string
	files map[string]bool
}

// newSSHKeyCache returns the cache in dir (the user's cache directory
// when "").
func newSSHKeyCache(dir string) *sshKeyCache {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil
		}
		dir = filepath.Join(base, "batou", "ssh-config")
	}
	return &sshKeyCache{dir: dir, inputs: map[string]sshRead{}}
}

// key returns the connection key of dest with args, from the cache or
// from ssh -G (and then keeps it).
func (c *sshKeyCache) key(args []string, dest string) string {
	if c == nil {
		return connectionKey(args, dest)
	}
	config := configFile(args)
	c.mu.Lock()
	inputs, ok := c.inputs[config]
	if !ok {
		inputs = sshInputs(config)
		c.inputs[config] = inputs
	}
	c.mu.Unlock()
	if inputs.hash == "" {
		return connectionKey(args, dest)
	}
	file := filepath.Join(c.dir, entryName(inputs.hash, args, dest))
	if data, err := os.ReadFile(file); err == nil {
		if key, ok := checkedEntry(data); ok {
			return key
		}
	}
	key, read := resolveKey(args, dest)
	// Keep it only when every file ssh read went into the hash, and
	// nothing changed while ssh read them.
	if key != "" && inputs.covers(read) && sshInputs(config).hash == inputs.hash {
		pruneCache(c.dir)
		_ = writeCacheFile(c.dir, file, []byte(key+entryTrailer+checksum(key)+"\n"))
	}
	return key
}

// entryTrailer ends a cache entry, before the checksum of the key: an
// entry cut short (a crash before its data reached the disk) is not
// taken for a key.
const entryTrailer = "# batou ssh -G sha256 "

func checksum(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// checkedEntry returns the key an entry holds, if it is whole.
func checkedEntry(data []byte) (string, bool) {
	body, sum, ok := strings.Cut(string(data), entryTrailer)
	if !ok || body == "" || strings.TrimSuffix(sum, "\n") != checksum(body) {
		return "", false
	}
	return body, true
}

// entryMaxAge is how long a cache entry is kept after it was written (a
// changed configuration leaves the entries of the old one unused).
const entryMaxAge = 30 * 24 * time.Hour

// pruneCache removes entries and temporary files older than entryMaxAge.
func pruneCache(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && time.Since(info.ModTime()) > entryMaxAge {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// covers reports whether the files ssh said it read are all among the
// hashed ones: a file ssh reads that the hash left out (a system
// configuration elsewhere than /etc/ssh, a home directory other than the
// one looked in, a reading of Include that differs from ssh's) makes the
// answer uncacheable. When ssh named none although a file was hashed, its
// -v output is not understood, and nothing is cached either.
func (r sshRead) covers(read []string) bool {
	if len(read) == 0 && len(r.files) > 0 {
		return false
	}
	for _, p := range read {
		if !r.files[filepath.Clean(p)] {
			return false
		}
	}
	return true
}

// configFile is the -F file of ssh arguments, "" when there is none.
func configFile(args []string) string {
	for i, a := range args {
		if a == "-F" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// entryName is the file name of the key of dest with args.
func entryName(inputs string, args []string, dest string) string {
	h := sha256.New()
	h.Write([]byte(inputs))
	h.Write([]byte{0})
	h.Write([]byte(keyOf(args, dest)))
	return hex.EncodeToString(h.Sum(nil))[:40]
}

// writeCacheFile writes data to file in dir (created private) through a
// temporary file renamed over it.
func writeCacheFile(dir, file string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), file)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// sshInputs hashes what ssh -G -F config (or without -F when config is
// "") reads besides its arguments: the ssh binary on PATH (its path,
// size, time and inode), the local user, home and host name, and every
// configuration file with the files it includes. Its hash is "" when the
// answer may depend on more: a Match block, an environment variable, a
// canonical host name (DNS), an Include it cannot follow, or a file it
// cannot read.
func sshInputs(config string) sshRead {
	h := sha256.New()
	bin, err := exec.LookPath("ssh")
	if err != nil {
		return sshRead{}
	}
	st, err := os.Stat(bin)
	if err != nil {
		return sshRead{}
	}
	var ino uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = uint64(sys.Ino)
	}
	fmt.Fprintf(h, "ssh %s %d %d %d\n", bin, st.Size(), st.ModTime().UnixNano(), ino)
	u, err := user.Current()
	if err != nil {
		return sshRead{}
	}
	host, _ := os.Hostname()
	fmt.Fprintf(h, "user %s %s %s %s %s\n", u.Uid, u.Username, u.HomeDir, os.Getenv("HOME"), host)
	homes := []string{u.HomeDir}
	if env := os.Getenv("HOME"); env != "" && env != u.HomeDir {
		homes = append(homes, env)
	}
	r := &sshConfigReader{h: h, homes: homes, files: map[string]bool{}}
	if config != "" {
		r.file(config, true, 0)
	} else {
		for _, home := range homes {
			r.file(filepath.Join(home, ".ssh", "config"), true, 0)
		}
		r.file("/etc/ssh/ssh_config", false, 0)
	}
	if r.uncacheable {
		return sshRead{}
	}
	return sshRead{hash: hex.EncodeToString(h.Sum(nil)), files: r.files}
}

// sshConfigReader hashes configuration files and what they include.
type sshConfigReader struct {
	h           interface{ Write([]byte) (int, error) }
	homes       []string
	uncacheable bool
	files       map[string]bool // the files hashed (cleaned paths)
}

// file hashes one configuration file (user: read as the user's, which
// resolves relative includes in ~/.ssh, else in /etc/ssh).
func (r *sshConfigReader) file(path string, user bool, depth int) {
	if r.uncacheable {
		return
	}
	if depth > 16 { // as ssh's own limit on nested includes
		r.uncacheable = true
		return
	}
	data, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err):
		fmt.Fprintf(r.h, "missing %s\n", path)
		return
	case err != nil:
		r.uncacheable = true
		return
	}
	fmt.Fprintf(r.h, "file %s %d\n", path, len(data))
	_, _ = r.h.Write(data)
	r.files[filepath.Clean(path)] = true
	// Lines as ssh reads them (getline: no limit on their length; a NUL
	// ends what it parses of one).
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, 0); i >= 0 {
			line = line[:i]
		}
		word, rest, ok := sshKeyword(line)
		if !ok {
			continue
		}
		if strings.Contains(line, "${") {
			r.uncacheable = true
			return
		}
		switch word {
		case "match":
			r.uncacheable = true
			return
		case "canonicalizehostname":
			if !strings.EqualFold(strings.TrimSpace(rest), "no") {
				r.uncacheable = true
				return
			}
		case "include":
			r.include(rest, user, depth)
		}
	}
}

// sshKeyword splits a configuration line as ssh does (readconf.c): its
// keyword, lowercased, and the rest. ok is false for a line ssh skips
// (empty, a comment). ssh takes a keyword that is quoted, partly quoted,
// or after leading whitespace, "" or "=", and ends it at a space, tab,
// CR, quote or "=": a Match written so is a Match.
func sshKeyword(line string) (word, rest string, ok bool) {
	line = strings.TrimRight(line, " \t\r\n\f")
	word, rest, ok = strdelim(line)
	if ok && word == "" {
		word, rest, ok = strdelim(rest)
	}
	if !ok || word == "" || word[0] == '#' {
		return "", "", false
	}
	return strings.ToLower(word), rest, true
}

// strdelim returns the next word of s and what follows it, as ssh's
// strdelim (with "=" a separator) does; ok is false for a quote that is
// not closed.
func strdelim(s string) (word, rest string, ok bool) {
	const space = " \t\r\n"
	i := strings.IndexAny(s, space+"\"=")
	if i < 0 {
		return s, "", true
	}
	if s[i] == '"' { // the quote is dropped, the word ends at the next
		s = s[:i] + s[i+1:]
		j := strings.IndexByte(s[i:], '"')
		if j < 0 {
			return "", "", false
		}
		return s[:i+j], strings.TrimLeft(s[i+j+1:], space), true
	}
	word, rest = s[:i], strings.TrimLeft(s[i+1:], space)
	if s[i] != '=' && strings.HasPrefix(rest, "=") { // one "=" after spaces
		rest = strings.TrimLeft(rest[1:], space)
	}
	return word, rest, true
}

// include hashes the files an Include line names.
func (r *sshConfigReader) include(args string, user bool, depth int) {
	if strings.ContainsAny(args, "%\"'\\") { // tokens, quotes, escapes
		r.uncacheable = true
		return
	}
	// Split as ssh does (argv_split: at spaces and tabs only).
	for _, pattern := range strings.FieldsFunc(args, func(r rune) bool { return r == ' ' || r == '\t' }) {
		var candidates []string
		switch {
		case strings.HasPrefix(pattern, "~/"):
			for _, home := range r.homes {
				candidates = append(candidates, filepath.Join(home, pattern[2:]))
			}
		case strings.HasPrefix(pattern, "~"):
			r.uncacheable = true // another user's home
			return
		case filepath.IsAbs(pattern):
			candidates = []string{pattern}
		case user:
			for _, home := range r.homes {
				candidates = append(candidates, filepath.Join(home, ".ssh", pattern))
			}
		default:
			candidates = []string{filepath.Join("/etc/ssh", pattern)}
		}
		for _, c := range candidates {
			glob, ok := goGlob(c)
			if !ok {
				r.uncacheable = true
				return
			}
			matches, err := filepath.Glob(glob)
			if err != nil {
				r.uncacheable = true
				return
			}
			sort.Strings(matches)
			fmt.Fprintf(r.h, "include %s %q\n", c, matches)
			for _, m := range matches {
				r.file(m, user, depth+1)
			}
		}
	}
}

// goGlob translates a pattern of glob(3), as ssh expands an Include, to
// filepath.Glob's: "[!...]" is "[^...]". ok is false for what the two
// would match differently (a character class such as [:alpha:], or "]"
// first in a set). Go's "*" and "?" also match a leading ".", which
// glob(3) does not: more files are hashed than ssh reads, never fewer.
func goGlob(pattern string) (string, bool) {
	var b strings.Builder
	in := false // inside [...]
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		b.WriteByte(c)
		switch {
		case c == '[' && !in:
			in = true
			if i+1 < len(pattern) && (pattern[i+1] == '!' || pattern[i+1] == '^') {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(pattern) && pattern[i+1] == ']' {
				return "", false
			}
		case c == '[' && in:
			if i+1 < len(pattern) && strings.IndexByte(":=.", pattern[i+1]) >= 0 {
				return "", false
			}
		case c == ']' && in:
			in = false
		}
	}
	return b.String(), true
}
