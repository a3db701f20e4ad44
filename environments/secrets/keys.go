package secrets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Keys says where the keys to decrypt with come from, and loads them once.
// The zero value reads the process environment and the user's home
// directory and asks for no passphrase.
type Keys struct {
	// Getenv reads a variable of the environment; nil means os.Getenv.
	Getenv func(string) string
	// Home is the user's home directory; "" means os.UserHomeDir.
	Home string
	// Passphrase asks for the passphrase of the key file named by what;
	// nil means none can be asked for (the passphrase variables still
	// answer).
	Passphrase func(what string) ([]byte, error)
	// GPG is the gpg binary; "" means gpg, else gpg2, from PATH.
	GPG string

	mu      sync.Mutex
	age     *ageKeys
	keyring *keyring
}

// getenv reads a variable.
func (k *Keys) getenv(name string) string {
	if k != nil && k.Getenv != nil {
		return k.Getenv(name)
	}
	return os.Getenv(name)
}

// home returns the home directory, or "".
func (k *Keys) home() string {
	if k != nil && k.Home != "" {
		return k.Home
	}
	h, _ := os.UserHomeDir()
	return h
}

// passphrase answers for a key file: from the variable env when it is
// set, else by asking.
func (k *Keys) passphrase(env, what string) ([]byte, error) {
	if v := k.getenv(env); v != "" {
		return []byte(v), nil
	}
	if k == nil || k.Passphrase == nil {
		return nil, fmt.Errorf("%s is protected by a passphrase; set %s or run batou on a terminal", what, env)
	}
	return k.Passphrase(what)
}

// pathList splits a list of files separated by colons or commas and
// expands a leading ~.
func (k *Keys) pathList(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ',' }) {
		p = strings.TrimSpace(p)
		if p == "~" || strings.HasPrefix(p, "~/") {
			p = filepath.Join(k.home(), p[1:])
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// cipher returns the cipher of a provider.
func (k *Keys) cipher(provider string) (cipher, error) {
	switch provider {
	case Age:
		return ageCipher{k}, nil
	case GPG:
		if k.getenv("BATOU_GPG_KEYRING") != "" {
			return keyringCipher{k}, nil
		}
		return gpgCipher{k}, nil
	}
	return nil, fmt.Errorf("unknown secret provider %q (use age or gpg)", provider)
}

// cipher encrypts to members and decrypts with the user's keys.
type cipher interface {
	// decrypt returns the cleartext of data, the content of file (a
	// project-relative path, for messages).
	decrypt(file string, data []byte) ([]byte, error)
	// encrypt returns plain encrypted to the members.
	encrypt(members []string, plain []byte) ([]byte, error)
	// current reports whether data is encrypted to exactly the members;
	// false when that cannot be told.
	current(members []string, data []byte) bool
	// checkMember says what is wrong with a member, or returns nil.
	checkMember(member string) error
}
