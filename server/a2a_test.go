package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/storage"
)

// a2aGraphs are the run graphs plus two with a messages key: "asker"
// interrupts and then replies with the answer; "broken" fails.
func a2aGraphs(t *testing.T) map[string]Graph {
	t.Helper()
	gs := runGraphs(t)
	asker, err := graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode("ask", func(ctx context.Context, s graph.State) (any, error) {
			v, err := graph.Interrupt(ctx, "Which colour?")
			if err != nil {
				return nil, err
			}
			return graph.State{"messages": graph.AI(fmt.Sprint("You chose ", v))}, nil
		}).
		AddEdge(graph.START, "ask").AddEdge("ask", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	broken, err := graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode("boom", func(ctx context.Context, s graph.State) (any, error) { return nil, errors.New("kaboom") }).
		AddEdge(graph.START, "boom").AddEdge("boom", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	gs["asker"], gs["broken"] = asker, broken
	return gs
}

func newA2AServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	opts.Graphs = a2aGraphs(t)
	return newRunServer(t, nil, opts)
}

// rpcResp is a JSON-RPC response with an A2A task (or error).
type rpcResp struct {
	JSONRPC string `json:"jsonrpc"`
	ID      any    `json:"id"`
	Result  *struct {
		Kind      string `json:"kind"`
		ID        string `json:"id"`
		ContextID string `json:"contextId"`
		Status    struct {
			State   string `json:"state"`
			Message *struct {
				Parts []struct {
					Text string `json:"text"`
				} `json:"parts"`
			} `json:"message"`
		} `json:"status"`
		Artifacts []struct {
			Parts []struct {
				Kind, Text string
			} `json:"parts"`
		} `json:"artifacts"`
		History []map[string]any `json:"history"`
	} `json:"result"`
	Error *struct {
		Code    int            `json:"code"`
		Message string         `json:"message"`
		Data    map[string]any `json:"data"`
	} `json:"error"`
}

func (r rpcResp) reply() string {
	if r.Result == nil || len(r.Result.Artifacts) == 0 || len(r.Result.Artifacts[0].Parts) == 0 {
		return ""
	}
	return r.Result.Artifacts[0].Parts[0].Text
}

func (r rpcResp) statusText() string {
	if r.Result == nil || r.Result.Status.Message == nil || len(r.Result.Status.Message.Parts) == 0 {
		return ""
	}
	return r.Result.Status.Message.Parts[0].Text
}

func sendParams(text, contextID string) map[string]any {
	msg := map[string]any{"kind": "message", "messageId": newUUID(), "role": "user",
		"parts": []any{map[string]any{"kind": "text", "text": text}}}
	if contextID != "" {
		msg["contextId"] = contextID
	}
	return map[string]any{"message": msg}
}

// rpc calls method on the assistant's A2A endpoint; the HTTP status must
// be 200.
func (ts *testServer) rpc(assistant, method string, params any, hdr ...string) (rpcResp, response) {
	ts.t.Helper()
	r := ts.ok(200, "POST", "/a2a/"+assistant, map[string]any{"jsonrpc": "2.0", "id": 7, "method": method, "params": params}, hdr...)
	var out rpcResp
	r.json(ts.t, &out)
	if out.JSONRPC != "2.0" || out.ID != float64(7) {
		ts.t.Fatalf("%s: not a JSON-RPC response to id 7: %s", method, r.body)
	}
	if (out.Result == nil) == (out.Error == nil) {
		ts.t.Fatalf("%s: want exactly one of result and error: %s", method, r.body)
	}
	return out, r
}

func (ts *testServer) rpcOK(assistant, method string, params any, hdr ...string) rpcResp {
	ts.t.Helper()
	out, r := ts.rpc(assistant, method, params, hdr...)
	if out.Error != nil {
		ts.t.Fatalf("%s: error %s", method, r.body)
	}
	return out
}

// rpcErr calls method and wants the error code; it returns the body.
func (ts *testServer) rpcErr(assistant, method string, params any, code int, hdr ...string) string {
	ts.t.Helper()
	out, r := ts.rpc(assistant, method, params, hdr...)
	if out.Error == nil || out.Error.Code != code {
		ts.t.Fatalf("%s: want error %d, got %s", method, code, r.body)
	}
	return string(r.body)
}

func threadMessages(t *testing.T, ts *testServer, threadID string, hdr ...string) []map[string]any {
	t.Helper()
	var st struct {
		Values struct {
			Messages []map[string]any `json:"messages"`
		} `json:"values"`
	}
	ts.ok(200, "GET", "/threads/"+threadID+"/state", nil, hdr...).json(t, &st)
	return st.Values.Messages
}

// TestA2AConversation: alice talks to her assistant; a second message
// with the same contextId continues the thread; tasks/get finds her task.
func TestA2AConversation(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		o := ownerAuth{}
		ts := newA2AServer(t, Options{Store: st, Authenticator: o, Authorizer: o})
		alice, bob := []string{"X-User", "alice"}, []string{"X-User", "bob"}
		var a storage.Assistant
		ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "chatbot", "name": "echo"}, alice...).json(t, &a)

		first := ts.rpcOK(a.AssistantID, "message/send", sendParams("hi there", ""), alice...)
		res := first.Result
		if res.Kind != "task" || res.Status.State != "completed" || first.reply() != "You said: hi there" {
			t.Fatalf("first task %+v", res)
		}
		if _, ok := canonicalUUID(res.ContextID); !ok || len(res.History) != 1 || res.History[0]["contextId"] != res.ContextID {
			t.Fatalf("contextId %q history %v", res.ContextID, res.History)
		}
		var th storage.Thread
		ts.ok(200, "GET", "/threads/"+res.ContextID, nil, alice...).json(t, &th)
		if th.Metadata["owner"] != "alice" {
			t.Fatalf("the context's thread %+v", th)
		}
		var run storage.Run
		ts.ok(200, "GET", "/threads/"+res.ContextID+"/runs/"+res.ID, nil, alice...).json(t, &run)
		if run.AssistantID != a.AssistantID || run.Status != storage.RunSuccess {
			t.Fatalf("the task's run %+v", run)
		}

		second := ts.rpcOK(a.AssistantID, "message/send", sendParams("again", res.ContextID), alice...)
		if second.Result.ContextID != res.ContextID || second.Result.ID == res.ID || second.reply() != "You said: again" {
			t.Fatalf("second task %+v", second.Result)
		}
		msgs := threadMessages(t, ts, res.ContextID, alice...)
		if len(msgs) != 4 || msgs[0]["content"] != "hi there" || msgs[0]["type"] != "human" || msgs[2]["content"] != "again" {
			t.Fatalf("thread messages %v", msgs)
		}

		// A contextId naming no thread yet: the thread is created with it.
		fresh := newUUID()
		if got := ts.rpcOK(a.AssistantID, "message/send", sendParams("new", fresh), alice...); got.Result.ContextID != fresh {
			t.Fatalf("contextId %s, want %s", got.Result.ContextID, fresh)
		}

		got := ts.rpcOK(a.AssistantID, "tasks/get", map[string]any{"id": res.ID}, alice...)
		if got.Result.ID != res.ID || got.Result.ContextID != res.ContextID || got.Result.Status.State != "completed" {
			t.Fatalf("tasks/get %+v", got.Result)
		}

		// Bob: no task, no assistant, no thread of alice's.
		var mine storage.Assistant
		ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "chatbot"}, bob...).json(t, &mine)
		for _, body := range []string{
			ts.rpcErr(a.AssistantID, "tasks/get", map[string]any{"id": res.ID}, -32602, bob...),
			ts.rpcErr(mine.AssistantID, "tasks/get", map[string]any{"id": res.ID}, -32001, bob...),
			ts.rpcErr(mine.AssistantID, "tasks/get", map[string]any{"id": res.ID, "metadata": map[string]any{"contextId": res.ContextID}}, -32001, bob...),
			ts.rpcErr(mine.AssistantID, "message/send", sendParams("hijack", res.ContextID), -32602, bob...),
			ts.rpcErr(a.AssistantID, "message/send", sendParams("hijack", res.ContextID), -32602, bob...),
		} {
			if strings.Contains(body, "You said") || strings.Contains(body, "hi there") {
				t.Fatalf("bob got alice's data: %s", body)
			}
		}
		if msgs := threadMessages(t, ts, res.ContextID, alice...); len(msgs) != 4 {
			t.Fatalf("alice's thread changed: %v", msgs)
		}
		// Alice's task is not a task of another assistant.
		var other storage.Assistant
		ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "chatbot"}, alice...).json(t, &other)
		ts.rpcErr(other.AssistantID, "tasks/get", map[string]any{"id": res.ID}, -32001, alice...)
	})
}

// TestA2AStates: interrupts ask for input and the next message answers;
// failures fail; graphs without messages and other parts are refused.
func TestA2AStates(t *testing.T) {
	ts := newA2AServer(t, Options{})
	asked := ts.rpcOK("asker", "message/send", sendParams("start", ""))
	if asked.Result.Status.State != "input-required" || asked.statusText() != "Which colour?" {
		t.Fatalf("interrupt: %+v", asked.Result)
	}
	done := ts.rpcOK("asker", "message/send", sendParams("blue", asked.Result.ContextID))
	if done.Result.Status.State != "completed" || done.reply() != "You chose blue" {
		t.Fatalf("resumed: %+v", done.Result)
	}
	failed := ts.rpcOK("broken", "message/send", sendParams("x", ""))
	if failed.Result.Status.State != "failed" || !strings.Contains(failed.statusText(), "kaboom") {
		t.Fatalf("failure: %+v", failed.Result)
	}
	if got := ts.rpcOK("broken", "tasks/get", map[string]any{"id": failed.Result.ID}); got.Result.Status.State != "failed" {
		t.Fatalf("tasks/get of a failed run: %+v", got.Result)
	}
	// Not blocking: the task at once.
	p := sendParams("quick", "")
	p["configuration"] = map[string]any{"blocking": false}
	if got := ts.rpcOK("agent", "message/send", p); got.Result.Status.State != "submitted" {
		t.Fatalf("non-blocking: %+v", got.Result)
	}

	ts.rpcErr("other", "message/send", sendParams("x", ""), -32004)
	ts.rpcErr("agent", "message/send", map[string]any{"message": map[string]any{"messageId": "m", "role": "user",
		"parts": []any{map[string]any{"kind": "data", "data": map[string]any{"a": 1}}}}}, -32005)
	ts.rpcErr("agent", "message/send", sendParams("x", "not-a-uuid"), -32602)
	ts.rpcErr("agent", "tasks/get", map[string]any{"id": "nope"}, -32001)
	ts.rpcErr("agent", "tasks/cancel", map[string]any{"id": asked.Result.ID}, -32004)
	ts.rpcErr("agent", "no/such", map[string]any{}, -32601)
	ts.rpcErr("00000000-0000-0000-0000-0000000000ab", "tasks/get", map[string]any{"id": asked.Result.ID}, -32602)
	ts.ok(422, "GET", "/.well-known/agent-card.json?assistant_id=other", nil)
	ts.ok(422, "GET", "/.well-known/agent-card.json", nil)
}

// TestA2AStream: message/stream answers SSE of JSON-RPC responses ending
// with the final status.
func TestA2AStream(t *testing.T) {
	o := ownerAuth{}
	ts := newA2AServer(t, Options{Authenticator: o, Authorizer: o})
	alice := []string{"X-User", "alice"}
	var a storage.Assistant
	ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "chatbot"}, alice...).json(t, &a)
	s := ts.sse("POST", "/a2a/"+a.AssistantID, map[string]any{"jsonrpc": "2.0", "id": "s1", "method": "message/stream",
		"params": sendParams("stream me", "")}, alice...)
	if ct := s.resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	var kinds []string
	var last map[string]any
	reply := ""
	for _, ev := range s.all() {
		var resp struct {
			ID     string         `json:"id"`
			Result map[string]any `json:"result"`
			Error  any            `json:"error"`
		}
		if err := json.Unmarshal([]byte(ev.data), &resp); err != nil || resp.ID != "s1" || resp.Error != nil {
			t.Fatalf("event %q: %v", ev.data, err)
		}
		k, _ := resp.Result["kind"].(string)
		if st, _ := resp.Result["status"].(map[string]any); st != nil {
			k += ":" + fmt.Sprint(st["state"])
		}
		if art, _ := resp.Result["artifact"].(map[string]any); art != nil {
			parts, _ := art["parts"].([]any)
			if len(parts) == 1 {
				reply = fmt.Sprint(parts[0].(map[string]any)["text"])
			}
		}
		kinds = append(kinds, k)
		last = resp.Result
	}
	want := "task:submitted status-update:working artifact-update status-update:completed"
	if strings.Join(kinds, " ") != want || last["final"] != true || reply != "You said: stream me" {
		t.Fatalf("events %v (last %v, reply %q), want %s", kinds, last, reply, want)
	}
	// Bob's stream is a JSON-RPC error, not his data nor alice's.
	bs := ts.sse("POST", "/a2a/"+a.AssistantID, map[string]any{"jsonrpc": "2.0", "id": 2, "method": "message/stream",
		"params": sendParams("x", "")}, "X-User", "bob")
	evs := bs.all()
	if len(evs) != 1 || !strings.Contains(evs[0].data, `"error"`) || strings.Contains(evs[0].data, `"result"`) {
		t.Fatalf("bob's stream %+v", evs)
	}
}

// TestA2AAgentCard: the card of an assistant the caller may read.
func TestA2AAgentCard(t *testing.T) {
	o := ownerAuth{}
	ts := newA2AServer(t, Options{Authenticator: o, Authorizer: o})
	alice := []string{"X-User", "alice"}
	var a storage.Assistant
	ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "chatbot", "name": "Echo bot", "description": "Repeats you"}, alice...).json(t, &a)
	var card struct {
		Name, Description, URL, ProtocolVersion, PreferredTransport string
		Capabilities                                                struct{ Streaming bool }
		Skills                                                      []struct{ ID, Name, Description string }
	}
	ts.ok(200, "GET", "/.well-known/agent-card.json?assistant_id="+a.AssistantID, nil, alice...).json(t, &card)
	if card.Name != "Echo bot" || card.Description != "Repeats you" || card.URL != ts.http.URL+"/a2a/"+a.AssistantID ||
		card.ProtocolVersion != "0.3.0" || card.PreferredTransport != "JSONRPC" || !card.Capabilities.Streaming ||
		len(card.Skills) != 1 || card.Skills[0].Description != "Repeats you" {
		t.Fatalf("card %+v", card)
	}
	ts.ok(404, "GET", "/.well-known/agent-card.json?assistant_id="+a.AssistantID, nil, "X-User", "bob")
	ts.ok(401, "GET", "/.well-known/agent-card.json?assistant_id="+a.AssistantID, nil)
	ts.ok(401, "POST", "/a2a/"+a.AssistantID, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": map[string]any{"id": newUUID()}})
}

func TestA2ADisabled(t *testing.T) {
	ts := newA2AServer(t, Options{HTTP: HTTPOptions{Disable: DisableOptions{A2A: true}}})
	ts.ok(404, "POST", "/a2a/agent", map[string]any{"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": sendParams("x", "")})
	ts.ok(404, "GET", "/.well-known/agent-card.json?assistant_id=agent", nil)
	ts.ok(200, "GET", "/assistants/agent", nil)
}

// TestA2ARouteEvents: each method raises the events the table declares.
func TestA2ARouteEvents(t *testing.T) {
	rec := &recorder{}
	ts := newA2AServer(t, Options{Authorizer: rec})
	var a storage.Assistant
	ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "chatbot"}).json(t, &a)
	th := ts.createThread(nil).ThreadID
	rec.take()
	task := ts.rpcOK("agent", "message/send", sendParams("x", th)).Result.ID
	if got := rec.take(); !slices.Equal(got, []string{"assistants:read", "threads:read", "threads:create_run"}) {
		t.Fatalf("existing context: %v", got)
	}
	for _, c := range []struct {
		assistant, method string
		params            any
		want              []string
	}{
		{a.AssistantID, "message/send", sendParams("x", ""),
			[]string{"assistants:read", "threads:create", "threads:create_run", "assistants:read"}},
		{"agent", "message/stream", sendParams("x", newUUID()),
			[]string{"assistants:read", "threads:read", "threads:create", "threads:create_run"}},
		{"agent", "tasks/get", map[string]any{"id": task}, []string{"assistants:read", "threads:read"}},
	} {
		body := map[string]any{"jsonrpc": "2.0", "id": 1, "method": c.method, "params": c.params}
		if c.method == "message/stream" {
			ts.sse("POST", "/a2a/"+c.assistant, body).all()
		} else {
			ts.rpcOK(c.assistant, c.method, c.params)
		}
		got := rec.take()
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: events %v, want %v", c.method, got, c.want)
		}
		rt := ts.routeOf(t, "POST", "/a2a/"+c.assistant)
		if err := matchEvents(rt.Events(), got, true); err != nil {
			t.Errorf("%s: %v", c.method, err)
		}
	}
	ts.ok(200, "GET", "/.well-known/agent-card.json?assistant_id=agent", nil)
	if got := rec.take(); !slices.Equal(got, []string{"assistants:read"}) {
		t.Fatalf("agent card: %v", got)
	}
}

// TestA2AViewerCannotWrite: a viewer (read every thread, write own) sees
// alice's context thread but cannot run on it through A2A.
func TestA2AViewerCannotWrite(t *testing.T) {
	a := viewerAuth{}
	ts := newA2AServer(t, Options{Authenticator: a, Authorizer: a})
	var hers, his storage.Assistant
	ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "chatbot"}, alice...).json(t, &hers)
	ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "chatbot"}, bob...).json(t, &his)
	task := ts.rpcOK(hers.AssistantID, "message/send", sendParams("private", ""), alice...).Result
	ts.ok(200, "GET", "/threads/"+task.ContextID, nil, bob...)
	ts.rpcErr(his.AssistantID, "message/send", sendParams("mine now", task.ContextID), -32602, bob...)
	evs := ts.sse("POST", "/a2a/"+his.AssistantID, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "message/stream",
		"params": sendParams("mine now", task.ContextID)}, bob...).all()
	if len(evs) != 1 || !strings.Contains(evs[0].data, `"code":-32602`) {
		t.Fatalf("bob's stream %+v", evs)
	}
	ts.rpcErr(his.AssistantID, "tasks/get", map[string]any{"id": task.ID}, -32001, bob...)
	if msgs := threadMessages(t, ts, task.ContextID, alice...); len(msgs) != 2 {
		t.Fatalf("alice's thread changed: %v", msgs)
	}
}
