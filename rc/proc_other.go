//go:build unix && !linux

package rc

import "syscall"

// childProcAttr puts a member in its own process group, so that a terminal's
// SIGINT reaches only the controller, which then stops its members in order.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
