//go:build !linux

package remote

import "syscall"

// masterAttr starts an ssh master in its own process group (Ctrl-C reaches
// batou, which then ends the deploy in order).
func masterAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
