package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/batou-go/batou/environments"
	"github.com/batou-go/batou/environments/ini"
	"github.com/batou-go/batou/environments/secrets"
	"github.com/urfave/cli/v3"
)

// secretsEdit is one run of `batou secrets edit`.
type secretsEdit struct {
	c      *cli.Command
	env    string
	file   string // "" for secrets.cfg
	store  *secrets.Store
	editor string
	answer *bufio.Reader
}

func runSecretsEdit(ctx context.Context, c *cli.Command) error {
	if n := c.Args().Len(); n < 1 || n > 2 {
		fmt.Fprintf(c.Root().ErrWriter, "batou secrets edit: want ENV [FILE]\nusage: batou secrets edit [--editor CMD] ENV [FILE]\n")
		return exitError{2}
	}
	e := &secretsEdit{c: c, env: c.Args().Get(0), file: c.Args().Get(1), answer: bufio.NewReader(os.Stdin)}
	e.editor = firstOf(c.String("editor"), os.Getenv("EDITOR"), "vi")
	if err := e.run(); err != nil {
		return secretsFail(c, err)
	}
	return nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// run decrypts into a private temporary directory, runs the editor until
// the result can be saved or the user gives up, and removes the directory
// in every case.
func (e *secretsEdit) run() error {
	if e.file != "" {
		if err := secrets.CheckFileName(e.file); err != nil {
			return err
		}
	}
	var missing *environments.MissingError
	if _, err := environments.Load(".", e.env); errors.As(err, &missing) {
		return fmt.Errorf("%v\n  hint: %s", err, missing.Hint())
	}
	store, err := secrets.Open(".", e.env, secretKeys())
	if err != nil {
		return err
	}
	e.store = store
	old, err := e.cleartext()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "batou-secrets-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, firstOf(e.file, "secrets.cfg"))
	if err := os.WriteFile(path, old, 0o600); err != nil {
		return err
	}
	return e.loop(path, old)
}

// cleartext returns the current content of the file being edited: empty
// or a template for a new one.
func (e *secretsEdit) cleartext() ([]byte, error) {
	if e.file == "" {
		if e.store.Config == "" {
			return []byte(secrets.NewConfig), nil
		}
		return e.store.Decrypt(e.store.Config)
	}
	if e.store.Config == "" {
		return nil, fmt.Errorf("environment %s has no secrets.cfg.age or secrets.cfg.gpg to take the members of secret files from\n  hint: create it first with `batou secrets edit %s`", e.env, e.env)
	}
	if rel, ok := e.store.Files[e.file]; ok {
		return e.store.Decrypt(rel)
	}
	return nil, nil
}

// loop edits and saves; after a failure it offers to edit again.
func (e *secretsEdit) loop(path string, old []byte) error {
	out := e.c.Root().Writer
	for {
		err := e.edit(path)
		if err == nil {
			var clear []byte
			if clear, err = os.ReadFile(path); err == nil {
				if bytes.Equal(clear, old) {
					fmt.Fprintln(out, "No changes; nothing written.")
					return nil
				}
				if err = e.save(clear); err == nil {
					fmt.Fprintf(out, "Encrypted and saved %s.\n", e.target())
					return nil
				}
			}
		}
		fmt.Fprintf(e.c.Root().ErrWriter, "ERROR: %v\n", err)
		if !e.again() {
			return fmt.Errorf("nothing was saved; %s is unchanged", e.target())
		}
	}
}

// target names the file being edited.
func (e *secretsEdit) target() string {
	if e.file == "" {
		return firstOf(e.store.Config, "secrets.cfg of "+e.env)
	}
	return "secret file " + e.file + " of " + e.env
}

// edit runs the editor on path.
func (e *secretsEdit) edit(path string) error {
	cmd := exec.Command("/bin/sh", "-c", e.editor+` "$1"`, "batou-editor", path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the editor (%s) failed: %v", e.editor, err)
	}
	return nil
}

// again asks whether to edit again; no answer is no.
func (e *secretsEdit) again() bool {
	fmt.Fprint(e.c.Root().ErrWriter, "Edit again? [Y/n] ")
	line, err := e.answer.ReadString('\n')
	fmt.Fprintln(e.c.Root().ErrWriter)
	answer := strings.ToLower(strings.TrimSpace(line))
	if err != nil && err != io.EOF || (err == io.EOF && line == "") {
		return false
	}
	return answer == "" || answer == "y" || answer == "yes"
}

// save checks and encrypts the new cleartext.
func (e *secretsEdit) save(clear []byte) error {
	if e.file != "" {
		return e.store.SaveFile(e.file, clear)
	}
	if err := e.checkAgainstEnvironment(clear); err != nil {
		return err
	}
	return e.store.SaveConfig(clear)
}

// checkAgainstEnvironment merges the new secrets into the environment to
// find what a deploy would refuse: unknown hosts, overrides set in both
// places, sections a secrets file may not have.
func (e *secretsEdit) checkAgainstEnvironment(clear []byte) error {
	env, _ := environments.Load(".", e.env)
	if env == nil {
		return nil
	}
	rel := firstOf(e.store.Config, e.store.Dir+"/secrets.cfg")
	f, err := ini.Parse(rel, clear)
	if err != nil {
		return nil // saving reports it
	}
	if errs := env.MergeSecrets(rel, f); len(errs) > 0 {
		return errs
	}
	return nil
}
