package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"
)

func initCommand() *cli.Command {
	return &cli.Command{
		Name:         "init",
		Usage:        "create a new project with one example component",
		ArgsUsage:    "[DIR]",
		OnUsageError: usageError,
		Action: func(ctx context.Context, c *cli.Command) error {
			dir := "."
			if c.Args().Len() > 1 {
				fmt.Fprintln(c.Root().ErrWriter, "batou init: want at most one directory")
				return exitError{2}
			}
			if c.Args().Present() {
				dir = c.Args().First()
			}
			if err := initProject(dir); err != nil {
				fmt.Fprintf(c.Root().ErrWriter, "batou init: %v\n", err)
				return exitError{1}
			}
			printNextSteps(c.Root().Writer, dir, selfCommand(os.Args[0]))
			return nil
		},
	}
}

// initFiles is the example project: one component that shows the idioms
// (typed attributes with docs, a template, an override in the
// environment, verify and update) and an environment that deploys on
// this machine.
var initFiles = map[string]string{
	"components/hello/component.star": `# The hello component writes a greeting into its work directory,
# work/hello, and "reloads" when the greeting changed.

def _configure(self):
    # configure runs on your machine and builds the target state: here a
    # file rendered from the template hello.txt next to this file.
    self += File("hello.txt", source = "hello.txt", is_template = True)

def _verify(self):
    # verify runs on the host, after the sub-components were deployed:
    # ask for an update when hello.txt is newer than the last reload.
    self.assert_file_is_current("reloaded", ["hello.txt"])

def _update(self):
    # update runs only when verify asked for it. A real service would
    # be reloaded here, for example with self.cmd("systemctl reload hello").
    self.touch("reloaded")
    self.log("reloaded with greeting %r", self.greeting)

Hello = Component(
    configure = _configure,
    verify = _verify,
    update = _update,
    attrs = {
        "greeting": Attribute(str, default = "Hello", doc = "how to greet"),
    },
)
`,
	"components/hello/hello.txt": "{{ component.greeting }} from {{ host.name }} in {{ environment.name }}!\n",
	"environments/dev/environment.cfg": `[environment]
; local: deploy on this machine, into work/ of the project
connect_method = local

[hosts]
localhost = hello

[component:hello]
; overrides the default of the attribute greeting
greeting = Hi
`,
	".gitignore": "# written by deploys with connect_method = local\n/work/\n/.batou-lock\n",
}

// initProject writes the example project; it refuses to overwrite files.
func initProject(dir string) error {
	for _, name := range sortedKeys(initFiles) {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return fmt.Errorf("%s already exists; not overwriting anything", filepath.Join(dir, name))
		}
	}
	for _, name := range sortedKeys(initFiles) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writeFileAtomic(p, []byte(initFiles[name])); err != nil {
			return err
		}
	}
	return nil
}

// printNextSteps says what was created and the commands to try, with
// batou spelled as it can be run from the new project.
func printNextSteps(w io.Writer, dir, batou string) {
	fmt.Fprintf(w, "created a project in %s:\n", dir)
	fmt.Fprintln(w, "  components/hello/component.star   the component hello")
	fmt.Fprintln(w, "  components/hello/hello.txt        a template it renders")
	fmt.Fprintln(w, "  environments/dev/environment.cfg  the environment dev: hello on this machine")
	fmt.Fprintln(w, "next:")
	if filepath.Clean(dir) != "." {
		fmt.Fprintf(w, "  cd %s\n", shellQuote(dir))
	}
	if batou == "" {
		fmt.Fprintln(w, "  (batou runs from a temporary build; build it first: go build -o ~/bin/batou .)")
		batou = "batou"
	}
	steps := [][2]string{
		{"deploy dev", "deploy; a second deploy changes nothing"},
		{"show dev localhost hello", "every value and where it comes from"},
		{"repl dev", "explore the model"},
	}
	width := 0
	for _, s := range steps {
		width = max(width, len(batou)+1+len(s[0]))
	}
	for _, s := range steps {
		fmt.Fprintf(w, "  %-*s  # %s\n", width, batou+" "+s[0], s[1])
	}
}

// selfCommand returns how to run this batou from any directory: "batou"
// when that is what PATH finds, else its absolute path. It returns ""
// when batou runs from a temporary build (go run).
func selfCommand(arg0 string) string {
	exe, err := os.Executable()
	if err != nil {
		return "batou"
	}
	exe, _ = filepath.EvalSymlinks(exe)
	if found, err := exec.LookPath("batou"); err == nil {
		if real, err := filepath.EvalSymlinks(found); err == nil && (real == exe || !strings.Contains(arg0, "/")) {
			return "batou"
		}
	}
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return ""
	}
	return shellQuote(exe)
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./~+@:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
