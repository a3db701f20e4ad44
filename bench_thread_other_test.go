//go:build !linux

package main

import "syscall"

// rusageThread: only Linux tells a thread's usage; elsewhere the
// process's is taken.
const rusageThread = syscall.RUSAGE_SELF
