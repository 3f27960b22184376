package cli

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/sqlite"
)

// stubbornGraph's node ignores cancellation on its first attempt: it
// sleeps 30 s (or until release is closed); later attempts return at once.
func stubbornGraph(t *testing.T, entered chan<- struct{}, release <-chan struct{}) *graph.Graph {
	t.Helper()
	var calls atomic.Int32
	g, err := graph.New().
		AddChannel("x", graph.LastValue[string]()).
		AddNode("stubborn", func(ctx context.Context, s graph.State) (any, error) {
			if calls.Add(1) == 1 {
				entered <- struct{}{}
				select { // ctx is ignored on purpose
				case <-time.After(30 * time.Second):
				case <-release:
				}
			}
			return graph.State{"x": "done"}, nil
		}).
		AddEdge(graph.START, "stubborn").AddEdge("stubborn", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestShutdownTimeoutAbandonsStubbornRuns: on shutdown, a run whose node
// ignores cancellation does not hold the exit past --shutdown-timeout
// (+2 s); the abandoned run is logged and requeued (pending), and the next
// start executes it.
func TestShutdownTimeoutAbandonsStubbornRuns(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	p := Program{Graphs: map[string]any{"stubborn": stubbornGraph(t, entered, release)}}
	db := filepath.Join(t.TempDir(), "agentgate.db")
	args := []string{"serve", "--addr", "127.0.0.1:0", "--database", db, "--config", writeConfig(t, `{}`), "--shutdown-timeout", "1s"}
	r := startProgram(t, p, nil, args...)
	code, _, th := call(t, "POST", r.url+"/threads", `{}`)
	if code != 200 {
		t.Fatalf("create thread: %d %v", code, th)
	}
	threadID := th["thread_id"].(string)
	code, _, run := call(t, "POST", r.url+"/threads/"+threadID+"/runs", `{"assistant_id": "stubborn", "input": {}}`)
	if code != 200 {
		t.Fatalf("create run: %d %v", code, run)
	}
	runID := run["run_id"].(string)
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the run did not start")
	}

	t0 := time.Now()
	if c := r.stop(); c != 0 {
		t.Fatalf("exit %d:\n%s", c, r.stderr)
	}
	took := time.Since(t0)
	t.Logf("stopped in %v", took.Round(time.Millisecond))
	if took > 3*time.Second {
		t.Errorf("stop took %v; want at most --shutdown-timeout 1s + 2s", took)
	}
	if logs := r.stderr.String(); !strings.Contains(logs, "abandon") || !strings.Contains(logs, runID) {
		t.Errorf("the abandoned run %s is not logged:\n%s", runID, logs)
	}

	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Runs().Get(t.Context(), storage.System(), threadID, runID)
	st.Close()
	if err != nil || got.Status != storage.RunPending {
		t.Fatalf("after shutdown: run %s %v, want pending", got.Status, err)
	}

	r = startProgram(t, p, nil, args...)
	defer r.stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, got := call(t, "GET", r.url+"/threads/"+threadID+"/runs/"+runID, "")
		if got["status"] == "success" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: run %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
