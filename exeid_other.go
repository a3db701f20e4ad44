//go:build !linux

package main

import "syscall"

// changeTime is left out where the field has another name: the inode
// still tells a replaced binary.
func changeTime(*syscall.Stat_t) string { return "" }
