//go:build !linux

package cli

// releaseExePages: only Linux is known to map the executable this way.
func releaseExePages() (int64, error) { return 0, nil }
