package main

import "syscall"

// rusageThread asks getrusage for the calling thread's usage.
const rusageThread = syscall.RUSAGE_THREAD
