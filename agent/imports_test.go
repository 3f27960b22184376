package agent_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsOnlyGraphAndLLM keeps the package usable anywhere the
// runtime is: of agentgate's packages it may only use graph and llm.
func TestImportsOnlyGraphAndLLM(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go tool not found: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/agentgate/agentgate/"
	allowed := map[string]bool{"agent": true, "graph": true, "graph/checkpoint": true, "llm": true}
	for _, dep := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(dep, mod); ok && !allowed[rest] {
			t.Errorf("agent depends on %s", dep)
		}
	}
}
