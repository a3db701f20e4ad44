package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/batou-go/batou/environments"
	"github.com/batou-go/batou/environments/secrets"
	"github.com/urfave/cli/v3"
)

func secretsCommand() *cli.Command {
	envFlag := &cli.StringFlag{Name: "environments", Usage: "only these environments (`a,b`); all when not given"}
	return &cli.Command{
		Name:  "secrets",
		Usage: "edit and manage the encrypted secrets of environments",
		Commands: []*cli.Command{
			{Name: "edit", Usage: "edit secrets.cfg, or the secret file FILE, of ENV", ArgsUsage: "ENV [FILE]",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "editor", Usage: "the editor `CMD` (default: $EDITOR, else vi)"}},
				Action: runSecretsEdit, OnUsageError: usageError},
			{Name: "summary", Usage: "list each environment's members, secret files and secret keys (no values)",
				Flags: []cli.Flag{envFlag}, Action: runSecretsSummary, OnUsageError: usageError},
			{Name: "add", Usage: "add a member (age or ssh public key, gpg key id) and encrypt the secrets to it", ArgsUsage: "KEY",
				Flags: []cli.Flag{envFlag}, Action: runSecretsAdd, OnUsageError: usageError},
			{Name: "remove", Usage: "remove a member and encrypt the secrets again without it", ArgsUsage: "KEY",
				Flags: []cli.Flag{envFlag}, Action: runSecretsRemove, OnUsageError: usageError},
			{Name: "reencrypt", Usage: "encrypt every file again that is not encrypted to exactly the current members",
				Flags:  []cli.Flag{envFlag, &cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "encrypt every file again"}},
				Action: runSecretsReencrypt, OnUsageError: usageError},
			{Name: "decrypttostdout", Usage: "print the cleartext of an encrypted FILE (for git diff textconv)", ArgsUsage: "FILE",
				Action: runSecretsDecrypt, OnUsageError: usageError},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			c.Writer = c.Root().ErrWriter
			_ = cli.ShowSubcommandHelp(c)
			if c.Args().Present() {
				fmt.Fprintf(c.Root().ErrWriter, "batou secrets: unknown command %q\n", c.Args().First())
			}
			return exitError{2}
		},
		OnUsageError: usageError,
	}
}

// secretsFail prints an error of a secrets command and returns status 1.
func secretsFail(c *cli.Command, err error) error {
	fmt.Fprintf(c.Root().ErrWriter, "ERROR: %v\n", err)
	return exitError{1}
}

// oneArg returns the single argument of c, or a usage error.
func oneArg(c *cli.Command) (string, error) {
	if c.Args().Len() != 1 {
		fmt.Fprintf(c.Root().ErrWriter, "batou secrets %s: want exactly one argument\nusage: batou secrets %s %s\n", c.Name, c.Name, c.ArgsUsage)
		return "", exitError{2}
	}
	return c.Args().First(), nil
}

// selectedEnvs returns the environments --environments names (all when it
// is empty); unknown names are an error before anything changes.
func selectedEnvs(c *cli.Command) ([]string, error) {
	all := environments.List(".")
	if c.String("environments") == "" {
		if len(all) == 0 {
			return nil, fmt.Errorf("the project has no environments\n  hint: run batou in the project directory")
		}
		return all, nil
	}
	var out, unknown []string
	for _, e := range strings.Split(c.String("environments"), ",") {
		switch e = strings.TrimSpace(e); {
		case e == "" || slices.Contains(out, e):
		case slices.Contains(all, e):
			out = append(out, e)
		default:
			unknown = append(unknown, e)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown environment(s): %s\n  hint: environments of this project: %s", strings.Join(unknown, ", "), strings.Join(all, ", "))
	}
	return out, nil
}

func runSecretsSummary(ctx context.Context, c *cli.Command) error {
	envs, err := selectedEnvs(c)
	if err != nil {
		return secretsFail(c, err)
	}
	keys, failed := secretKeys(), false
	for _, env := range envs {
		if err := summarize(c.Root().Writer, env, keys); err != nil {
			fmt.Fprintf(c.Root().ErrWriter, "ERROR: %s: %v\n", env, err)
			failed = true
		}
	}
	if failed {
		return exitError{1}
	}
	return nil
}

// summarize prints one environment: provider, members, secret files and
// the keys (not the values) of its secrets.
func summarize(w io.Writer, env string, keys *secrets.Keys) error {
	store, err := secrets.Open(".", env, keys)
	if err != nil {
		return err
	}
	if store.Empty() {
		fmt.Fprintf(w, "%s\n  no secrets\n", env)
		return nil
	}
	contents, err := store.Read()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s (%s)\n  members:\n", env, store.Provider)
	for _, m := range contents.Members {
		fmt.Fprintf(w, "    - %s\n", m)
	}
	printList(w, "secret files", store.FileNames())
	printList(w, "secret values", secretKeyNames(contents))
	return nil
}

// secretKeyNames lists section.key of every value of secrets.cfg.
func secretKeyNames(c *secrets.Contents) []string {
	var out []string
	for _, s := range c.Config.Sections() {
		if s.Name == "batou" {
			continue
		}
		for _, k := range s.Keys() {
			out = append(out, fmt.Sprintf("[%s] %s", s.Name, k.Name))
		}
	}
	return out
}

func printList(w io.Writer, title string, items []string) {
	if len(items) == 0 {
		fmt.Fprintf(w, "  %s: none\n", title)
		return
	}
	fmt.Fprintf(w, "  %s:\n", title)
	for _, it := range items {
		fmt.Fprintf(w, "    - %s\n", it)
	}
}

func runSecretsAdd(ctx context.Context, c *cli.Command) error {
	return changeMembers(c, "add", func(members []string, key string) ([]string, string) {
		if slices.Contains(members, key) {
			return members, "is already a member"
		}
		return append(members, key), "added"
	})
}

func runSecretsRemove(ctx context.Context, c *cli.Command) error {
	return changeMembers(c, "remove", func(members []string, key string) ([]string, string) {
		i := slices.Index(members, key)
		if i < 0 {
			return members, "is not a member"
		}
		return slices.Delete(members, i, i+1), "removed"
	})
}

// changeMembers adds or removes KEY in the selected environments and
// encrypts their files to the new members.
func changeMembers(c *cli.Command, verb string, edit func([]string, string) ([]string, string)) error {
	key, err := oneArg(c)
	if err != nil {
		return err
	}
	envs, err := selectedEnvs(c)
	if err != nil {
		return secretsFail(c, err)
	}
	keys := secretKeys()
	for _, env := range envs {
		store, err := secrets.Open(".", env, keys)
		if err != nil {
			return secretsFail(c, err)
		}
		if verb == "remove" && store.Config == "" {
			fmt.Fprintf(c.Root().Writer, "%s: no secrets\n", env)
			continue
		}
		outcome := ""
		_, err = store.SetMembers(providerOf(key), func(ms []string) []string {
			var out []string
			out, outcome = edit(ms, key)
			return out
		})
		if err != nil {
			return secretsFail(c, err)
		}
		fmt.Fprintf(c.Root().Writer, "%s: %s\n", env, outcome)
	}
	return nil
}

// providerOf guesses the provider of a new environment from a member.
func providerOf(key string) string {
	if strings.HasPrefix(key, "age1") || strings.HasPrefix(key, "ssh-") {
		return secrets.Age
	}
	return secrets.GPG
}

func runSecretsReencrypt(ctx context.Context, c *cli.Command) error {
	envs, err := selectedEnvs(c)
	if err != nil {
		return secretsFail(c, err)
	}
	fmt.Fprintf(c.Root().Writer, "Re-encrypting environments: %s\n", strings.Join(envs, ", "))
	keys := secretKeys()
	for _, env := range envs {
		store, err := secrets.Open(".", env, keys)
		if err != nil {
			return secretsFail(c, err)
		}
		written, err := store.Reencrypt(c.Bool("force"))
		if err != nil {
			return secretsFail(c, err)
		}
		switch {
		case store.Empty():
			fmt.Fprintf(c.Root().Writer, "%s: no secrets\n", env)
		case len(written) == 0:
			fmt.Fprintf(c.Root().Writer, "%s: every file is encrypted to the current members; nothing written\n", env)
		default:
			fmt.Fprintf(c.Root().Writer, "%s: wrote %s\n", env, strings.Join(written, ", "))
		}
	}
	return nil
}

// runSecretsDecrypt prints the cleartext of a file: the one command that
// prints secrets, because that is what it is asked for. As a git textconv
// filter it must not break `git diff`: a file it cannot decrypt prints
// "(unable to decrypt content)" and the reason on stderr, with status 0.
func runSecretsDecrypt(ctx context.Context, c *cli.Command) error {
	file, err := oneArg(c)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err == nil {
		var clear []byte
		if clear, err = secrets.DecryptData(secretKeys(), file, data); err == nil {
			_, err = c.Root().Writer.Write(clear)
			return err
		}
	}
	fmt.Fprintln(c.Root().Writer, "(unable to decrypt content)")
	fmt.Fprintf(c.Root().ErrWriter, "batou secrets decrypttostdout: %v\n", err)
	return nil
}
