package secrets

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// The providers.
const (
	Age = "age"
	GPG = "gpg"
)

// configBase is the name of the main secrets file without its extension.
const configBase = "secrets.cfg"

// Store is the secrets of one environment on disk: which files there are
// and how they are encrypted.
type Store struct {
	// Env is the environment's name.
	Env string
	// Dir is the project-relative directory of the environment.
	Dir string
	// Provider is Age or GPG: the extension of the main file, or of the
	// secret files when there is none; "" when there are no secrets.
	Provider string
	// Config is the project-relative path of secrets.cfg.<provider>, or
	// "" when the environment has none.
	Config string
	// Files maps the name of each secret file ("tls.key" for
	// secret-tls.key.age) to its project-relative path.
	Files map[string]string

	project string
	keys    *Keys
}

// Open finds the secrets of environment env in the project at projectDir:
// environments/<env>/secrets.cfg.age|.gpg and secret-<name>.age|.gpg. A
// directory without them, or none at all, is an environment without
// secrets. Files Open cannot use are errors: both secrets.cfg.age and
// secrets.cfg.gpg, an unencrypted or age-diffable secrets.cfg, a secret
// file of another provider than secrets.cfg, or one without an extension.
// keys may be nil: the zero Keys.
func Open(projectDir, env string, keys *Keys) (*Store, error) {
	if keys == nil {
		keys = &Keys{}
	}
	s := &Store{Env: env, Dir: path.Join("environments", env), Files: map[string]string{}, project: projectDir, keys: keys}
	entries, err := os.ReadDir(s.abs(s.Dir))
	if err != nil && !os.IsNotExist(err) {
		return nil, &Error{File: s.Dir, Msg: "cannot list the environment's directory", Err: err}
	}
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			errs = append(errs, s.classify(e.Name()))
		}
	}
	errs = append(errs, s.checkFiles())
	if err := joinErrors(errs); err != nil {
		return nil, err
	}
	return s, nil
}

// classify records one file of the environment's directory.
func (s *Store) classify(name string) error {
	rel := path.Join(s.Dir, name)
	base, ext := splitExt(name)
	switch {
	case base == configBase && (ext == Age || ext == GPG):
		if s.Config != "" {
			return &Error{File: rel, Msg: fmt.Sprintf("the environment has both %s and %s", path.Base(s.Config), name),
				Hint: "keep one of them: remove the other (git rm), after checking that it holds nothing else"}
		}
		s.Config, s.Provider = rel, ext
	case name == configBase || strings.HasPrefix(name, configBase+"."):
		return s.unusableConfig(rel, ext)
	case strings.HasPrefix(name, "secret-"):
		return s.addFile(rel, strings.TrimPrefix(base, "secret-"), ext)
	}
	return nil
}

// unusableConfig explains a secrets.cfg file that cannot be read.
func (s *Store) unusableConfig(rel, ext string) error {
	if ext == "age-diffable" {
		return &Error{File: rel, Msg: "age-diffable secrets are not supported",
			Hint: fmt.Sprintf("convert it with Python batou: set secret_provider = age in its [batou] section (batou secrets edit %s), then use secrets.cfg.age", s.Env)}
	}
	return &Error{File: rel, Msg: "a secrets file must be encrypted: secrets.cfg.age or secrets.cfg.gpg",
		Hint: fmt.Sprintf("move its content into `batou secrets edit %s` and delete the file; never commit cleartext secrets", s.Env)}
}

// addFile records a secret file.
func (s *Store) addFile(rel, name, ext string) error {
	if ext != Age && ext != GPG {
		return &Error{File: rel, Msg: "a secret file must be encrypted and end in .age or .gpg",
			Hint: fmt.Sprintf("move its content into `batou secrets edit %s %s` and delete the file", s.Env, strings.TrimPrefix(path.Base(rel), "secret-"))}
	}
	if name == "" {
		return &Error{File: rel, Msg: "a secret file needs a name: secret-NAME." + ext}
	}
	s.Files[name] = rel
	return nil
}

// checkFiles checks that every secret file has the provider of the
// environment and that there are members to read them from.
func (s *Store) checkFiles() error {
	var errs []error
	for _, name := range s.FileNames() {
		rel := s.Files[name]
		_, ext := splitExt(rel)
		switch {
		case s.Config == "":
			errs = append(errs, &Error{File: rel, Msg: "a secret file needs the environment's secrets.cfg.age or secrets.cfg.gpg, which lists its members",
				Hint: fmt.Sprintf("create it with `batou secrets edit %s` and list the members in its [batou] section", s.Env)})
		case ext != s.Provider:
			errs = append(errs, &Error{File: rel, Msg: fmt.Sprintf("the environment's secrets use %s, but this file is encrypted with %s", s.Provider, ext),
				Hint: fmt.Sprintf("run `batou secrets reencrypt --force --environments %s` after decrypting it into `batou secrets edit %s %s`", s.Env, s.Env, name)})
		}
	}
	return joinErrors(errs)
}

// FileNames returns the names of the secret files, sorted.
func (s *Store) FileNames() []string {
	names := make([]string, 0, len(s.Files))
	for n := range s.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Empty reports whether the environment has no secrets at all.
func (s *Store) Empty() bool { return s.Config == "" && len(s.Files) == 0 }

// abs returns the absolute path of a project-relative one.
func (s *Store) abs(rel string) string { return filepath.Join(s.project, filepath.FromSlash(rel)) }

// splitExt cuts the last extension off a file name.
func splitExt(name string) (base, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return name, ""
	}
	return name[:i], name[i+1:]
}

// Errors is several problems found at once.
type Errors []error

// Error renders each problem on its own line(s).
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// joinErrors returns the non-nil errors of errs (flattened), or nil.
func joinErrors(errs []error) error {
	var out Errors
	for _, e := range errs {
		var list Errors
		switch {
		case e == nil:
		case asErrors(e, &list):
			out = append(out, list...)
		default:
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func asErrors(e error, list *Errors) bool {
	l, ok := e.(Errors)
	*list = l
	return ok
}
