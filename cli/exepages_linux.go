package cli

import (
	"os"
	"syscall"
)

// releaseExePages drops this process's mappings of its executable's
// read-only pages (see exepages.go) and returns the resident bytes they
// held.
func releaseExePages() (int64, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	maps, err := releasableMappings(f, exe)
	f.Close()
	if err != nil {
		return 0, err
	}
	var released int64
	for _, m := range maps {
		// Addresses read from /proc, not Go pointers: the raw system call
		// keeps them out of the garbage collector's sight.
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), syscall.MADV_DONTNEED); e != 0 {
			return released, e
		}
		released += m.rss
	}
	return released, nil
}
