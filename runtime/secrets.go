package runtime

import (
	"errors"

	"github.com/batou-go/batou/environments"
	"github.com/batou-go/batou/environments/secrets"
)

// LoadOptions change how Load reads an environment.
type LoadOptions struct {
	// Keys decrypt the environment's secrets; nil reads the keys the
	// process environment names (see package secrets).
	Keys *secrets.Keys
}

// loadSecrets decrypts the environment's secrets.cfg and secret files,
// merges them into the environment and makes every secret value
// sensitive.
func (m *Model) loadSecrets(keys *secrets.Keys) Errors {
	store, err := secrets.Open(m.Project.Dir, m.Env.Name, keys)
	if err != nil {
		return secretErrors(err)
	}
	if store.Empty() {
		return nil
	}
	m.secrets = true
	contents, err := store.Read()
	if err != nil {
		return secretErrors(err)
	}
	errs := envErrors(nilIfEmpty(m.Env.MergeSecrets(store.Config, contents.Config)))
	m.SecretFiles = contents.Files
	s := m.Project.Session.Sensitive
	s.Add(m.Env.SecretValues...)
	for _, content := range contents.Files {
		s.Add(content)
	}
	return errs
}

// nilIfEmpty turns an empty list into a nil error.
func nilIfEmpty(errs environments.Errors) error {
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// secretErrors converts the errors of package secrets.
func secretErrors(err error) Errors {
	var list secrets.Errors
	if !errors.As(err, &list) {
		list = secrets.Errors{err}
	}
	out := make(Errors, 0, len(list))
	for _, e := range list {
		var se *secrets.Error
		if errors.As(e, &se) {
			out = append(out, &Error{File: se.File, Msg: se.Msg, Hint: se.Hint})
			continue
		}
		out = append(out, &Error{Msg: e.Error()})
	}
	return out
}
