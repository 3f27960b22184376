package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// rpcReply is a JSON-RPC response from POST /mcp.
type rpcReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		} `json:"data"`
	} `json:"error"`
}

type toolList struct {
	Tools []struct {
		Name        string         `json:"name"`
		Title       string         `json:"title"`
		Description string         `json:"description"`
		InputSchema map[string]any `json:"inputSchema"`
	} `json:"tools"`
}

type toolCall struct {
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	IsError bool `json:"isError"`
}

// mcpRPC sends one JSON-RPC request to POST /mcp and decodes the 200 reply.
func (ts *testServer) mcpRPC(method string, params any, hdr ...string) rpcReply {
	ts.t.Helper()
	body := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method}
	if params != nil {
		body["params"] = params
	}
	r := ts.ok(200, "POST", "/mcp", body, append(hdr, "Accept", mcpAccept)...)
	var out rpcReply
	r.json(ts.t, &out)
	return out
}

func (ts *testServer) tools(hdr ...string) []string {
	ts.t.Helper()
	rep := ts.mcpRPC("tools/list", nil, hdr...)
	if rep.Error != nil {
		ts.t.Fatalf("tools/list: %+v", rep.Error)
	}
	var l toolList
	if err := json.Unmarshal(rep.Result, &l); err != nil {
		ts.t.Fatal(err)
	}
	var names []string
	for _, tl := range l.Tools {
		names = append(names, tl.Name)
	}
	return names
}

func (ts *testServer) callTool(name string, args any, hdr ...string) (toolCall, rpcReply) {
	ts.t.Helper()
	rep := ts.mcpRPC("tools/call", map[string]any{"name": name, "arguments": args}, hdr...)
	var c toolCall
	if rep.Error == nil {
		if err := json.Unmarshal(rep.Result, &c); err != nil {
			ts.t.Fatal(err)
		}
	}
	return c, rep
}

func (ts *testServer) createAssistant(body map[string]any, hdr ...string) storage.Assistant {
	ts.t.Helper()
	var a storage.Assistant
	ts.ok(200, "POST", "/assistants", body, hdr...).json(ts.t, &a)
	return a
}

// TestMCPToolsFollowAuthorization: with the owner policy each user lists
// and calls only their own assistants; another's is an unknown tool.
func TestMCPToolsFollowAuthorization(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newOwnerServer(t, st)
		ts.createAssistant(map[string]any{"graph_id": "agent", "name": "helper", "description": "Says hello"}, alice...)
		ts.createAssistant(map[string]any{"graph_id": "other", "name": "bob's tool"}, bob...)

		rep := ts.mcpRPC("tools/list", nil, alice...)
		var l toolList
		if err := json.Unmarshal(rep.Result, &l); err != nil || len(l.Tools) != 1 {
			t.Fatalf("alice's tools: %s %v", rep.Result, err)
		}
		tl := l.Tools[0]
		props, _ := tl.InputSchema["properties"].(map[string]any)
		if tl.Name != "helper" || tl.Title != "helper" || tl.Description != "Says hello" || tl.InputSchema["type"] != "object" || props["note"] == nil {
			t.Fatalf("alice's tool %+v", tl)
		}
		rep = ts.mcpRPC("tools/list", nil, bob...)
		if err := json.Unmarshal(rep.Result, &l); err != nil || len(l.Tools) != 1 || l.Tools[0].Name != "bob_s_tool" || l.Tools[0].Title != "bob's tool" {
			t.Fatalf("bob's tools: %s %v", rep.Result, err)
		}
		if got := ts.tools(bob...); !slices.Equal(got, []string{"bob_s_tool"}) {
			t.Fatalf("bob's tools %v", got)
		}

		c, rep := ts.callTool("helper", map[string]any{"note": "hi"}, alice...)
		if rep.Error != nil || c.IsError || len(c.Content) != 1 || c.Content[0].Type != "text" {
			t.Fatalf("alice's call: %+v %+v", rep.Error, c)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(c.Content[0].Text), &out); err != nil || out["note"] != "hi" || out["messages"] == nil {
			t.Fatalf("alice's output %q: %v", c.Content[0].Text, err)
		}

		_, rep = ts.callTool("helper", map[string]any{"note": "bob"}, bob...)
		if rep.Error == nil || !strings.Contains(rep.Error.Message, "unknown tool") {
			t.Fatalf("bob calling alice's tool: %+v", rep)
		}
		var threads []storage.Thread
		ts.ok(200, "POST", "/threads/search", map[string]any{}, bob...).json(t, &threads)
		if len(threads) != 0 {
			t.Fatalf("bob's call left threads: %+v", threads)
		}
	})
}

// searchAll lets everyone search every assistant but only alice run one:
// a tool bob sees may still be refused when he calls it.
type searchAll struct{ ownerAuth }

func (a searchAll) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	user, _ := ctx.Value(userKey{}).(string)
	switch v.(type) {
	case *auth.AssistantsSearch, *auth.AssistantsRead:
		return scopeFor(v), nil
	case *auth.RunsCreate:
		if user != "alice" {
			return storage.Scope{}, auth.Forbidden("only alice runs assistants")
		}
	}
	return a.ownerAuth.Authorize(ctx, v)
}

func TestMCPCallIsAuthorizedAsTheCaller(t *testing.T) {
	a := searchAll{}
	ts := newTestServer(t, Options{Authenticator: a, Authorizer: a})
	ts.createAssistant(map[string]any{"graph_id": "agent", "name": "helper"}, alice...)
	if got := ts.tools(bob...); !slices.Contains(got, "helper") {
		t.Fatalf("bob's tools %v", got)
	}
	_, rep := ts.callTool("helper", map[string]any{}, bob...)
	if rep.Error == nil || rep.Error.Data.Status != 403 || rep.Error.Message != "only alice runs assistants" {
		t.Fatalf("bob's call: %+v", rep)
	}
	if c, rep := ts.callTool("helper", map[string]any{}, alice...); rep.Error != nil || c.IsError {
		t.Fatalf("alice's call: %+v %+v", rep, c)
	}
}

func TestMCPNeedsAuthentication(t *testing.T) {
	ts := newOwnerServer(t, nil)
	body := map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
	r := ts.ok(401, "POST", "/mcp", body, "Accept", mcpAccept)
	if r.detail(t) == "" || r.header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("401 %s %v", r.body, r.header)
	}
	// Even a malformed MCP request is refused before MCP looks at it.
	ts.ok(401, "POST", "/mcp", "not json")
}

func TestMCPDisabled(t *testing.T) {
	ts := newTestServer(t, Options{HTTP: HTTPOptions{Disable: DisableOptions{MCP: true}}})
	r := ts.ok(404, "POST", "/mcp", map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, "Accept", mcpAccept)
	if r.detail(t) != "Not Found" {
		t.Fatalf("%s", r.body)
	}
	ts.ok(200, "POST", "/assistants/search", map[string]any{})
	on := newTestServer(t, Options{})
	if got := on.tools(); !slices.Contains(got, "agent") || !slices.Contains(got, "other") {
		t.Fatalf("tools %v", got)
	}
}

// TestMCPErrorsAreDetails: what the MCP layer refuses is {"detail": ...}
// with its status, like every other route's errors.
func TestMCPErrorsAreDetails(t *testing.T) {
	ts := newTestServer(t, Options{})
	body := map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
	r := ts.ok(400, "POST", "/mcp", body) // no Accept
	if !strings.Contains(r.detail(t), "Accept") {
		t.Fatalf("%s", r.body)
	}
	r = ts.ok(405, "GET", "/mcp", nil)
	if r.detail(t) != "Method Not Allowed" || r.header.Get("Allow") != "POST" {
		t.Fatalf("%s %v", r.body, r.header)
	}
	_, rep := ts.callTool("nope", map[string]any{})
	if rep.Error == nil || rep.Error.Code != -32602 {
		t.Fatalf("unknown tool: %+v", rep)
	}
	_, rep = ts.callTool("agent", []any{1})
	if rep.Error == nil || rep.Error.Code != -32602 {
		t.Fatalf("array arguments: %+v", rep)
	}
}

func TestMCPRunErrorIsToolError(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	c, rep := ts.callTool("fail", map[string]any{})
	if rep.Error != nil || !c.IsError || len(c.Content) != 1 || !strings.Contains(c.Content[0].Text, "kaboom") {
		t.Fatalf("%+v %+v", rep, c)
	}
	c, rep = ts.callTool("who", nil)
	if rep.Error != nil || c.IsError || !strings.Contains(c.Content[0].Text, `"who"`) {
		t.Fatalf("%+v %+v", rep, c)
	}
}

// TestMCPEvents: tools/list raises assistants:search; tools/call then
// threads:create_run and, for a non-system assistant, assistants:read.
func TestMCPEvents(t *testing.T) {
	rec := &recorder{}
	ts := newTestServer(t, Options{Authorizer: rec})
	ts.createAssistant(map[string]any{"graph_id": "agent", "name": "mine"})
	rt := ts.routeOf(t, "POST", "/mcp")
	for _, c := range []struct {
		method string
		params any
		want   []string
	}{
		{"initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "test", "version": "1"}}, []string{"assistants:search"}},
		{"tools/list", nil, []string{"assistants:search"}},
		{"tools/call", map[string]any{"name": "mine", "arguments": map[string]any{}},
			[]string{"assistants:search", "threads:create_run", "assistants:read"}},
		{"tools/call", map[string]any{"name": "agent", "arguments": map[string]any{}},
			[]string{"assistants:search", "threads:create_run"}},
	} {
		rec.take()
		rep := ts.mcpRPC(c.method, c.params)
		got := rec.take()
		if rep.Error != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %+v, events %v, want %v", c.method, rep.Error, got, c.want)
		}
		if err := matchEvents(rt.Events(), got, true); err != nil {
			t.Errorf("%s: %v", c.method, err)
		}
	}
}

func TestMCPToolNames(t *testing.T) {
	used := map[string]bool{}
	id := func(n int) string { return "00000000-0000-0000-0000-00000000000" + string(rune('0'+n)) }
	for _, c := range []struct {
		a    storage.Assistant
		want string
	}{
		{storage.Assistant{AssistantID: id(1), GraphID: "agent", Name: "My agent!"}, "My_agent_"},
		{storage.Assistant{AssistantID: id(2), GraphID: "agent", Name: "My agent?"}, "My_agent__" + id(2)},
		{storage.Assistant{AssistantID: id(3), GraphID: "agent", Name: "日本"}, "agent"},
		{storage.Assistant{AssistantID: id(4), GraphID: "agent", Name: ""}, "agent_" + id(4)},
		{storage.Assistant{AssistantID: id(5), GraphID: "", Name: "  "}, id(5)},
		{storage.Assistant{AssistantID: id(6), GraphID: "g", Name: strings.Repeat("x", 200)}, strings.Repeat("x", 128)},
	} {
		if got := uniqueToolName(c.a, used); got != c.want {
			t.Errorf("%q: %q, want %q", c.a.Name, got, c.want)
		}
	}
}

// TestMCPGoClient drives the endpoint with the Go SDK's own client.
func TestMCPGoClient(t *testing.T) {
	ts := newOwnerServer(t, nil)
	ts.createAssistant(map[string]any{"graph_id": "agent", "name": "helper"}, alice...)
	hc := &http.Client{Transport: headerTransport{"X-User", "alice"}}
	cl := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	sess, err := cl.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: ts.http.URL + "/mcp", HTTPClient: hc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	lt, err := sess.ListTools(t.Context(), nil)
	if err != nil || len(lt.Tools) != 1 || lt.Tools[0].Name != "helper" {
		t.Fatalf("%+v %v", lt, err)
	}
	res, err := sess.CallTool(t.Context(), &mcp.CallToolParams{Name: "helper", Arguments: map[string]any{"note": "go"}})
	if err != nil || res.IsError {
		t.Fatalf("%+v %v", res, err)
	}
	if txt := res.Content[0].(*mcp.TextContent).Text; !strings.Contains(txt, `"note":"go"`) {
		t.Fatalf("%s", txt)
	}
}

type headerTransport [2]string

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h[0], h[1])
	return http.DefaultTransport.RoundTrip(r)
}

// TestMCPLeavingCancelsTheRun: a client that leaves a tools/call cancels
// the run it started.
func TestMCPLeavingCancelsTheRun(t *testing.T) {
	ts := newRunServer(t, nil, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"block","arguments":{}}}`
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.http.URL+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", mcpAccept)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	running := func(want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			st, err := ts.srv.runStats(t.Context())
			if err == nil && st.Running+st.Pending == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("runs %+v %v, want %d active", st, err, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	running(1)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the call answered before it was cancelled")
	}
	running(0)
}

// TestMCPRebindingGuard: without authentication a loopback request naming
// another host is refused (DNS rebinding); with it, credentials decide.
func TestMCPRebindingGuard(t *testing.T) {
	post := func(ts *testServer, hdr ...string) int {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
		req, _ := http.NewRequest("POST", ts.http.URL+"/mcp", strings.NewReader(body))
		req.Host = "evil.example"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", mcpAccept)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(newTestServer(t, Options{})); got != 403 {
		t.Errorf("no auth: %d, want 403", got)
	}
	if got := post(newOwnerServer(t, nil), alice...); got != 200 {
		t.Errorf("with auth: %d, want 200", got)
	}
}
