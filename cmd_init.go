package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

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
			fmt.Fprintf(c.Root().Writer, "created a project in %s; try: cd %s && batou deploy dev\n", dir, dir)
			return nil
		},
	}
}

var initFiles = map[string]string{
	"components/hello/component.star": `# The hello component writes a greeting into its work directory.
# Deploy it with: batou deploy dev

def _configure(self):
    self += File("hello.txt", source = "hello.txt", is_template = True)

Hello = Component(
    configure = _configure,
    attrs = {
        "greeting": Attribute(str, default = "Hello"),
    },
)
`,
	"components/hello/hello.txt": "{{ component.greeting }} from {{ host.name }} in {{ environment.name }}!\n",
	"environments/dev/environment.cfg": `[environment]
connect_method = local

[hosts]
localhost = hello

[component:hello]
greeting = Hi
`,
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
		if err := os.WriteFile(p, []byte(initFiles[name]), 0o644); err != nil {
			return err
		}
	}
	return nil
}
