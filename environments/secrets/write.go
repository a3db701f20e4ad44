package secrets

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/batou-go/batou/environments/ini"
)

// NewConfig is the cleartext a new secrets.cfg starts from.
const NewConfig = "[batou]\nsecret_provider = age\nmembers =\n"

// CheckConfig checks new cleartext for secrets.cfg and returns its
// provider and members: the INI must parse, and [batou] must list at least
// one member that the provider can encrypt to.
func (s *Store) CheckConfig(clear []byte) (provider string, members []string, err error) {
	rel := s.configPath(s.Provider)
	_, members, provider, err = ParseConfig(rel, clear)
	if err != nil {
		return "", nil, err
	}
	provider = cmpOr(provider, s.Provider, Age)
	c, err := s.keys.cipher(provider)
	if err != nil {
		return "", nil, fmt.Errorf("[batou] secret_provider: %w", err)
	}
	if len(members) == 0 {
		return "", nil, fmt.Errorf("[batou] members lists nobody: add at least one member (an age or ssh public key for age, a gpg key id for gpg)")
	}
	var errs []error
	for _, m := range members {
		if err := c.checkMember(m); err != nil {
			errs = append(errs, err)
		}
	}
	return provider, members, joinErrors(errs)
}

// SaveConfig encrypts new cleartext of secrets.cfg to the members it
// lists. When the members or the provider change, the secret files are
// encrypted again too (a provider change renames them). On any error the
// files on disk stay as they were.
func (s *Store) SaveConfig(clear []byte) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	provider, members, err := s.CheckConfig(clear)
	if err != nil {
		return &Error{File: s.configPath(cmpOr(provider, s.Provider)), Msg: err.Error()}
	}
	files, err := s.reencryptFiles(provider, members, s.Provider != provider)
	if err != nil {
		return err
	}
	c, _ := s.keys.cipher(provider)
	data, err := c.encrypt(members, clear)
	if err != nil {
		return withFile(s.configPath(provider), err)
	}
	files[s.configPath(provider)] = data
	return s.replace(provider, files)
}

// reencryptFiles returns the secret files encrypted anew for members with
// provider, by new path: all of them when force is set, else those not
// encrypted to exactly these members.
func (s *Store) reencryptFiles(provider string, members []string, force bool) (map[string][]byte, error) {
	c, err := s.keys.cipher(provider)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, name := range s.FileNames() {
		rel := s.Files[name]
		data, err := os.ReadFile(s.abs(rel))
		if err != nil {
			return nil, &Error{File: rel, Msg: "cannot read", Err: err}
		}
		if !force && c.current(members, data) {
			continue
		}
		clear, err := DecryptData(s.keys, rel, data)
		if err != nil {
			return nil, err
		}
		if out[s.filePath(name, provider)], err = c.encrypt(members, clear); err != nil {
			return nil, withFile(rel, err)
		}
	}
	return out, nil
}

// replace writes files (project-relative path -> content) atomically and,
// when the provider changed, removes the files of the old one.
func (s *Store) replace(provider string, files map[string][]byte) error {
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		if err := writeAtomic(s.abs(rel), files[rel]); err != nil {
			return &Error{File: rel, Msg: "cannot write", Err: err}
		}
	}
	if s.Provider != "" && s.Provider != provider {
		for _, old := range append([]string{s.Config}, slices.Collect(maps.Values(s.Files))...) {
			if old != "" {
				if err := os.Remove(s.abs(old)); err != nil {
					return &Error{File: old, Msg: "cannot remove the file of the old provider", Err: err}
				}
			}
		}
	}
	s.Provider, s.Config = provider, s.configPath(provider)
	for name := range s.Files {
		s.Files[name] = s.filePath(name, provider)
	}
	return nil
}

// SaveFile encrypts the cleartext of the secret file name to the members
// of secrets.cfg.
func (s *Store) SaveFile(name string, clear []byte) error {
	if err := CheckFileName(name); err != nil {
		return err
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	members, err := s.members()
	if err != nil {
		return err
	}
	c, _ := s.keys.cipher(s.Provider)
	rel := s.filePath(name, s.Provider)
	data, err := c.encrypt(members, clear)
	if err != nil {
		return withFile(rel, err)
	}
	if err := writeAtomic(s.abs(rel), data); err != nil {
		return &Error{File: rel, Msg: "cannot write", Err: err}
	}
	s.Files[name] = rel
	return nil
}

// CheckFileName refuses a secret file name that is not a plain file name.
func CheckFileName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return &Error{Msg: fmt.Sprintf("%q is not a secret file name", name), Hint: "name a file such as tls.key: it becomes secret-tls.key.age"}
	}
	return nil
}

// members returns the members of secrets.cfg.
func (s *Store) members() ([]string, error) {
	if s.Config == "" {
		return nil, &Error{File: s.Dir, Msg: "the environment has no secrets.cfg.age or secrets.cfg.gpg that lists its members",
			Hint: fmt.Sprintf("create it first with `batou secrets edit %s`", s.Env)}
	}
	clear, err := s.Decrypt(s.Config)
	if err != nil {
		return nil, err
	}
	_, members, _, err := ParseConfig(s.Config, clear)
	if err != nil {
		return nil, withFile(s.Config, err)
	}
	if len(members) == 0 {
		return nil, &Error{File: s.Config, Msg: "[batou] members lists nobody", Hint: fmt.Sprintf("add members with `batou secrets edit %s`", s.Env)}
	}
	return members, nil
}

// Reencrypt encrypts every file again that is not encrypted to exactly
// the current members, or every file when force is set, and returns the
// files written. Files that are current stay byte for byte.
func (s *Store) Reencrypt(force bool) ([]string, error) {
	if s.Config == "" {
		return nil, nil
	}
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	members, err := s.members()
	if err != nil {
		return nil, err
	}
	files, err := s.reencryptFiles(s.Provider, members, force)
	if err != nil {
		return nil, err
	}
	if err := s.reencryptConfig(members, force, files); err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(files)), s.replace(s.Provider, files)
}

// reencryptConfig adds secrets.cfg to files when it needs encrypting.
func (s *Store) reencryptConfig(members []string, force bool, files map[string][]byte) error {
	c, _ := s.keys.cipher(s.Provider)
	data, err := os.ReadFile(s.abs(s.Config))
	if err != nil {
		return &Error{File: s.Config, Msg: "cannot read", Err: err}
	}
	if !force && c.current(members, data) {
		return nil
	}
	clear, err := DecryptData(s.keys, s.Config, data)
	if err != nil {
		return err
	}
	if files[s.Config], err = c.encrypt(members, clear); err != nil {
		return withFile(s.Config, err)
	}
	return nil
}

// SetMembers changes the members of secrets.cfg with edit (which gets
// the current list and returns the new one) and encrypts every file to
// the new members. It reports whether anything changed. An environment
// without secrets.cfg gets one, with the given provider.
func (s *Store) SetMembers(provider string, edit func([]string) []string) (bool, error) {
	clear := []byte(strings.Replace(NewConfig, "= age", "= "+provider, 1))
	if s.Config != "" {
		var err error
		if clear, err = s.Decrypt(s.Config); err != nil {
			return false, err
		}
	}
	f, old, _, err := ParseConfig(s.configPath(s.Provider), clear)
	if err != nil {
		return false, withFile(s.Config, err)
	}
	members := edit(slices.Clone(old))
	if slices.Equal(members, old) && s.Config != "" {
		return false, nil
	}
	if err := setMembers(f, members); err != nil {
		return false, withFile(s.Config, err)
	}
	return true, s.SaveConfig(f.Bytes())
}

// setMembers writes members into [batou], one per line.
func setMembers(f *ini.File, members []string) error {
	b, err := f.AddSection("batou")
	if err != nil {
		return err
	}
	return b.Set("members", strings.Join(members, ",\n"))
}

// configPath returns the path of secrets.cfg for provider.
func (s *Store) configPath(provider string) string {
	return path.Join(s.Dir, configBase+"."+cmpOr(provider, Age))
}

// filePath returns the path of secret file name for provider.
func (s *Store) filePath(name, provider string) string {
	return path.Join(s.Dir, "secret-"+name+"."+cmpOr(provider, Age))
}

// lock takes an exclusive lock on the environment's directory for the
// duration of a change, creating the directory if needed.
func (s *Store) lock() (func(), error) {
	dir := s.abs(s.Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, &Error{File: s.Dir, Msg: "cannot create the directory", Err: err}
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, &Error{File: s.Dir, Msg: "cannot open the directory to lock it", Err: err}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, &Error{File: s.Dir, Msg: "another batou is changing the secrets of this environment", Err: err,
			Hint: "wait until it is done, then try again"}
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// writeAtomic writes data to a temporary file next to file and renames it
// over file.
func writeAtomic(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// cmpOr returns the first non-empty string.
func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
