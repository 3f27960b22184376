package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/storage"
)

// The SDK's joinStream and useStream's reconnect send Last-Event-ID: -1 to
// replay a run's stream from its start; LangGraph accepts it on the run
// joins and the thread stream.
func TestLastEventIDMinusOneReplaysFromStart(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	s := ts.sse("POST", "/threads/"+th+"/runs/stream", map[string]any{"assistant_id": "chatbot", "input": hello("one two"),
		"stream_mode": []string{"values"}, "stream_resumable": true})
	full := s.all()
	if len(full) < 2 {
		t.Fatalf("only %d events", len(full))
	}
	loc := s.resp.Header.Get("Location")
	for _, path := range []string{loc, "/runs/" + loc[len(loc)-len("/stream")-36:len(loc)-len("/stream")] + "/stream"} {
		r := ts.sse("GET", path, nil, "Last-Event-ID", "-1")
		if r.resp.StatusCode != 200 {
			t.Fatalf("GET %s with Last-Event-ID -1: %d", path, r.resp.StatusCode)
		}
		replay := r.all()
		if len(replay) != len(full) {
			t.Fatalf("GET %s with Last-Event-ID -1: %v, want %v", path, eventNames(replay), eventNames(full))
		}
		for i := range replay {
			if replay[i] != full[i] {
				t.Errorf("replay[%d] = %+v, want %+v", i, replay[i], full[i])
			}
		}
	}
	// The thread stream takes it too (it follows until the client leaves).
	r := ts.sse("GET", "/threads/"+th+"/stream", nil, "Last-Event-ID", "-1")
	if r.resp.StatusCode != 200 {
		t.Fatalf("thread stream with Last-Event-ID -1: %d", r.resp.StatusCode)
	}
	if ev, ok := r.next(); !ok || ev.name != "metadata" {
		t.Errorf("thread stream from -1 began with %+v", ev)
	}
}

// An unknown stream_mode on a run join is a 422 as on the thread stream.
func TestJoinStreamRejectsUnknownStreamMode(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "chatbot", "input": hello("hi")})
	var list []storage.Run
	ts.ok(200, "GET", "/threads/"+th+"/runs", nil).json(t, &list)
	run := list[0].RunID
	for _, path := range []string{"/threads/" + th + "/runs/" + run + "/stream", "/runs/" + run + "/stream", "/threads/" + th + "/stream"} {
		ts.ok(422, "GET", path+"?stream_mode=bogus", nil, "Last-Event-ID", "-1")
	}
	ts.ok(200, "GET", "/threads/"+th+"/runs/"+run+"/stream?stream_mode=values,messages-tuple", nil, "Last-Event-ID", "-1")
}

// sort_order is case-insensitive, as in LangGraph: "DESC" sorts like "desc"
// on assistants, threads and crons.
func TestSortOrderIsCaseInsensitive(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	a := ts.createThread(nil).ThreadID
	b := ts.createThread(nil).ThreadID
	for _, order := range []string{"DESC", "Desc", "desc"} {
		var got []storage.Thread
		ts.ok(200, "POST", "/threads/search", map[string]any{"sort_by": "created_at", "sort_order": order}).json(t, &got)
		if len(got) != 2 || got[0].ThreadID != b || got[1].ThreadID != a {
			t.Errorf("threads sorted %s: %+v", order, got)
		}
	}
	var asc []storage.Thread
	ts.ok(200, "POST", "/threads/search", map[string]any{"sort_by": "created_at", "sort_order": "ASC"}).json(t, &asc)
	if len(asc) != 2 || asc[0].ThreadID != a {
		t.Errorf("threads sorted ASC: %+v", asc)
	}
	ts.ok(200, "POST", "/assistants/search", map[string]any{"sort_order": "DESC"})
	ts.ok(200, "POST", "/runs/crons/search", map[string]any{"sort_order": "ASC"})
	ts.ok(422, "POST", "/threads/search", map[string]any{"sort_order": "sideways"})
}

// A body sent as text/plain (or a form) is not parsed as JSON: LangGraph
// answers 422. JSON media types and a missing Content-Type still work.
func TestNonJSONContentTypeIsRefused(t *testing.T) {
	ts := newTestServer(t, Options{})
	for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"} {
		r := ts.do("POST", "/threads", `{"metadata":{"a":1}}`, "Content-Type", ct)
		if r.status != 422 {
			t.Errorf("POST /threads as %s: %d %s", ct, r.status, r.body)
		}
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/merge-patch+json", ""} {
		r := ts.do("POST", "/threads", `{"metadata":{"a":1}}`, "Content-Type", ct)
		var th storage.Thread
		if r.status != 200 {
			t.Fatalf("POST /threads as %q: %d %s", ct, r.status, r.body)
		}
		if r.json(t, &th); th.Metadata["a"] != float64(1) {
			t.Errorf("POST /threads as %q: metadata %v", ct, th.Metadata)
		}
	}
	// An empty body needs no Content-Type.
	ts.ok(200, "POST", "/threads", "", "Content-Type", "text/plain")
}

// as_node "__input__" (thread import with supersteps, bulk state update)
// writes the values as the graph's input in a checkpoint with source
// "input", as LangGraph does, instead of a 400.
func TestStateUpdateAsInput(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	var th storage.Thread
	ts.ok(200, "POST", "/threads", map[string]any{
		"metadata": map[string]any{"graph_id": "chatbot"},
		"supersteps": []any{
			map[string]any{"updates": []any{map[string]any{"values": map[string]any{}, "as_node": "__input__"}}},
			map[string]any{"updates": []any{map[string]any{"values": hello("imported"), "as_node": "__start__"}}},
		},
	}).json(t, &th)
	var hist []stateResp
	ts.ok(200, "GET", "/threads/"+th.ThreadID+"/history", nil).json(t, &hist)
	if len(hist) != 2 || hist[1].Metadata["source"] != "input" || hist[1].Metadata["step"] != float64(-1) ||
		hist[0].Metadata["source"] != "update" {
		t.Fatalf("history after import: %+v", hist)
	}
	if msgs, _ := hist[0].Values["messages"].([]any); len(msgs) != 1 {
		t.Errorf("imported values %v", hist[0].Values)
	}
	// On an existing thread, POST /threads/{id}/state as __input__.
	ts.ok(200, "POST", "/threads/"+th.ThreadID+"/state", map[string]any{"values": hello("again"), "as_node": "__input__"})
	var st stateResp
	ts.ok(200, "GET", "/threads/"+th.ThreadID+"/state", nil).json(t, &st)
	if st.Metadata["source"] != "input" || st.Metadata["step"] != float64(1) || len(st.Next) == 0 || st.Next[0] != "__start__" {
		t.Errorf("state after an input update: %+v", st)
	}
	ts.ok(400, "POST", "/threads/"+th.ThreadID+"/state", map[string]any{"values": nil, "as_node": "__input__"})
	// A run on the imported thread goes on from its state.
	var out map[string]any
	ts.ok(200, "POST", "/threads/"+th.ThreadID+"/runs/wait", map[string]any{"assistant_id": "chatbot", "input": hello("next")}).json(t, &out)
	if msgs, _ := out["messages"].([]any); len(msgs) != 3 {
		t.Errorf("run on the imported thread: %v", out)
	}
}

// The input checkpoint of a run (the oldest in history) shows messages as
// [] like LangGraph, so clients reading history.at(-1).values.messages
// get a list.
func TestHistoryInputCheckpointShowsEmptyMessages(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "chatbot", "input": hello("hi")})
	var hist []struct {
		Values     map[string]any `json:"values"`
		Metadata   map[string]any `json:"metadata"`
		Checkpoint struct {
			CheckpointID string `json:"checkpoint_id"`
		} `json:"checkpoint"`
	}
	ts.ok(200, "POST", "/threads/"+th+"/history", map[string]any{"limit": 100}).json(t, &hist)
	oldest := hist[len(hist)-1]
	if oldest.Metadata["step"] != float64(-1) || oldest.Metadata["source"] != "input" {
		t.Fatalf("oldest state %+v", oldest)
	}
	if msgs, ok := oldest.Values["messages"].([]any); !ok || len(msgs) != 0 {
		t.Errorf("input checkpoint values = %v, want messages: []", oldest.Values)
	}
	// Its state read by checkpoint id says the same.
	var st stateResp
	ts.ok(200, "GET", "/threads/"+th+"/state/"+oldest.Checkpoint.CheckpointID, nil).json(t, &st)
	if msgs, ok := st.Values["messages"].([]any); !ok || len(msgs) != 0 {
		t.Errorf("state at the input checkpoint = %v, want messages: []", st.Values)
	}
}

// With stream_mode ["messages", "values"], LangGraph sends messages/complete
// for the messages that arrive in values (the human input) as well as for
// the streamed reply, each once by id.
func TestLegacyMessagesCompleteFromValues(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	evs := ts.sse("POST", "/threads/"+th+"/runs/stream", map[string]any{"assistant_id": "chatbot",
		"input": hello("hi there"), "stream_mode": []string{"messages", "values"}}).all()
	var complete []string
	seen := map[string]int{}
	for _, ev := range evs {
		if ev.name != "messages/complete" {
			continue
		}
		for _, m := range decodeData(t, ev).([]any) {
			msg := m.(map[string]any)
			complete = append(complete, msg["type"].(string)+":"+msg["content"].(string))
			seen[msg["id"].(string)]++
		}
	}
	if got := strings.Join(complete, "|"); got != "human:hi there|ai:You said: hi there" {
		t.Errorf("messages/complete: %s (events %v)", got, eventNames(evs))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s completed %d times", id, n)
		}
	}
}

// GraphConfigs (LANGGRAPH_CONFIG) configure the system assistants, and a
// run on one sees that configurable.
func TestGraphConfigsReachSystemAssistants(t *testing.T) {
	ts := newRunServer(t, nil, Options{GraphConfigs: map[string]map[string]any{
		"who": {"configurable": map[string]any{"user_id": "from-env"}, "context": map[string]any{"k": "v"}}}})
	var as []storage.Assistant
	ts.ok(200, "POST", "/assistants/search", map[string]any{"graph_id": "who"}).json(t, &as)
	if len(as) != 1 || as[0].Context["k"] != "v" {
		t.Fatalf("system assistant %+v", as)
	}
	if c, _ := as[0].Config["configurable"].(map[string]any); c["user_id"] != "from-env" {
		t.Errorf("system assistant config %v", as[0].Config)
	}
	var out map[string]any
	ts.ok(200, "POST", "/runs/wait", map[string]any{"assistant_id": "who", "input": map[string]any{}}).json(t, &out)
	if who, _ := out["who"].(map[string]any); who["user_id"] != "from-env" {
		t.Errorf("run configurable: %v", out)
	}
}

// stream_mode "events" streams astream_events v2 records: the graph's and
// each node's on_chain_start/end, and on_chat_model_start/stream/end for a
// node that streams a model's reply, with run ids and parent ids linking
// them, as LangGraph does (it sent nothing but metadata before).
func TestEventsStreamMode(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	th := ts.createThread(nil).ThreadID
	s := ts.sse("POST", "/threads/"+th+"/runs/stream", map[string]any{"assistant_id": "chatbot",
		"input": hello("one two"), "stream_mode": []string{"events"}})
	evs := s.all()
	type record struct {
		Event     string         `json:"event"`
		Name      string         `json:"name"`
		RunID     string         `json:"run_id"`
		Tags      []string       `json:"tags"`
		Metadata  map[string]any `json:"metadata"`
		Data      map[string]any `json:"data"`
		ParentIDs []string       `json:"parent_ids"`
	}
	var runID string
	var recs []record
	var seq []string
	for _, ev := range evs {
		switch ev.name {
		case "metadata":
			runID = decodeData(t, ev).(map[string]any)["run_id"].(string)
		case "events":
			var r record
			if err := json.Unmarshal([]byte(ev.data), &r); err != nil {
				t.Fatal(err)
			}
			if len(recs) == 0 || recs[len(recs)-1].Event != r.Event || recs[len(recs)-1].RunID != r.RunID {
				seq = append(seq, r.Event+":"+r.Name)
			}
			recs = append(recs, r)
		default:
			t.Errorf("unexpected event %s", ev.name)
		}
	}
	// The graph is named chatbot (graph.WithName), as is its node.
	want := "on_chain_start:chatbot on_chain_start:chatbot on_chat_model_start:ChatModel on_chat_model_stream:ChatModel " +
		"on_chat_model_end:ChatModel on_chain_stream:chatbot on_chain_end:chatbot on_chain_end:chatbot"
	if got := strings.Join(seq, " "); got != want {
		t.Fatalf("events:\n%s\nwant\n%s", got, want)
	}
	graphRec, node := recs[0], recs[1]
	if graphRec.RunID != runID || len(graphRec.ParentIDs) != 0 || graphRec.Metadata["thread_id"] != th {
		t.Errorf("graph start %+v (run %s)", graphRec, runID)
	}
	if node.RunID == "" || node.RunID == runID || fmt.Sprint(node.ParentIDs) != "["+runID+"]" ||
		node.Metadata["langgraph_node"] != "chatbot" || fmt.Sprint(node.Tags) != "[graph:step:1]" {
		t.Errorf("node start %+v", node)
	}
	var text string
	for _, r := range recs {
		switch r.Event {
		case "on_chat_model_stream":
			if fmt.Sprint(r.ParentIDs) != fmt.Sprint([]string{runID, node.RunID}) {
				t.Errorf("model parent ids %v", r.ParentIDs)
			}
			chunk := r.Data["chunk"].(map[string]any)
			if chunk["type"] != "AIMessageChunk" {
				t.Errorf("chunk %v", chunk)
			}
			text += chunk["content"].(string)
		case "on_chat_model_end":
			if out := r.Data["output"].(map[string]any); out["content"] != "You said: one two" {
				t.Errorf("model end output %v", out)
			}
		case "on_chain_end":
			if r.RunID == runID {
				if msgs := r.Data["output"].(map[string]any)["messages"].([]any); len(msgs) != 2 {
					t.Errorf("graph output %v", r.Data)
				}
			}
		}
	}
	if text != "You said: one two" {
		t.Errorf("streamed text %q", text)
	}
}
