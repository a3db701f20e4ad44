//go:build !linux

package remote

import "syscall"

// masterAttr is how an ssh master is started: in a process group of its
// own (close ends the group). Elsewhere than on Linux there is no
// Pdeathsig: the masters of a killed batou are ended by the next deploy.
func masterAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
