package main

import (
	"fmt"
	"syscall"
)

// changeTime is the inode change time of st: set by the kernel on every
// write or rename, and by no tool back.
func changeTime(st *syscall.Stat_t) string { return fmt.Sprint(st.Ctim.Sec, ".", st.Ctim.Nsec) }
