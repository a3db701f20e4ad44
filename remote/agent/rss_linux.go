package agent

import "syscall"

// maxRSS is the peak resident memory of this process in bytes (0 when
// unknown), for the bye event.
func maxRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024 // Linux counts KiB
}
