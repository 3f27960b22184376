package graph_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoHTTPOrSQL keeps the runtime free of HTTP and SQL packages.
func TestNoHTTPOrSQL(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not found: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", ".", "./checkpoint").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !strings.Contains(string(out), "github.com/agentgate/agentgate/graph/checkpoint") {
		t.Fatalf("go list output does not list the packages: %v", deps)
	}
	for _, dep := range deps {
		if dep == "net/http" || strings.HasPrefix(dep, "net/http/") || dep == "database/sql" ||
			strings.Contains(dep, "sqlite") || strings.Contains(dep, "pgx") || strings.Contains(dep, "lib/pq") {
			t.Errorf("graph depends on %s", dep)
		}
	}
}
