package secrets

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
)

// ageCipher encrypts with filippo.io/age.
type ageCipher struct{ k *Keys }

// ageKeys are the identities loaded for decryption.
type ageKeys struct {
	ids   []age.Identity
	files []string // the identity files, for messages
	err   error
}

func (c ageCipher) checkMember(m string) error {
	_, err := ageRecipient(m)
	return err
}

// ageRecipient parses a member: an age public key or an ssh public key.
func ageRecipient(m string) (age.Recipient, error) {
	switch {
	case strings.HasPrefix(m, "age1"):
		r, err := age.ParseX25519Recipient(m)
		if err != nil {
			return nil, fmt.Errorf("member %s is not a valid age public key: %w", m, err)
		}
		return r, nil
	case strings.HasPrefix(m, "ssh-"):
		r, err := agessh.ParseRecipient(m)
		if err != nil {
			return nil, fmt.Errorf("member %s is not a usable ssh public key (ssh-ed25519 or ssh-rsa): %w", shorten(m), err)
		}
		return r, nil
	}
	return nil, fmt.Errorf("member %s is neither an age public key (age1...) nor an ssh public key (ssh-ed25519 ..., ssh-rsa ...)", shorten(m))
}

// shorten cuts a long member (an ssh key) for messages.
func shorten(m string) string {
	if f := strings.Fields(m); len(f) >= 2 && len(f[1]) > 20 {
		return f[0] + " " + f[1][:12] + "..." + f[1][len(f[1])-8:]
	}
	return m
}

func (c ageCipher) encrypt(members []string, plain []byte) ([]byte, error) {
	var rs []age.Recipient
	for _, m := range members {
		r, err := ageRecipient(m)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (c ageCipher) decrypt(file string, data []byte) ([]byte, error) {
	keys := c.k.ageKeys()
	if keys.err != nil {
		return nil, keys.err
	}
	var src io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(data, []byte(armor.Header)) {
		src = armor.NewReader(src)
	}
	r, err := age.Decrypt(src, keys.ids...)
	if err != nil {
		return nil, c.decryptError(keys, err)
	}
	return io.ReadAll(r)
}

// decryptError explains a failed decryption.
func (c ageCipher) decryptError(keys *ageKeys, err error) error {
	var none *age.NoIdentityMatchError
	if errors.As(err, &none) {
		return &Error{Msg: fmt.Sprintf("none of your age identities (%s) is a member", strings.Join(keys.files, ", ")), Err: err,
			Hint: "ask a member to add your public key (age-keygen -y KEYFILE, or your ~/.ssh/id_*.pub) with `batou secrets add KEY --environments ENV`; " +
				"if your key is elsewhere, list it in BATOU_AGE_IDENTITIES"}
	}
	return &Error{Msg: "cannot decrypt: " + err.Error(), Err: err,
		Hint: "check that the file is an age file (git may have changed it) and that your identity files are the right ones"}
}

// ageKeys loads the identities once.
func (k *Keys) ageKeys() *ageKeys {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.age == nil {
		k.age = k.loadAgeKeys()
	}
	return k.age
}

// loadAgeKeys reads the files of BATOU_AGE_IDENTITIES, else the default
// ssh keys that exist.
func (k *Keys) loadAgeKeys() *ageKeys {
	files := k.pathList(k.getenv("BATOU_AGE_IDENTITIES"))
	explicit := len(files) > 0
	if !explicit {
		for _, name := range []string{"id_ed25519", "id_rsa"} {
			if p := filepath.Join(k.home(), ".ssh", name); fileExists(p) {
				files = append(files, p)
			}
		}
	}
	if len(files) == 0 {
		return &ageKeys{err: &Error{Msg: "no age identity to decrypt with: BATOU_AGE_IDENTITIES is not set and there is no ~/.ssh/id_ed25519 or ~/.ssh/id_rsa",
			Hint: "set BATOU_AGE_IDENTITIES to your identity files (age-keygen output or ssh private keys), separated by colons"}}
	}
	out := &ageKeys{files: files}
	for _, f := range files {
		ids, err := k.readIdentity(f)
		if err != nil {
			out.err = &Error{Msg: fmt.Sprintf("cannot read age identity %s: %v", f, err),
				Hint: "BATOU_AGE_IDENTITIES lists age identity files (age-keygen) or ssh private keys (ed25519, rsa), separated by colons"}
			return out
		}
		out.ids = append(out.ids, ids...)
	}
	return out
}

// readIdentity reads one identity file: an ssh private key or an age
// identity file.
func (k *Keys) readIdentity(file string) ([]age.Identity, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		return age.ParseIdentities(bytes.NewReader(data))
	}
	id, err := agessh.ParseIdentity(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return k.encryptedSSHIdentity(file, data, missing.PublicKey)
	}
	if err != nil {
		return nil, err
	}
	return []age.Identity{id}, nil
}

// encryptedSSHIdentity asks for the passphrase only when a file has a
// stanza for the key.
func (k *Keys) encryptedSSHIdentity(file string, data []byte, pub ssh.PublicKey) ([]age.Identity, error) {
	if pub == nil {
		pubData, err := os.ReadFile(file + ".pub")
		if err != nil {
			return nil, fmt.Errorf("the key is protected by a passphrase and %s.pub, its public key, cannot be read: %w", file, err)
		}
		if pub, _, _, _, err = ssh.ParseAuthorizedKey(pubData); err != nil {
			return nil, fmt.Errorf("%s.pub: %w", file, err)
		}
	}
	ask := func() ([]byte, error) { return k.passphrase("BATOU_AGE_IDENTITY_PASSPHRASE", file) }
	id, err := agessh.NewEncryptedSSHIdentity(pub, data, ask)
	if err != nil {
		return nil, err
	}
	return []age.Identity{id}, nil
}

// current compares the header's recipient stanzas with the members: the
// same number, and every ssh member's key tag present. X25519 stanzas do
// not say whom they are for, so only their number counts.
func (c ageCipher) current(members []string, data []byte) bool {
	stanzas, err := ageStanzas(data)
	if err != nil || len(stanzas) != len(members) {
		return false
	}
	for _, m := range members {
		want, err := ageStanzaOf(m)
		if err != nil {
			return false
		}
		i := slices.Index(stanzas, want)
		if i < 0 {
			return false
		}
		stanzas = slices.Delete(stanzas, i, i+1)
	}
	return true
}

// ageStanzaOf returns how a member's stanza starts: "X25519", or the ssh
// key type and its tag.
func ageStanzaOf(m string) (string, error) {
	if strings.HasPrefix(m, "age1") {
		return "X25519", nil
	}
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(m))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(pk.Marshal())
	return pk.Type() + " " + base64.RawStdEncoding.EncodeToString(sum[:4]), nil
}

// ageStanzas lists the recipient stanzas of an age file's header: type
// and, for ssh stanzas, the key tag.
func ageStanzas(data []byte) ([]string, error) {
	var src io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(data, []byte(armor.Header)) {
		src = armor.NewReader(src)
	}
	hdr, err := age.ExtractHeader(src)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(hdr))
	for sc.Scan() {
		f := strings.Fields(strings.TrimPrefix(sc.Text(), "-> "))
		if !strings.HasPrefix(sc.Text(), "-> ") || len(f) == 0 {
			continue
		}
		if strings.HasPrefix(f[0], "ssh-") && len(f) > 1 {
			out = append(out, f[0]+" "+f[1])
		} else {
			out = append(out, f[0])
		}
	}
	return out, nil
}

// fileExists reports whether p is a regular file.
func fileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}
