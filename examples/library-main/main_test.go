package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLibraryMain builds this main and runs "dev": the program's graph is
// served and its auth enforced.
func TestLibraryMain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "library-main")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "dev", "--memory", "--port", "0")
	cmd.Dir = t.TempDir() // no langgraph.json: the program alone
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "agentgate listening on ")
	if err != nil || !ok {
		t.Fatalf("first stdout line %q (%v)", line, err)
	}
	status := func(token string) int {
		req, _ := http.NewRequest("POST", url+"/assistants/search", strings.NewReader(`{"graph_id": "chatbot"}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status(""); got != 401 {
		t.Errorf("no token: %d, want 401", got)
	}
	if got := status("user1-token"); got != 200 {
		t.Errorf("user1: %d, want 200", got)
	}
}
