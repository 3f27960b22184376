package codecheck

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/internal/testenv"
)

// TestNeedsNoCgo: the only packages of the binary with cgo files are the
// standard library's that have pure-Go fallbacks, so CGO_ENABLED=0 builds
// the same server (README: "nothing in it needs cgo").
func TestNeedsNoCgo(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-deps", "-f", "{{if .CgoFiles}}{{.ImportPath}}{{end}}", "./cmd/agentgate")
	cmd.Dir = testenv.ModuleRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	fallback := map[string]bool{"runtime/cgo": true, "net": true, "os/user": true}
	for _, p := range strings.Fields(string(out)) {
		if !fallback[p] {
			t.Errorf("%s uses cgo", p)
		}
	}
}
