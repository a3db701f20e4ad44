package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	// Deploys run in-process (benchmarks) start this binary as the agent.
	// Both run with the binary's GC settings.
	if len(os.Args) > 1 && os.Args[1] == "agent" {
		tuneGC()
		os.Exit(run(append([]string{"batou"}, os.Args[1:]...), os.Stdout, os.Stderr))
	}
	testscript.Main(ownCache{m}, map[string]func(){
		"batou": func() { tuneGC(); os.Exit(runLogged(os.Args)) },
	})
}

// ownCache runs the tests with a cache directory of their own: deploys
// run in-process keep their plans (and ssh -G answers) there, not in the
// user's. (The commands of the scripts run with their script's.)
type ownCache struct{ m *testing.M }

func (o ownCache) Run() int {
	_ = os.Setenv("XDG_CACHE_HOME", filepath.Join(os.TempDir(), "batou-test-cache"))
	return o.m.Run()
}

// TestScripts runs the end-to-end scripts in testscripts/*.txtar.
//
// Everything batou prints in them is logged, and when all are done no log
// may show a secret of the fixtures (secretMarker).
func TestScripts(t *testing.T) {
	logs := outputLogs(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testscripts",
		RequireExplicitExec: false,
		// [root]: the script runs as root (it may create users, install
		// packages).
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", filepath.Join(env.WorkDir, "home"))
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, "home", ".cache"))
			if err := logs(env); err != nil {
				return err
			}
			if repo, err := os.Getwd(); err == nil {
				env.Setenv("REPO", repo) // the repository, for scripts that use examples/
			}
			return os.MkdirAll(filepath.Join(env.WorkDir, "home"), 0o755)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mtimes":      cmdMtimes,
			"backdate":    cmdBackdate,
			"sshd":        cmdSshd,
			"sshaliases":  cmdSshaliases,
			"fakehosts":   cmdFakehosts,
			"deadhost":    cmdDeadhost,
			"silenthost":  cmdSilenthost,
			"closinghost": cmdClosinghost,
			"wrongkey":    cmdWrongkey,
			"waitfile":    cmdWaitfile,
			"killholder":  cmdKillholder,
			"term":        cmdTerm,
			"setenvfile":  cmdSetenvfile,
			"gnupg":       cmdGnupg,
			"noleak":      cmdNoleak,
			"httpserve":   cmdHttpserve,
			"gone":        cmdGone,
			"lockfree":    cmdLockfree,
			"drive":       cmdDrive,
		},
	})
}

// cmdMtimes writes "path mtime" lines for every file below DIR to OUT,
// except the deploy lock (the tool's own bookkeeping, not a managed file):
//
//	mtimes DIR OUT
func cmdMtimes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mtimes DIR OUT")
	}
	root := ts.MkAbs(args[0])
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".batou-lock" {
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		lines = append(lines, fmt.Sprintf("%s %d", rel, info.ModTime().UnixNano()))
		return nil
	})
	ts.Check(err)
	sort.Strings(lines)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

// cmdBackdate sets the mtime of every file below DIR to 2001-01-01, so that
// any later write shows in mtimes:
//
//	backdate DIR
func cmdBackdate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: backdate DIR")
	}
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	err := filepath.WalkDir(ts.MkAbs(args[0]), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	ts.Check(err)
}

// writeFiles writes files (slash-separated paths relative to dir, and
// their text) into dir, making the directories they need.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
