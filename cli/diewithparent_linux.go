package cli

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes cmd receive SIGTERM when the process that started it
// dies, however it dies (a dev process killed with SIGKILL must not leave
// its server running on the port).
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
}
