// Command floor is the baseline of bench/local.sh: it generates the
// benchmark project, and does the least work a correct tool must do for
// the same workload (package workload): read and compare every file and
// write the ones that differ atomically (first deploy), or read and
// compare them (no-op deploy). Deploy times are reported as ratios to it.
//
//	floor gen DIR N      write a batou project deploying N templated files
//	floor write WORK N   compare, and write what differs (atomically)
//	floor check WORK N   read and compare; exit 1 if something differs
//	floor write-std WORK N, floor check-std WORK N
//	                     the same with the standard library (os.Stat,
//	                     os.ReadFile, os.WriteFile, os.Rename)
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/batou-go/batou/bench/workload"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: floor gen|write|check DIR N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "gen":
		err = workload.Gen(os.Args[2], n)
	case "write":
		err = workload.Write(os.Args[2], n)
	case "check":
		err = workload.Check(os.Args[2], n)
	case "write-std":
		err = workload.WriteStd(os.Args[2], n)
	case "check-std":
		err = workload.CheckStd(os.Args[2], n)
	default:
		err = fmt.Errorf("unknown command %s", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
