package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

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
	facts := binaryFacts()
	if err != nil || facts == nil {
		return nil
	}
	return &runtime.PlanCache{Dir: filepath.Join(base, "batou", "plans"), Facts: facts}
}

// binaryFacts identify this batou binary and its version: the plans
// depend on both. A rebuilt or replaced binary has another inode or
// change time (which no tool can set back), even with the same size and
// modification time. Without them there is no cache.
func binaryFacts() []string {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	info, err := os.Stat(exe)
	if err != nil {
		return nil
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return []string{"version", version, exe, strconv.FormatInt(info.Size(), 10), strconv.FormatInt(info.ModTime().UnixNano(), 10),
		fmt.Sprint(st.Dev), fmt.Sprint(st.Ino), changeTime(st)}
}
