package server

import (
	"context"
	"reflect"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/storage"
)

type stateResp struct {
	Values     map[string]any   `json:"values"`
	Next       []string         `json:"next"`
	Tasks      []map[string]any `json:"tasks"`
	Metadata   map[string]any   `json:"metadata"`
	CreatedAt  *string          `json:"created_at"`
	Checkpoint *struct {
		ThreadID     string `json:"thread_id"`
		CheckpointNS string `json:"checkpoint_ns"`
		CheckpointID string `json:"checkpoint_id"`
	} `json:"checkpoint"`
	ParentCheckpoint *struct {
		CheckpointID string `json:"checkpoint_id"`
	} `json:"parent_checkpoint"`
}

type updateResp struct {
	Checkpoint struct {
		ThreadID     string `json:"thread_id"`
		CheckpointNS string `json:"checkpoint_ns"`
		CheckpointID string `json:"checkpoint_id"`
	} `json:"checkpoint"`
	CheckpointID string `json:"checkpoint_id"`
}

func TestStateWithoutGraph(t *testing.T) {
	ts := newTestServer(t, Options{})
	th := ts.createThread(nil)
	p := "/threads/" + th.ThreadID
	r := ts.ok(200, "GET", p+"/state", nil)
	if string(r.body) != emptyStateJSON {
		t.Fatalf("empty state %s", r.body)
	}
	if r := ts.ok(200, "GET", p+"/history", nil); string(r.body) != "[]" {
		t.Fatalf("empty history %s", r.body)
	}
	ts.ok(200, "POST", p+"/history", map[string]any{})
	r = ts.ok(400, "POST", p+"/state", map[string]any{"values": map[string]any{"note": "x"}})
	if d := r.detail(t); d != "Thread '"+th.ThreadID+"' has no assigned graph ID. This usually happens when no runs have been made on this thread." {
		t.Fatalf("detail %q", d)
	}
	ts.ok(404, "GET", "/threads/00000000-0000-0000-0000-000000000009/state", nil)
	ts.ok(422, "GET", "/threads/xyz/state", nil)
}

func TestStateUpdateAndRead(t *testing.T) {
	eachStore(t, func(t *testing.T, store storage.Store) {
		ts := newTestServer(t, Options{Store: store})
		th := ts.createThread(map[string]any{"graph_id": "agent"})
		p := "/threads/" + th.ThreadID

		var u1 updateResp
		ts.ok(200, "POST", p+"/state", map[string]any{
			"values": map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}, "note": "first"},
		}).json(t, &u1)
		if u1.Checkpoint.ThreadID != th.ThreadID || u1.Checkpoint.CheckpointID == "" || u1.CheckpointID != u1.Checkpoint.CheckpointID {
			t.Fatalf("update response %+v", u1)
		}
		var u2 updateResp
		ts.ok(200, "POST", p+"/state", map[string]any{"values": map[string]any{"note": "second"}, "as_node": "agent"}).json(t, &u2)

		var st stateResp
		ts.ok(200, "GET", p+"/state", nil).json(t, &st)
		if st.Values["note"] != "second" || st.Checkpoint == nil || st.Checkpoint.CheckpointID != u2.Checkpoint.CheckpointID ||
			st.ParentCheckpoint == nil || st.ParentCheckpoint.CheckpointID != u1.Checkpoint.CheckpointID || st.CreatedAt == nil {
			t.Fatalf("state %+v", st)
		}
		if msgs, _ := st.Values["messages"].([]any); len(msgs) != 1 {
			t.Fatalf("messages %v", st.Values["messages"])
		}

		// The thread row follows the state.
		var got storage.Thread
		ts.ok(200, "GET", p, nil).json(t, &got)
		if vals, _ := got.Values.(map[string]any); vals["note"] != "second" || got.Status != "idle" {
			t.Fatalf("thread after update %+v", got)
		}

		// At a checkpoint, by path and by config.
		ts.ok(200, "GET", p+"/state/"+u1.Checkpoint.CheckpointID, nil).json(t, &st)
		if st.Values["note"] != "first" {
			t.Fatalf("state at first checkpoint %+v", st.Values)
		}
		ts.ok(200, "POST", p+"/state/checkpoint", map[string]any{"checkpoint": map[string]any{"checkpoint_id": u1.Checkpoint.CheckpointID}}).json(t, &st)
		if st.Values["note"] != "first" {
			t.Fatalf("state at checkpoint config %+v", st.Values)
		}
		ts.ok(422, "POST", p+"/state/checkpoint", map[string]any{})
		ts.ok(404, "GET", p+"/state/1ef00000-0000-0000-0000-000000000000", nil)

		// Fork from the first checkpoint.
		var u3 updateResp
		ts.ok(200, "POST", p+"/state", map[string]any{"values": map[string]any{"note": "fork"}, "checkpoint_id": u1.Checkpoint.CheckpointID, "as_node": "agent"}).json(t, &u3)
		ts.ok(200, "GET", p+"/state", nil).json(t, &st)
		if st.Values["note"] != "fork" || st.ParentCheckpoint.CheckpointID != u1.Checkpoint.CheckpointID {
			t.Fatalf("fork %+v", st)
		}

		// History, newest first, with limit, before and a metadata filter.
		var hist []stateResp
		ts.ok(200, "GET", p+"/history", nil).json(t, &hist)
		if len(hist) != 3 || hist[0].Checkpoint.CheckpointID != u3.Checkpoint.CheckpointID {
			t.Fatalf("history %d", len(hist))
		}
		ts.ok(200, "GET", p+"/history?limit=1", nil).json(t, &hist)
		if len(hist) != 1 {
			t.Fatalf("history limit %d", len(hist))
		}
		ts.ok(200, "GET", p+"/history?before="+u2.Checkpoint.CheckpointID, nil).json(t, &hist)
		if len(hist) != 1 || hist[0].Checkpoint.CheckpointID != u1.Checkpoint.CheckpointID {
			t.Fatalf("history before %+v", hist)
		}
		ts.ok(200, "POST", p+"/history", map[string]any{"before": map[string]any{"checkpoint_id": u2.Checkpoint.CheckpointID}}).json(t, &hist)
		if len(hist) != 1 {
			t.Fatalf("history before config %d", len(hist))
		}
		ts.ok(200, "POST", p+"/history", map[string]any{"before": u2.Checkpoint.CheckpointID, "limit": 5}).json(t, &hist)
		if len(hist) != 1 {
			t.Fatalf("history before string %d", len(hist))
		}
		ts.ok(200, "POST", p+"/history", map[string]any{"metadata": map[string]any{"source": "update"}, "limit": 2}).json(t, &hist)
		if len(hist) != 2 {
			t.Fatalf("history filter %d", len(hist))
		}
		ts.ok(422, "GET", p+"/history?limit=0", nil)
		ts.ok(422, "POST", p+"/history", map[string]any{"before": 3})

		// Bad updates.
		ts.ok(400, "POST", p+"/state", map[string]any{"values": map[string]any{"note": "x"}, "as_node": "nope"})
		ts.ok(422, "POST", p+"/state", map[string]any{"values": "text"})

		// Copy keeps the checkpoints.
		var cp storage.Thread
		ts.ok(200, "POST", p+"/copy", nil).json(t, &cp)
		ts.ok(200, "GET", "/threads/"+cp.ThreadID+"/state", nil).json(t, &st)
		if st.Values["note"] != "fork" {
			t.Fatalf("copied state %+v", st.Values)
		}
	})
}

func TestStateInterruptedAndBusy(t *testing.T) {
	eachStore(t, func(t *testing.T, store storage.Store) {
		ts := newTestServer(t, Options{Store: store})
		th := ts.createThread(map[string]any{"graph_id": "other"})
		p := "/threads/" + th.ThreadID
		ts.ok(200, "POST", p+"/state", map[string]any{"values": map[string]any{"steps": []string{"a"}}, "as_node": "a"})
		var st stateResp
		ts.ok(200, "GET", p+"/state", nil).json(t, &st)
		if len(st.Next) != 1 || st.Next[0] != "b" || len(st.Tasks) != 1 {
			t.Fatalf("state %+v", st)
		}
		var got storage.Thread
		ts.ok(200, "GET", p, nil).json(t, &got)
		if got.Status != "interrupted" {
			t.Fatalf("status %q", got.Status)
		}
		// A list of updates is applied in order.
		ts.ok(200, "POST", p+"/state", map[string]any{"values": []any{map[string]any{"steps": []string{"x"}}, map[string]any{"steps": []string{"y"}}}, "as_node": "b"})
		ts.ok(200, "GET", p+"/state", nil).json(t, &st)
		if steps, _ := st.Values["steps"].([]any); len(steps) != 3 {
			t.Fatalf("steps %v", st.Values["steps"])
		}

		busy := storage.StatusBusy
		if _, err := ts.srv.store.Threads().SetState(t.Context(), allowAllScope(t), th.ThreadID, storage.ThreadState{Status: &busy}); err != nil {
			t.Fatal(err)
		}
		r := ts.ok(409, "POST", p+"/state", map[string]any{"values": map[string]any{"steps": []string{"z"}}})
		if d := r.detail(t); d != "Thread is busy with a running job. Cannot update state." {
			t.Fatalf("detail %q", d)
		}
	})
}

func allowAllScope(t *testing.T) storage.Scope {
	sc, err := allowAll{}.Authorize(t.Context(), &auth.ThreadsUpdate{})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestThreadCreateWithSupersteps(t *testing.T) {
	ts := newTestServer(t, Options{})
	var th storage.Thread
	ts.ok(200, "POST", "/threads", map[string]any{
		"metadata": map[string]any{"graph_id": "other"},
		"supersteps": []any{
			map[string]any{"updates": []any{map[string]any{"values": map[string]any{"steps": []string{"a"}}, "as_node": "a"}}},
			map[string]any{"updates": []any{map[string]any{"command": map[string]any{"update": map[string]any{"steps": []string{"b"}}}, "as_node": "b"}}},
		},
	}).json(t, &th)
	if vals, _ := th.Values.(map[string]any); len(vals["steps"].([]any)) != 2 || th.Status != "idle" {
		t.Fatalf("thread %+v", th)
	}
	var hist []stateResp
	ts.ok(200, "GET", "/threads/"+th.ThreadID+"/history", nil).json(t, &hist)
	if len(hist) != 2 {
		t.Fatalf("history %d", len(hist))
	}
	ts.ok(422, "POST", "/threads", map[string]any{"supersteps": []any{map[string]any{"updates": []any{map[string]any{"as_node": "a"}}}}})
	ts.ok(422, "POST", "/threads", map[string]any{"metadata": map[string]any{"graph_id": "other"},
		"supersteps": []any{map[string]any{"updates": []any{map[string]any{"values": map[string]any{}}}}}})
	var n int
	ts.ok(200, "POST", "/threads/count", nil).json(t, &n)
	if n != 1 {
		t.Fatalf("a rejected request left a thread behind: %d", n)
	}
}

func TestStateUnknownNamespace(t *testing.T) {
	ts := newTestServer(t, Options{})
	th := ts.createThread(map[string]any{"graph_id": "agent"})
	p := "/threads/" + th.ThreadID
	ts.ok(200, "POST", p+"/state", map[string]any{"values": map[string]any{"note": "x"}})
	cp := map[string]any{"checkpoint_ns": "nope:1"}
	ts.ok(404, "POST", p+"/state/checkpoint", map[string]any{"checkpoint": cp})
	ts.ok(404, "POST", p+"/history", map[string]any{"checkpoint": cp})
	ts.ok(404, "POST", p+"/state", map[string]any{"values": map[string]any{"note": "y"}, "checkpoint": cp})
	ts.ok(200, "POST", p+"/state/checkpoint", map[string]any{"checkpoint": map[string]any{"checkpoint_ns": ""}})
}

// TestStateAfterRunWithSubgraph runs a graph whose subgraph interrupts,
// with the store's checkpointer, and reads the result through the API.
func TestStateAfterRunWithSubgraph(t *testing.T) {
	eachStore(t, func(t *testing.T, store storage.Store) {
		inner, err := graph.New().
			AddChannel("log", graph.Reduce(func(cur, upd []string) []string { return append(cur, upd...) })).
			AddNode("ask", func(ctx context.Context, s graph.State) (any, error) {
				a, err := graph.Interrupt(ctx, "name?")
				if err != nil {
					return nil, err
				}
				return graph.State{"log": []string{"hi " + a.(string)}}, nil
			}).
			AddEdge(graph.START, "ask").Compile()
		if err != nil {
			t.Fatal(err)
		}
		outer, err := graph.New().
			AddChannel("log", graph.Reduce(func(cur, upd []string) []string { return append(cur, upd...) })).
			AddSubgraph("child", inner).
			AddEdge(graph.START, "child").Compile()
		if err != nil {
			t.Fatal(err)
		}
		ts := newTestServer(t, Options{Store: store, Graphs: map[string]Graph{"outer": outer}})
		th := ts.createThread(map[string]any{"graph_id": "outer"})
		saver, err := store.Checkpointer(t.Context(), allowAllScope(t), th.ThreadID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := outer.Stream(t.Context(), graph.State{}, graph.RunConfig{ThreadID: th.ThreadID, Checkpointer: saver}, nil)
		if err != nil || res.Status != "interrupted" {
			t.Fatalf("run: %+v %v", res, err)
		}
		p := "/threads/" + th.ThreadID

		var st struct {
			Next  []string `json:"next"`
			Tasks []struct {
				Name       string `json:"name"`
				Checkpoint *struct {
					CheckpointNS string `json:"checkpoint_ns"`
				} `json:"checkpoint"`
				State *struct {
					Next []string `json:"next"`
				} `json:"state"`
				Interrupts []struct {
					Value any `json:"value"`
				} `json:"interrupts"`
			} `json:"tasks"`
			Interrupts []struct {
				Value any `json:"value"`
			} `json:"interrupts"`
		}
		ts.ok(200, "GET", p+"/state", nil).json(t, &st)
		if len(st.Tasks) != 1 || st.Tasks[0].Name != "child" || st.Tasks[0].Checkpoint == nil || st.Tasks[0].State != nil ||
			len(st.Interrupts) != 1 || st.Interrupts[0].Value != "name?" {
			t.Fatalf("state %+v", st)
		}
		ns := st.Tasks[0].Checkpoint.CheckpointNS
		// The task's checkpoint is its thread and namespace only, and
		// null when the subgraph's state is included instead.
		var raw struct {
			Tasks []map[string]any `json:"tasks"`
		}
		ts.ok(200, "GET", p+"/state", nil).json(t, &raw)
		if want := map[string]any{"thread_id": th.ThreadID, "checkpoint_ns": ns}; !reflect.DeepEqual(raw.Tasks[0]["checkpoint"], want) {
			t.Errorf("task checkpoint %v, want %v", raw.Tasks[0]["checkpoint"], want)
		}
		ts.ok(200, "GET", p+"/state?subgraphs=true", nil).json(t, &raw)
		if c, ok := raw.Tasks[0]["checkpoint"]; !ok || c != nil {
			t.Errorf("task checkpoint with subgraphs %v", c)
		}
		ts.ok(200, "GET", p+"/state?subgraphs=true", nil).json(t, &st)
		if st.Tasks[0].State == nil || len(st.Tasks[0].State.Next) != 1 || st.Tasks[0].State.Next[0] != "ask" {
			t.Fatalf("state with subgraphs %+v", st.Tasks)
		}
		ts.ok(200, "POST", p+"/state/checkpoint", map[string]any{"checkpoint": map[string]any{"checkpoint_ns": ns}}).json(t, &st)
		if len(st.Next) != 1 || st.Next[0] != "ask" {
			t.Fatalf("subgraph state %+v", st)
		}
		var hist []stateResp
		ts.ok(200, "POST", p+"/history", map[string]any{"checkpoint": map[string]any{"checkpoint_ns": ns}}).json(t, &hist)
		if len(hist) == 0 {
			t.Fatal("no subgraph history")
		}
		ts.ok(200, "GET", p+"/history", nil).json(t, &hist)
		if len(hist) < 2 {
			t.Fatalf("root history %d", len(hist))
		}
	})
}
