package server

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/internal/faultproxy"
	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

// faultServer is a server on memory storage whose Redis broker goes
// through a fault proxy, with a "gate" graph that ends when open is closed.
type faultServer struct {
	*testServer
	proxy *faultproxy.Proxy
	open  func()
}

func newFaultServer(t *testing.T) *faultServer {
	t.Helper()
	opt, rdb, p := testenv.RedisBehindProxy(t)
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	prefix := "agentgate-test:" + uuid.NewString() + ":"
	direct := redis.NewClient(opt)
	t.Cleanup(func() {
		keys, _ := direct.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			direct.Del(context.Background(), keys...)
		}
		direct.Close()
	})
	bk := broker.NewRedis(rdb, broker.RedisOptions{Prefix: prefix, PublishWait: 200 * time.Millisecond,
		Grace: 500 * time.Millisecond})
	t.Cleanup(func() { bk.Close() })
	gate := make(chan struct{})
	var once sync.Once
	graphs := runGraphs(t)
	g, err := graph.New().
		AddChannel("steps", graph.LastValue[string]()).
		AddNode("gate", func(ctx context.Context, s graph.State) (any, error) {
			select {
			case <-gate:
				return graph.State{"steps": "opened"}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}).
		AddEdge(graph.START, "gate").AddEdge("gate", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	graphs["gate"] = g
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	ts := newRunServer(t, st, Options{Graphs: graphs,
		Runs: RunsOptions{Broker: bk, Poll: 50 * time.Millisecond, Heartbeat: 300 * time.Millisecond}})
	t.Cleanup(func() { p.Resume(); once.Do(func() { close(gate) }) })
	return &faultServer{testServer: ts, proxy: p, open: func() { once.Do(func() { close(gate) }) }}
}

// TestWaitWhileRedisIsDown: a run that succeeds while Redis is unreachable
// answers runs/wait with 200 and its result, read from storage.
func TestWaitWhileRedisIsDown(t *testing.T) {
	fs := newFaultServer(t)
	th := fs.createThread(nil).ThreadID

	fs.proxy.Drop()
	var res map[string]any
	fs.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "chatbot",
		"input": hello("while redis is down")}).json(t, &res)
	if msgs, _ := res["messages"].([]any); len(msgs) != 2 {
		t.Errorf("wait with Redis down (before) = %v", res)
	}

	// Redis goes away while the wait follows the run.
	fs.proxy.Resume()
	type answer struct {
		status int
		body   map[string]any
	}
	done := make(chan answer, 1)
	go func() {
		resp := fs.do("POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "gate", "input": map[string]any{}})
		var a answer
		a.status = resp.status
		json.Unmarshal(resp.body, &a.body)
		done <- a
	}()
	var runs []storage.Run
	deadline := time.Now().Add(5 * time.Second)
	for len(runs) == 0 || runs[0].Status != storage.RunRunning {
		if time.Now().After(deadline) {
			t.Fatalf("gate run not running: %v", runs)
		}
		time.Sleep(20 * time.Millisecond)
		fs.ok(200, "GET", "/threads/"+th+"/runs?status=running", nil).json(t, &runs)
	}
	fs.proxy.Drop()
	time.Sleep(700 * time.Millisecond) // past the reader's grace
	fs.open()
	select {
	case a := <-done:
		if a.status != 200 || a.body["steps"] != "opened" {
			t.Errorf("wait with Redis dropped mid-run: %d %v", a.status, a.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runs/wait did not answer")
	}
}

// TestStreamDuringRedisDrop: an open stream whose Redis goes away ends
// with a retryable error event, a new stream answers with one too, and
// the run's events are replayable once Redis is back.
func TestStreamDuringRedisDrop(t *testing.T) {
	fs := newFaultServer(t)
	th := fs.createThread(nil).ThreadID
	stream := fs.sse("POST", "/threads/"+th+"/runs/stream", map[string]any{"assistant_id": "gate",
		"input": map[string]any{}, "stream_mode": []string{"values"}})
	first, ok := stream.next()
	if !ok || first.name != "metadata" {
		t.Fatalf("first event: %v %v", first, ok)
	}
	runID, _ := decodeData(t, first).(map[string]any)["run_id"].(string)
	fs.proxy.Drop()
	evs := stream.all()
	if len(evs) == 0 || evs[len(evs)-1].name != "error" {
		t.Fatalf("stream during a drop ended with %v, want an error event", eventNames(evs))
	}
	if e, _ := decodeData(t, evs[len(evs)-1]).(map[string]any); e["retryable"] != true {
		t.Errorf("error event %v is not retryable", e)
	}
	again := fs.sse("GET", "/threads/"+th+"/runs/"+runID+"/stream", nil, "Last-Event-ID", "0").all()
	if len(again) != 1 || again[0].name != "error" {
		t.Errorf("joining during the drop: %v, want one error event", eventNames(again))
	}

	fs.open()
	fs.waitRunStatus(th, runID, "success")
	fs.proxy.Resume()
	deadline := time.Now().Add(5 * time.Second)
	for {
		replay := fs.sse("GET", "/threads/"+th+"/runs/"+runID+"/stream", nil, "Last-Event-ID", "0").all()
		names := eventNames(replay)
		if len(replay) >= 2 && names[0] == "metadata" && names[len(names)-1] == "values" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replay after Redis returned: %v", names)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRunDuringRedisStall: a stall delays neither the run nor its wait
// for the whole stall, and once Redis answers the run's events are stored
// once each.
func TestRunDuringRedisStall(t *testing.T) {
	fs := newFaultServer(t)
	th := fs.createThread(nil).ThreadID
	fs.proxy.Stall()
	start := time.Now()
	var res map[string]any
	fs.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "chatbot",
		"input": hello("during a stall"), "stream_mode": []string{"values", "updates"}}).json(t, &res)
	if msgs, _ := res["messages"].([]any); len(msgs) != 2 {
		t.Errorf("wait during a stall = %v", res)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("wait during a stall took %v", d)
	}
	var runs []storage.Run
	fs.ok(200, "GET", "/threads/"+th+"/runs", nil).json(t, &runs)
	time.Sleep(time.Second) // writes held by the stall time out and are retried
	fs.proxy.Resume()
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs := fs.sse("GET", "/threads/"+th+"/runs/"+runs[0].RunID+"/stream", nil, "Last-Event-ID", "0").all()
		seen := map[string]bool{}
		for _, ev := range evs {
			if seen[ev.id] || seen[ev.name+ev.data] {
				t.Fatalf("duplicate event %s %s in %v", ev.id, ev.name, eventNames(evs))
			}
			seen[ev.id], seen[ev.name+ev.data] = true, true
		}
		if len(evs) >= 2 && evs[0].name == "metadata" && evs[len(evs)-1].name != "error" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replay after the stall: %v", eventNames(evs))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
