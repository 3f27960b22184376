//go:build unix

package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/internal/testenv"
)

// testSlowGraphEnv gives the test child a graph "slow" whose one node
// takes 3 s (see TestMain).
const testSlowGraphEnv = "AGENTGATE_TEST_SLOW_GRAPH"

func slowGraph() (*graph.Graph, error) {
	return graph.New().AddChannel("done", graph.LastValue[bool]()).
		AddNode("wait", func(ctx context.Context, _ graph.State) (any, error) {
			select {
			case <-time.After(3 * time.Second):
				return graph.State{"done": true}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}).
		AddEdge(graph.START, "wait").AddEdge("wait", graph.END).Compile()
}

// replica starts "agentgate serve" (this test binary) on Postgres and
// Redis and returns its URL and process.
func replica(t *testing.T, dir, db, redis string) (string, *exec.Cmd) {
	t.Helper()
	return startReplica(t, []string{"serve", "--addr", "127.0.0.1:0", "--config", dir, "--database", db,
		"--redis-url", redis, "--log-level", "warn"}, testSlowGraphEnv+"=1")
}

// startReplica starts this test binary as agentgate with args and extra
// environment variables, and returns its URL and process.
func startReplica(t *testing.T, args []string, vars ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := testChild(args)
	cmd.Env = append(cmd.Env, vars...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v", err)
	}
	return strings.TrimPrefix(strings.TrimSpace(line), "agentgate listening on "), cmd
}

// TestFailoverAfterKill: a replica is killed (SIGKILL) while it runs a
// run; the other replica, sharing Postgres and Redis, takes the run over
// within about 10 s (leases of 8 s, swept every 2 s) and finishes it.
func TestFailoverAfterKill(t *testing.T) {
	db := testenv.FreshPostgres(t)
	redis := testenv.RedisURL(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "langgraph.json"), []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	a, acmd := replica(t, dir, db, redis)
	code, _, tb := call(t, "POST", a+"/threads", `{}`)
	if code != 200 {
		t.Fatalf("create thread: %d %v", code, tb)
	}
	th := tb["thread_id"].(string)
	code, _, rb := call(t, "POST", a+"/threads/"+th+"/runs", `{"assistant_id": "slow", "input": {}}`)
	if code != 200 {
		t.Fatalf("create run: %d %v", code, rb)
	}
	run := rb["run_id"].(string)
	status := func(base string) string {
		resp, err := http.Get(base + "/threads/" + th + "/runs/" + run)
		if err != nil {
			return "unreachable"
		}
		defer resp.Body.Close()
		var r struct{ Status string }
		_ = json.NewDecoder(resp.Body).Decode(&r)
		return r.Status
	}
	for end := time.Now().Add(10 * time.Second); status(a) != "running"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the run never started on replica A")
		}
	}
	b, _ := replica(t, dir, db, redis) // started after A claimed the run
	if err := acmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for end := killed.Add(25 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		st := status(b)
		if st == "success" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the run did not finish on replica B within 25 s of the kill (status %s)", st)
		}
	}
	took := time.Since(killed)
	t.Logf("the killed replica's run finished on the other %v after the kill (3 s of it the node's work)", took)
	// Requeued within ~10 s, then 3 s of work: 15 s is the bound with margin.
	if took > 15*time.Second {
		t.Errorf("failover took %v, want about 10 s plus the run's 3 s", took)
	}
}
