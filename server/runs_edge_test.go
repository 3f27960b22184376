package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
)

func TestSubgraphEventsCarryTheirNamespace(t *testing.T) {
	inner, err := graph.New().
		AddChannel("steps", graph.Reduce(func(cur, upd []string) []string { return append(slices.Clone(cur), upd...) })).
		AddNode("leaf", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"steps": []string{"leaf"}}, nil
		}).
		AddEdge(graph.START, "leaf").AddEdge("leaf", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	outer, err := graph.New().
		AddChannel("steps", graph.Reduce(func(cur, upd []string) []string { return append(slices.Clone(cur), upd...) })).
		AddSubgraph("inner", inner).
		AddEdge(graph.START, "inner").AddEdge("inner", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	gs := runGraphs(t)
	gs["nested"] = outer
	ts := newRunServer(t, nil, Options{Graphs: gs})
	th := ts.createThread(nil).ThreadID
	body := map[string]any{"assistant_id": "nested", "input": map[string]any{"steps": []string{}}, "stream_mode": []string{"updates"}}
	flat := eventNames(ts.sse("POST", "/threads/"+th+"/runs/stream", body).all())
	for _, n := range flat {
		if strings.Contains(n, "|") {
			t.Errorf("namespaced event %q without stream_subgraphs", n)
		}
	}
	body["stream_subgraphs"] = true
	var nested []string
	for _, n := range eventNames(ts.sse("POST", "/threads/"+th+"/runs/stream", body).all()) {
		if strings.HasPrefix(n, "updates|inner:") {
			nested = append(nested, n)
		}
	}
	if len(nested) == 0 {
		t.Errorf("no updates|inner:<task> event with stream_subgraphs")
	}
}

func TestInterruptBeforeFromTheRequest(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	var res map[string]any
	ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "block", "input": map[string]any{"steps": []string{"in"}},
		"interrupt_before": []string{"wait"}}).json(t, &res)
	if steps, _ := res["steps"].([]any); len(steps) != 2 {
		t.Errorf("wait body = %v, want the state before the breakpoint", res)
	}
	var thread storage.Thread
	ts.ok(200, "GET", "/threads/"+th, nil).json(t, &thread)
	if thread.Status != "interrupted" {
		t.Errorf("thread status %s after a breakpoint", thread.Status)
	}
}

func TestOnDisconnectCancel(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	ctx, cancel := context.WithCancel(t.Context())
	b, _ := json.Marshal(map[string]any{"assistant_id": "block", "input": map[string]any{}, "on_disconnect": "cancel"})
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.http.URL+"/threads/"+th+"/runs/stream", strings.NewReader(string(b)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	runID := strings.TrimPrefix(resp.Header.Get("Content-Location"), "/threads/"+th+"/runs/")
	ts.waitRunStatus(th, runID, "running")
	cancel()
	resp.Body.Close()
	ts.waitRunStatus(th, runID, "interrupted")
}

func TestCloseEndsOpenStreams(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	var r storage.Run
	ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}).json(t, &r)
	ts.waitRunStatus(th, r.RunID, "running")
	join := ts.sse("GET", "/threads/"+th+"/runs/"+r.RunID+"/stream", nil)
	thread := ts.sse("GET", "/threads/"+th+"/stream", nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		join.all()
		thread.all()
	}()
	time.Sleep(20 * time.Millisecond)
	ts.srv.Close()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("streams still open after Close")
	}
}

func TestRunFromACheckpointForks(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{})
		th := ts.createThread(nil).ThreadID
		ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "chatbot", "input": hello("first")})
		var hist []map[string]any
		ts.ok(200, "GET", "/threads/"+th+"/history?limit=10", nil).json(t, &hist)
		ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "chatbot", "input": hello("second")})
		// The state after the first run ends: run again from there.
		cp := hist[0]["checkpoint"].(map[string]any)["checkpoint_id"].(string)
		var res map[string]any
		ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "chatbot", "input": hello("fork"),
			"checkpoint_id": cp}).json(t, &res)
		var texts []string
		for _, m := range res["messages"].([]any) {
			texts = append(texts, m.(map[string]any)["content"].(string))
		}
		if strings.Join(texts, "|") != "first|You said: first|fork|You said: fork" {
			t.Errorf("forked conversation %q", texts)
		}
	})
}

// runsCreateSpy allows everything and keeps the last threads:create_run value.
type runsCreateSpy struct {
	allowAll
	last chan *auth.RunsCreate
}

func (s runsCreateSpy) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	if rc, ok := v.(*auth.RunsCreate); ok {
		rc.Metadata["owner"] = "stamped-by-handler"
		select {
		case s.last <- rc:
		default:
		}
	}
	return s.allowAll.Authorize(ctx, v)
}

func TestCreateRunHandlerSeesTheIdentityAndItsMetadataIsKept(t *testing.T) {
	spy := runsCreateSpy{last: make(chan *auth.RunsCreate, 1)}
	ts := newRunServer(t, nil, Options{Authenticator: identityAuth{}, Authorizer: spy})
	var run storage.Run
	ts.ok(200, "POST", "/runs", map[string]any{"assistant_id": "chatbot", "input": hello("x"), "on_completion": "keep",
		"multitask_strategy": "reject", "after_seconds": 0}, "Authorization", "Bearer alice").json(t, &run)
	v := <-spy.last
	conf := v.Kwargs["config"].(map[string]any)["configurable"].(map[string]any)
	if conf["langgraph_auth_user_id"] != "alice" || conf["graph_id"] != "chatbot" || v.ThreadID != "" ||
		v.AssistantID != SystemAssistantID("chatbot") || v.MultitaskStrategy != "reject" || !v.PreventInsertIfInflight {
		t.Errorf("threads:create_run value = %+v", v)
	}
	if run.Metadata["owner"] != "stamped-by-handler" {
		t.Errorf("run metadata %v", run.Metadata)
	}
	var th storage.Thread
	ts.ok(200, "GET", "/threads/"+run.ThreadID, nil, "Authorization", "Bearer alice").json(t, &th)
	if th.Metadata["owner"] != "stamped-by-handler" {
		t.Errorf("created thread metadata %v", th.Metadata)
	}
}

func TestJoinOfAnOldRunFallsBackToTheThread(t *testing.T) {
	ts := newRunServer(t, nil, Options{Runs: RunsOptions{Broker: broker.NewMemory(broker.MemoryOptions{FinishedRetention: time.Millisecond})}})
	th := ts.createThread(nil).ThreadID
	var run storage.Run
	ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "chatbot", "input": hello("old")}).json(t, &run)
	ts.waitRunStatus(th, run.RunID, "success")
	time.Sleep(5 * time.Millisecond)
	ts.srv.runs.Broker().Publish(t.Context(), "unrelated", "x", []byte("1")) // sweeps expired logs
	var res map[string]any
	ts.ok(200, "GET", "/threads/"+th+"/runs/"+run.RunID+"/join", nil).json(t, &res)
	if msgs, _ := res["messages"].([]any); len(msgs) != 2 {
		t.Errorf("join of a run whose log is gone = %v", res)
	}
}
