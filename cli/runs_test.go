package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/internal/testenv"
)

// gateGraph's node reports each run it starts on entered and then waits
// for a token on release (or the end of the run).
func gateGraph(t *testing.T, entered chan<- struct{}, release <-chan struct{}) *graph.Graph {
	t.Helper()
	g, err := graph.New().
		AddChannel("x", graph.LastValue[string]()).
		AddNode("gate", func(ctx context.Context, s graph.State) (any, error) {
			entered <- struct{}{}
			select {
			case <-release:
				return graph.State{"x": "done"}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}).
		AddEdge(graph.START, "gate").AddEdge("gate", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// concurrentRuns starts three stateless runs of a gate graph on a server
// started with vars and args, and returns how many of them execute at
// once.
func concurrentRuns(t *testing.T, vars map[string]string, args ...string) int {
	t.Helper()
	entered := make(chan struct{}, 8)
	release := make(chan struct{}, 8)
	t.Chdir(t.TempDir())
	r := startProgram(t, Program{Graphs: map[string]any{"gate": gateGraph(t, entered, release)}}, vars,
		append([]string{"dev", "--memory", "--port", "0"}, args...)...)
	defer r.stop()
	for range 3 {
		if code, _, run := call(t, "POST", r.url+"/runs", `{"assistant_id": "gate", "input": {}}`); code != 200 {
			t.Fatalf("POST /runs = %d %v", code, run)
		}
	}
	n := 0
	for {
		select {
		case <-entered:
			n++
			continue
		case <-time.After(500 * time.Millisecond):
		}
		if n > 0 {
			break
		}
		t.Fatal("no run started within 500ms")
	}
	for range 3 { // let every run finish
		release <- struct{}{}
	}
	return n
}

// TestJobsPerWorker: --n-jobs-per-worker (or N_JOBS_PER_WORKER) is how
// many runs execute at once; the flag wins over the environment.
func TestJobsPerWorker(t *testing.T) {
	if n := concurrentRuns(t, map[string]string{"N_JOBS_PER_WORKER": "1"}); n != 1 {
		t.Errorf("N_JOBS_PER_WORKER=1: %d runs at once", n)
	}
	if n := concurrentRuns(t, map[string]string{"N_JOBS_PER_WORKER": "1"}, "--n-jobs-per-worker", "2"); n != 2 {
		t.Errorf("--n-jobs-per-worker 2 over N_JOBS_PER_WORKER=1: %d runs at once", n)
	}
	if n := concurrentRuns(t, nil); n != 3 {
		t.Errorf("default (10): %d of 3 runs at once", n)
	}
}

func TestRunsFlagErrors(t *testing.T) {
	tests := []struct {
		vars map[string]string
		args []string
		want string
	}{
		{nil, []string{"dev", "--n-jobs-per-worker", "0"}, "--n-jobs-per-worker 0: want at least 1"},
		{nil, []string{"serve", "--n-jobs-per-worker", "x"}, `invalid value "x" for flag -n-jobs-per-worker`},
		{map[string]string{"N_JOBS_PER_WORKER": "ten"}, []string{"dev"}, `N_JOBS_PER_WORKER="ten": want a whole number of at least 1`},
		{map[string]string{"N_JOBS_PER_WORKER": "-3"}, []string{"serve"}, `N_JOBS_PER_WORKER="-3"`},
		{nil, []string{"dev", "--redis-url", "http://u:hunter2@localhost:6379"}, `--redis-url "http://u:xxxxx@localhost:6379": redis: invalid URL scheme: http`},
		{map[string]string{"REDIS_URI": "redis://localhost:6379/zero"}, []string{"serve"}, `redis: invalid database number: "zero"`},
		{nil, []string{"dev", "--redis-url", "redis://u:hunter2@host:port"}, "--redis-url (or REDIS_URI) is not a valid URL"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runSync(t, tt.vars, tt.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "hunter2") {
			t.Errorf("%v %q: exit %d, stdout %q, stderr %q; want exit %d and %q without the password",
				tt.vars, tt.args, code, stdout, stderr, exitUsage, tt.want)
		}
	}
}

// TestUnreachableRedisRefusesToStart: a Redis that does not answer at
// startup stops the server before it listens (port 1 refuses connections).
func TestUnreachableRedisRefusesToStart(t *testing.T) {
	for _, tt := range []struct {
		vars map[string]string
		args []string
	}{
		{nil, []string{"dev", "--memory", "--port", "0", "--redis-url", "redis://u:hunter2@127.0.0.1:1/0"}},
		{map[string]string{"REDIS_URI": "redis://u:hunter2@127.0.0.1:1/0", "AGENTGATE_DATABASE": t.TempDir() + "/db"}, []string{"serve", "--addr", "127.0.0.1:0"}},
	} {
		code, stdout, stderr := runSync(t, tt.vars, append(tt.args, "--config", writeConfig(t, `{}`))...)
		if code != exitError || stdout != "" || !strings.Contains(stderr, "redis redis://u:xxxxx@127.0.0.1:1/0: ") ||
			!strings.Contains(stderr, "refused") || strings.Contains(stderr, "hunter2") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tt.args, code, stdout, stderr)
		}
	}
}

// TestRedisBrokerCarriesRunEvents: with --redis-url the run's events are
// written to Redis streams (and still reach the client).
func TestRedisBrokerCarriesRunEvents(t *testing.T) {
	u := testenv.RedisURL(t)
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	r := start(t, map[string]string{"REDIS_URI": u}, "dev", "--memory", "--port", "0",
		"--config", writeConfig(t, `{"graphs": {"chatbot": "builtin:chatbot"}}`))
	code, hdr, res := call(t, "POST", r.url+"/runs/wait",
		`{"assistant_id": "chatbot", "input": {"messages": [{"type": "human", "content": "via redis"}]}}`)
	msgs, _ := res["messages"].([]any)
	if code != 200 || len(msgs) != 2 {
		t.Fatalf("runs/wait = %d %v", code, res)
	}
	// Content-Location: /threads/{tid}/runs/{rid}
	loc := hdr.Get("Content-Location")
	runID := loc[strings.LastIndex(loc, "/")+1:]
	key := "agentgate:stream:run:" + runID
	// Events are written behind the run (docs/runs.md): the answer may
	// come before the last of them are stored.
	var evs []redis.XMessage
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		evs, err = rdb.XRange(t.Context(), key, "-", "+").Result()
		if err == nil && len(evs) > 0 && evs[len(evs)-1].Values["end"] != nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || len(evs) < 2 {
		t.Fatalf("XRANGE %s = %d entries, %v (Content-Location %q)", key, len(evs), err, loc)
	}
	if evs[0].Values["n"] != "metadata" {
		t.Errorf("first event in Redis = %v, want metadata", evs[0].Values)
	}
	threadKey := "agentgate:stream:thread:" + strings.Split(strings.TrimPrefix(loc, "/threads/"), "/")[0]
	rdb.Del(context.Background(), key, threadKey)
	if logs := r.stderr.String(); !strings.Contains(logs, "broker=redis:"+u) || !strings.Contains(logs, "jobs=10") {
		t.Errorf("startup log lacks the broker or jobs:\n%s", logs)
	}
}
