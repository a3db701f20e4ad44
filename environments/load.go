package environments

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/batou-go/batou/environments/ini"
)

// Load reads the environment name of the project in projectDir. A
// trailing ".cfg" on name is ignored. It reads
// environments/<name>/environment.cfg, or else environments/<name>.cfg.
//
// When neither exists, Load returns a *MissingError. When the file cannot
// be read, it returns the wrapped error. Otherwise it returns the
// Environment, and when the file has problems also all of them as Errors:
// the Environment then holds everything that could be read, so that the
// caller can add its own errors and report them together.
func Load(projectDir, name string) (*Environment, error) {
	name = strings.TrimSuffix(name, ".cfg")
	if err := checkEnvName(name); err != nil {
		return nil, err
	}
	rel, warning, err := locate(projectDir, name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(projectDir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, fmt.Errorf("reading environment %s: %w", name, err)
	}
	env, errs := Parse(name, rel, data)
	sum := sha256.Sum256(data)
	env.Digest = hex.EncodeToString(sum[:])
	if warning != nil {
		env.Warnings = append([]*Error{warning}, env.Warnings...)
	}
	if len(errs) > 0 {
		return env, errs
	}
	return env, nil
}

// checkEnvName rejects names that would point outside environments/.
func checkEnvName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("invalid environment name %q: use the name of a directory in environments/", name)
	}
	return nil
}

// locate returns the project-relative path of the environment file and a
// warning when both forms exist.
func locate(projectDir, name string) (string, *Error, error) {
	dirForm := "environments/" + name + "/environment.cfg"
	fileForm := "environments/" + name + ".cfg"
	dirOK, fileOK := isFile(projectDir, dirForm), isFile(projectDir, fileForm)
	switch {
	case dirOK && fileOK:
		return dirForm, &Error{Pos: Pos{File: fileForm},
			Msg:  fmt.Sprintf("both %s and %s exist; using %s", dirForm, fileForm, dirForm),
			Hint: fmt.Sprintf("remove %s or merge it into %s", fileForm, dirForm)}, nil
	case dirOK:
		return dirForm, nil, nil
	case fileOK:
		return fileForm, nil, nil
	}
	return "", nil, &MissingError{Name: name, Known: List(projectDir)}
}

// isFile reports whether rel names a regular file (or a link to one).
func isFile(projectDir, rel string) bool {
	info, err := os.Stat(filepath.Join(projectDir, filepath.FromSlash(rel)))
	return err == nil && info.Mode().IsRegular()
}

// List returns the names of the environments of the project in
// projectDir, sorted: every environments/<name>/environment.cfg and every
// environments/<name>.cfg.
func List(projectDir string) []string {
	entries, err := os.ReadDir(filepath.Join(projectDir, "environments"))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".cfg")
		if e.IsDir() {
			name, ok = e.Name(), isFile(projectDir, "environments/"+e.Name()+"/environment.cfg")
		}
		if ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Parse reads the environment name from data, the content of the
// project-relative file rel. Load calls it; it is useful on its own for
// content that does not come from disk. It returns the Environment and
// every problem found, sorted.
func Parse(name, rel string, data []byte) (*Environment, Errors) {
	env := newEnvironment(name, rel)
	f, err := ini.Parse(rel, data)
	env.INI = f
	l := &loader{env: env, file: rel, hosts: map[string]Pos{}}
	l.syntax(err)
	l.readFile(f)
	sortErrors(l.errs)
	sortErrors(env.Warnings)
	return env, l.errs
}
