package server

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/sqlite"
)

// TestTwoReplicasShareRunsThroughRedis runs two servers on one SQLite file
// and one Redis broker, as two replicas would: a run created on one is
// streamed, joined and cancelled through the other.
func TestTwoReplicasShareRunsThroughRedis(t *testing.T) {
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	prefix := "agentgate-test:" + uuid.NewString() + ":"
	t.Cleanup(func() {
		keys, _ := rdb.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
	})
	path := filepath.Join(t.TempDir(), "shared.db")
	replica := func() *testServer {
		st, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		bk := broker.NewRedis(rdb, broker.RedisOptions{Prefix: prefix})
		return newRunServer(t, st, Options{Runs: RunsOptions{Broker: bk, Lease: 300 * time.Millisecond, Poll: 50 * time.Millisecond}})
	}
	a, b := replica(), replica()

	th := a.createThread(nil).ThreadID
	var run storage.Run
	a.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "chatbot", "input": hello("across replicas"),
		"stream_resumable": true}).json(t, &run)
	var res map[string]any
	b.ok(200, "GET", "/threads/"+th+"/runs/"+run.RunID+"/join", nil).json(t, &res)
	if msgs, _ := res["messages"].([]any); len(msgs) != 2 {
		t.Fatalf("join on the other replica = %v", res)
	}
	evs := b.sse("GET", "/threads/"+th+"/runs/"+run.RunID+"/stream", nil, "Last-Event-ID", "0").all()
	if len(evs) < 2 || evs[0].name != "metadata" {
		t.Errorf("replay on the other replica: %v", eventNames(evs))
	}

	// A blocking run, cancelled through the replica that may not run it.
	a.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}).json(t, &run)
	b.waitRunStatus(th, run.RunID, "running")
	stream := b.sse("GET", "/threads/"+th+"/runs/"+run.RunID+"/stream", nil)
	b.ok(202, "POST", "/threads/"+th+"/runs/"+run.RunID+"/cancel", nil)
	a.waitRunStatus(th, run.RunID, "interrupted")
	done := make(chan struct{})
	go func() { stream.all(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the join stream on the other replica did not end")
	}
}
