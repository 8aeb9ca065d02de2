package rc

import "syscall"

// childProcAttr puts a member in its own process group, so that a terminal's
// SIGINT reaches only the controller (which then stops its members in
// order), and has the kernel kill the member if the controller dies without
// stopping it.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
