//go:build !unix

package cli

import (
	"errors"
	"os"
	"os/exec"
)

// execBinary runs binary with args, forwarding the standard streams, and
// exits with its exit code (there is no exec(2) here).
func execBinary(binary string, args []string) error {
	cmd := exec.Command(binary, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), projectBinaryEnv+"="+binary)
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		os.Exit(ee.ExitCode())
	}
	if err != nil {
		return err
	}
	os.Exit(0)
	return nil
}
