//go:build !linux

package main

import "os/exec"

// dieWithUs: only Linux can tie a child's life to its parent's.
func dieWithUs(*exec.Cmd) {}
