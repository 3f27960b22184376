package main

import (
	"os/exec"
	"syscall"
)

// dieWithUs has the kernel stop cmd (SIGTERM) if loadtool dies first, so
// that a killed or broken-piped loadtool leaves no server behind.
func dieWithUs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
