package remote

import "syscall"

// masterAttr is how an ssh master is started: in a process group of its
// own (close ends the group), and, should batou be killed (kill -9, the
// OOM killer), ended by the kernel (Pdeathsig) instead of staying
// connected until the next deploy finds it. The kernel sends that signal
// when the thread that started ssh ends; Go ends a thread only when a
// goroutine locked to it (LockOSThread) returns, which batou's goroutines
// never are.
func masterAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
