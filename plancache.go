package main

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/batou-go/batou/runtime"
	"github.com/urfave/cli/v3"
)

// noCacheFlag makes deploy configure afresh.
var noCacheFlag = &cli.BoolFlag{Name: "no-cache", Usage: "configure afresh: neither use nor keep the plans of an earlier deploy"}

// planCache is where deploy keeps its plans: the user's cache directory
// (${XDG_CACHE_HOME:-~/.cache}/batou/plans); nil with --no-cache or when
// there is none.
func planCache(c *cli.Command) *runtime.PlanCache {
	if c.Bool("no-cache") {
		return nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	return &runtime.PlanCache{Dir: filepath.Join(base, "batou", "plans"), Facts: binaryFacts()}
}

// binaryFacts identify this batou binary (a rebuilt one has another
// modification time) and its version: the plans depend on both.
func binaryFacts() []string {
	facts := []string{"version", version}
	exe, err := os.Executable()
	if err != nil {
		return append(facts, "binary unknown")
	}
	info, err := os.Stat(exe)
	if err != nil {
		return append(facts, "binary unknown")
	}
	return append(facts, exe, strconv.FormatInt(info.Size(), 10), strconv.FormatInt(info.ModTime().UnixNano(), 10))
}
