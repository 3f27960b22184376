//go:build unix

package cli

import (
	"os"
	"syscall"
)

// execBinary replaces the process with binary run with args.
func execBinary(binary string, args []string) error {
	return syscall.Exec(binary, append([]string{binary}, args...), append(os.Environ(), projectBinaryEnv+"="+binary))
}
