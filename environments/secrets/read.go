package secrets

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/batou-go/batou/environments/ini"
)

// Contents is the cleartext of an environment's secrets.
type Contents struct {
	// Config is secrets.cfg, parsed; nil when there is none.
	Config *ini.File
	// Members are the recipients listed in [batou] members.
	Members []string
	// Files maps the name of each secret file to its content.
	Files map[string]string
}

// Read decrypts secrets.cfg and every secret file. An environment without
// secrets gives empty Contents without touching any key.
func (s *Store) Read() (*Contents, error) {
	c := &Contents{Files: map[string]string{}}
	if s.Config != "" {
		clear, err := s.Decrypt(s.Config)
		if err != nil {
			return nil, err
		}
		if c.Config, c.Members, _, err = ParseConfig(s.Config, clear); err != nil {
			return nil, err
		}
	}
	for _, name := range s.FileNames() {
		clear, err := s.Decrypt(s.Files[name])
		if err != nil {
			return nil, err
		}
		c.Files[name] = string(clear)
	}
	return c, nil
}

// Decrypt returns the cleartext of the project-relative file rel, by its
// extension.
func (s *Store) Decrypt(rel string) ([]byte, error) {
	data, err := os.ReadFile(s.abs(rel))
	if err != nil {
		return nil, &Error{File: rel, Msg: "cannot read", Err: err}
	}
	return DecryptData(s.keys, rel, data)
}

// DecryptData returns the cleartext of data, the content of file, by the
// file's extension (.age or .gpg).
func DecryptData(keys *Keys, file string, data []byte) ([]byte, error) {
	if keys == nil {
		keys = &Keys{}
	}
	_, ext := splitExt(file)
	c, err := keys.cipher(ext)
	if err != nil {
		return nil, &Error{File: file, Msg: "not a secrets file: the name must end in .age or .gpg"}
	}
	clear, err := c.decrypt(file, data)
	if err != nil {
		return nil, withFile(file, err)
	}
	return clear, nil
}

// withFile puts file into an *Error, or wraps another error in one.
func withFile(file string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.File = file
		return &c
	}
	return &Error{File: file, Msg: err.Error(), Err: err}
}

// ParseConfig reads the cleartext of a secrets.cfg file: the INI, the
// members of [batou] and its secret_provider ("" when not given). rel
// names the file in errors, which never quote values.
func ParseConfig(rel string, clear []byte) (*ini.File, []string, string, error) {
	f, err := ini.Parse(rel, clear)
	if err != nil {
		return nil, nil, "", fmt.Errorf("the secrets are not valid INI:\n%w", err)
	}
	b := f.Section("batou")
	if b == nil {
		return f, nil, "", nil
	}
	var members []string
	if k := b.Key("members"); k != nil {
		members = SplitMembers(k.Value)
	}
	provider := ""
	if k := b.Key("secret_provider"); k != nil {
		provider = strings.TrimSpace(k.Value)
	}
	return f, members, provider, nil
}

// SplitMembers splits a members value at commas and line breaks.
func SplitMembers(v string) []string {
	var out []string
	for _, m := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' }) {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}
