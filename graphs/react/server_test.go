package react_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graphs/react"
	"github.com/agentgate/agentgate/internal/fakeopenai"
	"github.com/agentgate/agentgate/llm/models"
	"github.com/agentgate/agentgate/server"
	"github.com/agentgate/agentgate/storage/memory"
	"github.com/google/go-cmp/cmp"
)

type obj = map[string]any

// serve runs the real server with memory storage, graphs "agent" and
// "probe", and one user, alice, admitted with the bearer token "alice".
func serve(t *testing.T, graphs map[string]server.Graph) string {
	t.Helper()
	a := auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		if r.BearerToken() != "alice" {
			return nil, auth.Unauthorized("Invalid token")
		}
		return &auth.User{Identity: "alice", DisplayName: "Alice Liddell", Permissions: []string{"calc"},
			Extra: map[string]any{"org": "acme", "api_token": "secret-token"}}, nil
	})
	log := slog.New(slog.DiscardHandler)
	enf, err := authz.New(a, authz.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	srv, err := server.New(t.Context(), server.Options{Store: st, Graphs: graphs,
		Authenticator: enf, Authorizer: enf, Logger: log, Version: "0.0.0-react"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

// call sends a JSON request as alice and decodes a 200 answer.
func call(t *testing.T, base, method, path string, body any) obj {
	t.Helper()
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer alice")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var v obj
	if resp.StatusCode != 200 || json.Unmarshal(out, &v) != nil {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return v
}

// The built-in agent over HTTP: the assistant names the model, the fake
// provider calls calculator and whoami, the agent answers.
func TestBuiltinAgentOverHTTP(t *testing.T) {
	fake := fakeopenai.New(t,
		fakeopenai.Reply{ToolCalls: []fakeopenai.ToolCall{
			{ID: "call_calc", Name: "calculator", Args: `{"expression": "(2 + 3) * 7"}`},
			{ID: "call_who", Name: "whoami", Args: `{}`},
		}},
		fakeopenai.Reply{Text: "It is 35, Alice Liddell."})
	env := map[string]string{"OPENAI_BASE_URL": fake.URL()}
	reg, err := models.NewRegistry(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	g, err := react.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, map[string]server.Graph{"agent": g})

	asst := call(t, base, "POST", "/assistants", obj{"graph_id": "agent",
		"config": obj{"configurable": obj{"model": "openai:gpt-fake"}}})
	th := call(t, base, "POST", "/threads", obj{})
	out := call(t, base, "POST", "/threads/"+th["thread_id"].(string)+"/runs/wait", obj{
		"assistant_id": asst["assistant_id"],
		"input":        obj{"messages": []obj{{"type": "human", "content": "What is (2+3)*7, and who am I?"}}},
	})
	msgs, err := graph.ToMessages(out["messages"])
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range msgs {
		kinds = append(kinds, string(m.Type))
	}
	if got := strings.Join(kinds, " "); got != "human ai tool tool ai" {
		t.Fatalf("messages: %s (%v)", got, out)
	}
	if msgs[2].Text() != "35" {
		t.Errorf("calculator answered %q", msgs[2].Text())
	}
	var who obj
	if err := json.Unmarshal([]byte(msgs[3].Text()), &who); err != nil {
		t.Fatalf("whoami answered %q", msgs[3].Text())
	}
	if d := cmp.Diff(obj{"authenticated": true, "identity": "alice", "display_name": "Alice Liddell",
		"permissions": []any{"calc"}}, who); d != "" {
		t.Errorf("whoami (-want +got):\n%s", d)
	}
	if msgs[4].Text() != "It is 35, Alice Liddell." {
		t.Errorf("answer %q", msgs[4].Text())
	}

	reqs := fake.Requests()
	if len(reqs) != 2 || reqs[0]["model"] != "gpt-fake" {
		t.Fatalf("%d requests: %v", len(reqs), reqs)
	}
	var tools []string
	for _, tl := range reqs[0]["tools"].([]any) {
		tools = append(tools, tl.(obj)["function"].(obj)["name"].(string))
	}
	if got := strings.Join(tools, " "); got != "current_time calculator whoami" {
		t.Errorf("tools offered: %s", got)
	}
	if got := fake.Messages(1); len(got) != 5 || got[0][0] != "system" || got[3] != [2]string{"tool", "35"} {
		t.Errorf("second request: %v", got)
	}
	if b, _ := json.Marshal(reqs); bytes.Contains(b, []byte("secret-token")) || bytes.Contains(b, []byte("acme")) {
		t.Error("the caller's custom fields reached the model provider")
	}
}

// ServerInfoFrom inside a real run of an authenticated caller.
func TestServerInfoOverHTTP(t *testing.T) {
	var mu sync.Mutex
	var got graph.ServerInfo
	var ok bool
	probe, err := graph.New().AddChannel("messages", graph.Messages()).
		AddNode("probe", func(ctx context.Context, _ graph.State) (any, error) {
			mu.Lock()
			defer mu.Unlock()
			got, ok = graph.ServerInfoFrom(ctx)
			return nil, nil
		}).AddEdge(graph.START, "probe").AddEdge("probe", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, map[string]server.Graph{"probe": probe})
	asst := call(t, base, "POST", "/assistants", obj{"graph_id": "probe"})
	th := call(t, base, "POST", "/threads", obj{})
	tid := th["thread_id"].(string)
	call(t, base, "POST", "/threads/"+tid+"/runs/wait", obj{"assistant_id": asst["assistant_id"],
		"input":  obj{"messages": "hi"},
		"config": obj{"configurable": obj{"langgraph_auth_user_id": "mallory"}}}) // replaced by the server
	mu.Lock()
	defer mu.Unlock()
	if !ok || got.User == nil {
		t.Fatalf("ServerInfoFrom = %+v, %v", got, ok)
	}
	if got.AssistantID != asst["assistant_id"] || got.GraphID != "probe" || got.ThreadID != tid || got.RunID == "" {
		t.Errorf("ids: %+v", got)
	}
	want := graph.Caller{Identity: "alice", DisplayName: "Alice Liddell", Permissions: []string{"calc"},
		IsAuthenticated: true, Extra: map[string]any{"org": "acme", "api_token": "secret-token"}}
	if d := cmp.Diff(want, *got.User); d != "" {
		t.Errorf("caller (-want +got):\n%s", d)
	}
}
