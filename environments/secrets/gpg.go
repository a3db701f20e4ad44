package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// gpgCipher runs the user's gpg binary, so that keys in gpg-agent,
// smartcards and YubiKeys work.
type gpgCipher struct{ k *Keys }

// binary returns the gpg binary: Keys.GPG, else gpg, else gpg2.
func (c gpgCipher) binary() (string, error) {
	if c.k != nil && c.k.GPG != "" {
		return c.k.GPG, nil
	}
	for _, name := range []string{"gpg", "gpg2"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", &Error{Msg: "cannot find gpg (looked for gpg and gpg2 on PATH)",
		Hint: "install GnuPG, or set BATOU_GPG_KEYRING to key files to decrypt without it"}
}

// run runs gpg with stdin and returns its stdout.
func (c gpgCipher) run(stdin []byte, args ...string) ([]byte, error) {
	bin, err := c.binary()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	if tty := terminal(); tty != "" && os.Getenv("GPG_TTY") == "" {
		cmd.Env = append(os.Environ(), "GPG_TTY="+tty) // where pinentry asks
	}
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &gpgError{args: args, err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return out.Bytes(), nil
}

// terminal returns the terminal batou's input comes from, or "" (on
// Linux; elsewhere GPG_TTY must be set as gpg's documentation says).
func terminal() string {
	t, err := os.Readlink("/proc/self/fd/0")
	if err != nil || !strings.HasPrefix(t, "/dev/pts/") && !strings.HasPrefix(t, "/dev/tty") {
		return ""
	}
	return t
}

// gpgError is a failed gpg call.
type gpgError struct {
	args   []string
	err    error
	stderr string
}

func (e *gpgError) Error() string {
	var said []string
	for _, l := range strings.Split(e.stderr, "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(l, "gpg: ")); l != "" {
			said = append(said, l)
		}
	}
	msg := fmt.Sprintf("gpg %s failed (%v)", e.args[len(e.args)-1], e.err)
	if len(said) > 0 {
		msg += ": " + strings.Join(said, "; ")
	}
	return msg
}

func (e *gpgError) Unwrap() error { return e.err }

func (c gpgCipher) decrypt(file string, data []byte) ([]byte, error) {
	out, err := c.run(data, "--quiet", "--decrypt")
	if err == nil {
		return out, nil
	}
	var ge *gpgError
	if errors.As(err, &ge) {
		return nil, &Error{Msg: "cannot decrypt: " + ge.Error(), Err: err,
			Hint: "if gpg has no secret key for it, ask a member to add your key id with `batou secrets add KEYID --environments ENV`; " +
				"check that gpg-agent can ask for your passphrase (GPG_TTY) and that your smartcard is present"}
	}
	return nil, err
}

func (c gpgCipher) encrypt(members []string, plain []byte) ([]byte, error) {
	args := []string{"--batch", "--yes", "--quiet", "--trust-model", "always", "--output", "-"}
	for _, m := range members {
		args = append(args, "--recipient", m)
	}
	out, err := c.run(plain, append(args, "--encrypt")...)
	if err != nil {
		return nil, fmt.Errorf("encrypting for %s: %w", strings.Join(members, ", "), err)
	}
	return out, nil
}

func (c gpgCipher) checkMember(m string) error {
	if strings.TrimSpace(m) == "" {
		return fmt.Errorf("empty member")
	}
	if _, err := c.keyIDs(m); err != nil {
		return fmt.Errorf("member %s: no usable public key in your gpg keyring (import it with gpg --import): %w", m, err)
	}
	return nil
}

// keyIDs returns the ids of the member's keys that can encrypt.
func (c gpgCipher) keyIDs(member string) ([]string, error) {
	out, err := c.run(nil, "--batch", "--with-colons", "--list-keys", "--", member)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 12 || (f[0] != "pub" && f[0] != "sub") || strings.ContainsAny(f[1], "reid") {
			continue
		}
		if strings.Contains(f[11], "e") {
			ids = append(ids, strings.ToUpper(f[4]))
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no valid encryption key")
	}
	return ids, nil
}

func (c gpgCipher) current(members []string, data []byte) bool {
	return matchKeyIDs(members, data, c.keyIDs)
}

// matchKeyIDs reports whether the public-key packets of an OpenPGP
// message are exactly one per member, each for a key of that member.
func matchKeyIDs(members []string, data []byte, idsOf func(string) ([]string, error)) bool {
	got, err := recipientKeyIDs(data)
	if err != nil || len(got) != len(members) {
		return false
	}
	for _, m := range members {
		ids, err := idsOf(m)
		if err != nil {
			return false
		}
		i := slices.IndexFunc(got, func(id string) bool { return slices.Contains(ids, id) })
		if i < 0 {
			return false
		}
		got = slices.Delete(got, i, i+1)
	}
	return true
}

// recipientKeyIDs lists the key ids of the public-key encrypted session
// key packets at the start of an OpenPGP message.
func recipientKeyIDs(data []byte) ([]string, error) {
	r := bytes.NewReader(data)
	var src = packet.NewReader(r)
	if bytes.HasPrefix(data, []byte("-----BEGIN PGP")) {
		block, err := armor.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		src = packet.NewReader(block.Body)
	}
	var ids []string
	for {
		p, err := src.Next()
		if err != nil {
			return nil, err
		}
		ek, ok := p.(*packet.EncryptedKey)
		if !ok {
			return ids, nil
		}
		if ek.KeyId == 0 {
			return nil, fmt.Errorf("hidden recipient")
		}
		ids = append(ids, fmt.Sprintf("%016X", ek.KeyId))
	}
}
