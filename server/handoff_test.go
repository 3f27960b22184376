package server

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

// countingBroker counts subscriptions to run streams.
type countingBroker struct {
	broker.Broker
	runSubs atomic.Int64
}

func (b *countingBroker) Subscribe(ctx context.Context, stream, after string) (broker.Subscription, error) {
	if strings.HasPrefix(stream, "run:") {
		b.runSubs.Add(1)
	}
	return b.Broker.Subscribe(ctx, stream, after)
}

// TestRunsWaitTakesTheResultInProcess: runs/wait on a run this server
// starts itself gets the result from the worker, without reading the
// run's stream (on Redis: no subscription, no reads).
func TestRunsWaitTakesTheResultInProcess(t *testing.T) {
	bk := &countingBroker{Broker: broker.NewMemory(broker.MemoryOptions{})}
	ts := newRunServer(t, memory.New(), Options{Runs: RunsOptions{Broker: bk}})
	th := ts.createThread(nil).ThreadID
	for _, path := range []string{"/runs/wait", "/threads/" + th + "/runs/wait"} {
		r := ts.ok(200, "POST", path, map[string]any{"assistant_id": "chatbot", "input": hello("in process")})
		if !strings.Contains(string(r.body), "You said: in process") {
			t.Errorf("%s: %s", path, r.body)
		}
	}
	if n := bk.runSubs.Load(); n != 0 {
		t.Errorf("runs/wait subscribed to run streams %d times", n)
	}

	// A2A message/send waits for its run the same way.
	abk := &countingBroker{Broker: broker.NewMemory(broker.MemoryOptions{})}
	ats := newA2AServer(t, Options{Runs: RunsOptions{Broker: abk}})
	var a storage.Assistant
	ats.ok(200, "POST", "/assistants", map[string]any{"graph_id": "chatbot"}).json(t, &a)
	if got := ats.rpcOK(a.AssistantID, "message/send", sendParams("over a2a", "")).reply(); !strings.Contains(got, "over a2a") {
		t.Errorf("A2A reply %q", got)
	}
	if n := abk.runSubs.Load(); n != 0 {
		t.Errorf("A2A message/send subscribed to run streams %d times", n)
	}

	// So does MCP tools/call.
	ats.createAssistant(map[string]any{"graph_id": "chatbot", "name": "echo"})
	c, rep := ats.callTool("echo", map[string]any{"messages": []any{map[string]any{"type": "human", "content": "over mcp"}}})
	if rep.Error != nil || c.IsError || len(c.Content) == 0 || !strings.Contains(c.Content[0].Text, "over mcp") {
		t.Errorf("MCP tools/call: %+v %+v", c, rep.Error)
	}
	if n := abk.runSubs.Load(); n != 0 {
		t.Errorf("MCP tools/call subscribed to run streams %d times", n)
	}
}

// TestRunsWaitFollowsARunThatLeft: a run started here that stops without
// ending (the database went away: it is requeued and runs again) leaves
// its waiter to the run's stream, which brings the next attempt's result.
func TestRunsWaitFollowsARunThatLeft(t *testing.T) {
	var calls atomic.Int64
	flaky, err := graph.New().AddChannel("x", graph.LastValue[string]()).
		AddNode("n", func(ctx context.Context, _ graph.State) (any, error) {
			if calls.Add(1) == 1 {
				return nil, fmt.Errorf("the database went away: %w", storage.ErrUnavailable)
			}
			return graph.State{"x": "second attempt"}, nil
		}).
		AddEdge(graph.START, "n").AddEdge("n", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	gs := runGraphs(t)
	gs["flaky"] = flaky
	bk := &countingBroker{Broker: broker.NewMemory(broker.MemoryOptions{})}
	ts := newRunServer(t, memory.New(), Options{Graphs: gs,
		Runs: RunsOptions{Broker: bk, Lease: 300 * time.Millisecond, Poll: 20 * time.Millisecond}})
	th := ts.createThread(nil).ThreadID
	r := ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "flaky", "input": map[string]any{}})
	if !strings.Contains(string(r.body), "second attempt") || calls.Load() != 2 {
		t.Errorf("runs/wait after a retry: %s (%d attempts)", r.body, calls.Load())
	}
	if bk.runSubs.Load() == 0 {
		t.Error("the waiter did not read the stream of a run that left")
	}
}

// TestRunsWaitOnARunDeletedMeanwhile: deleting the thread of a run that
// runs/wait or join waits for ends the wait with 404, whether the run
// hands its result over here (runs/wait) or the waiter reads its stream
// (join; the stream is dropped with the thread: this was a 500).
func TestRunsWaitOnARunDeletedMeanwhile(t *testing.T) {
	bk := &countingBroker{Broker: broker.NewMemory(broker.MemoryOptions{})}
	ts := newRunServer(t, memory.New(), Options{Runs: RunsOptions{Broker: bk, Lease: 300 * time.Millisecond, Poll: 20 * time.Millisecond}})
	for _, join := range []bool{false, true} {
		subs := bk.runSubs.Load()
		th := ts.createThread(nil).ThreadID
		body := map[string]any{"assistant_id": "block", "input": map[string]any{}}
		done := make(chan response, 1)
		if join {
			var run storage.Run
			ts.ok(200, "POST", "/threads/"+th+"/runs", body).json(t, &run)
			go func() { done <- ts.do("GET", "/threads/"+th+"/runs/"+run.RunID+"/join", nil) }()
		} else {
			go func() { done <- ts.do("POST", "/threads/"+th+"/runs/wait", body) }()
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			var rs []storage.Run
			ts.ok(200, "GET", "/threads/"+th+"/runs", nil).json(t, &rs)
			// Running, and the join reading its stream.
			if len(rs) == 1 && rs[0].Status == storage.RunRunning && (!join || bk.runSubs.Load() > subs) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the run did not start, or the join did not wait: %+v", rs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		ts.ok(204, "DELETE", "/threads/"+th, nil)
		select {
		case r := <-done:
			if r.status != 404 || !strings.Contains(string(r.body), "deleted") {
				t.Errorf("join %v: waiting on a deleted run: %d %s", join, r.status, r.body)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("join %v: the wait did not end after its run was deleted", join)
		}
	}
}
