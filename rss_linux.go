package main

import "syscall"

// maxRSS is the peak resident memory of this process (the controller,
// not its agents) in bytes, for the finish event; 0 when unknown.
func maxRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024 // Linux counts KiB
}
