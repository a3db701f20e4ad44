package remote

import "syscall"

// masterAttr starts an ssh master in its own process group (Ctrl-C reaches
// batou, which then ends the deploy in order) and ends it when batou dies
// without closing it (killed, or a second Ctrl-C). SIGKILL, as OpenSSH can
// miss a SIGTERM; the host sees the connection end, and its agent finishes
// the current component and releases the lock, as for any lost controller.
func masterAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
