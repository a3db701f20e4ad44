package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// keyringCipher does OpenPGP in process (ProtonMail/go-crypto) with the
// keys of the files in BATOU_GPG_KEYRING: public keys of the members to
// encrypt, the user's secret key to decrypt.
type keyringCipher struct{ k *Keys }

// keyring is the loaded BATOU_GPG_KEYRING.
type keyring struct {
	entities openpgp.EntityList
	files    []string
	err      error
}

// keyring loads the key files once.
func (k *Keys) loadKeyring() *keyring {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keyring != nil {
		return k.keyring
	}
	kr := &keyring{files: k.pathList(k.getenv("BATOU_GPG_KEYRING"))}
	for _, f := range kr.files {
		list, err := readKeyFile(f)
		if err != nil {
			kr.err = &Error{Msg: fmt.Sprintf("cannot read OpenPGP key file %s (from BATOU_GPG_KEYRING): %v", f, err),
				Hint: "BATOU_GPG_KEYRING lists key files (gpg --export / --export-secret-keys, armored or not), separated by colons"}
			break
		}
		kr.entities = append(kr.entities, list...)
	}
	k.keyring = kr
	return kr
}

// readKeyFile reads an armored or binary key file.
func readKeyFile(file string) (openpgp.EntityList, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN PGP")) {
		return openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	}
	return openpgp.ReadKeyRing(bytes.NewReader(data))
}

// entity returns the one key of the keyring that member names: by
// fingerprint, long or short key id (of the key or a subkey), or a part
// of a user id such as the e-mail address.
func (kr *keyring) entity(member string) (*openpgp.Entity, error) {
	var found []*openpgp.Entity
	for _, e := range kr.entities {
		if entityMatches(e, member) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("member %s matches no key of BATOU_GPG_KEYRING (%s)", member, strings.Join(kr.files, ", "))
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("member %s matches %d keys of BATOU_GPG_KEYRING; use a fingerprint", member, len(found))
}

// entityMatches reports whether member names e.
func entityMatches(e *openpgp.Entity, member string) bool {
	hex := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(member, "0x"), "0X"))
	keys := []string{fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)}
	for _, sk := range e.Subkeys {
		keys = append(keys, fmt.Sprintf("%X", sk.PublicKey.Fingerprint))
	}
	for _, fp := range keys {
		if len(hex) >= 8 && strings.HasSuffix(fp, hex) {
			return true
		}
	}
	for name := range e.Identities {
		if strings.Contains(strings.ToLower(name), strings.ToLower(member)) {
			return true
		}
	}
	return false
}

func (c keyringCipher) checkMember(m string) error {
	kr := c.k.loadKeyring()
	if kr.err != nil {
		return kr.err
	}
	e, err := kr.entity(m)
	if err != nil {
		return err
	}
	if _, ok := e.EncryptionKey(time.Now()); !ok {
		return fmt.Errorf("member %s has no valid encryption key", m)
	}
	return nil
}

func (c keyringCipher) encrypt(members []string, plain []byte) ([]byte, error) {
	kr := c.k.loadKeyring()
	if kr.err != nil {
		return nil, kr.err
	}
	var to []*openpgp.Entity
	for _, m := range members {
		e, err := kr.entity(m)
		if err != nil {
			return nil, err
		}
		to = append(to, e)
	}
	var buf bytes.Buffer
	w, err := openpgp.Encrypt(&buf, to, nil, nil, nil)
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

func (c keyringCipher) decrypt(file string, data []byte) ([]byte, error) {
	kr := c.k.loadKeyring()
	if kr.err != nil {
		return nil, kr.err
	}
	var src io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(data, []byte("-----BEGIN PGP")) {
		block, err := armor.Decode(src)
		if err != nil {
			return nil, &Error{Msg: "cannot decrypt: " + err.Error(), Err: err}
		}
		src = block.Body
	}
	md, err := openpgp.ReadMessage(src, kr.entities, c.prompt(), nil)
	if err == nil {
		var out []byte
		if out, err = io.ReadAll(md.UnverifiedBody); err == nil {
			return out, nil
		}
	}
	return nil, c.decryptError(kr, err)
}

// decryptError explains a failed decryption.
func (c keyringCipher) decryptError(kr *keyring, err error) error {
	if errors.Is(err, errNoPassphrase) || strings.Contains(err.Error(), "passphrase") {
		return &Error{Msg: "cannot decrypt: " + err.Error(), Err: err, Hint: "set BATOU_GPG_PASSPHRASE or run batou on a terminal"}
	}
	return &Error{Msg: fmt.Sprintf("cannot decrypt with the keys of BATOU_GPG_KEYRING (%s): %v", strings.Join(kr.files, ", "), err), Err: err,
		Hint: "ask a member to add your key id with `batou secrets add KEYID --environments ENV`, or unset BATOU_GPG_KEYRING to use gpg"}
}

// errNoPassphrase ends the prompt loop of ReadMessage.
var errNoPassphrase = errors.New("no passphrase")

// prompt decrypts protected secret keys, asking once.
func (c keyringCipher) prompt() openpgp.PromptFunction {
	asked := false
	return func(keys []openpgp.Key, symmetric bool) ([]byte, error) {
		if asked || symmetric {
			return nil, errNoPassphrase
		}
		asked = true
		pw, err := c.k.passphrase("BATOU_GPG_PASSPHRASE", "the OpenPGP secret key")
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if k.PrivateKey != nil && k.PrivateKey.Encrypted {
				_ = k.PrivateKey.Decrypt(pw)
			}
		}
		return nil, nil
	}
}

func (c keyringCipher) current(members []string, data []byte) bool {
	kr := c.k.loadKeyring()
	if kr.err != nil {
		return false
	}
	return matchKeyIDs(members, data, func(m string) ([]string, error) {
		e, err := kr.entity(m)
		if err != nil {
			return nil, err
		}
		var ids []string
		if k, ok := e.EncryptionKey(time.Now()); ok {
			ids = append(ids, fmt.Sprintf("%016X", k.PublicKey.KeyId))
		}
		return ids, nil
	})
}
