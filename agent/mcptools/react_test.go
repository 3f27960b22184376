package mcptools_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/agentgate/agentgate/agent"
	"github.com/agentgate/agentgate/agent/mcptools"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

// scripted is a fake llm.ToolBinder: it answers with its replies in
// order and records the tools it was offered on each turn.
type scripted struct {
	mu      sync.Mutex
	replies []graph.Message
	offered [][]string
}

func (s *scripted) BindTools(tools []llm.ToolSpec) llm.ChatModel {
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.Name
	}
	sort.Strings(names)
	return &bound{s: s, names: names}
}

func (s *scripted) Stream(ctx context.Context, msgs []graph.Message, onChunk func(graph.Message)) (graph.Message, error) {
	return (&bound{s: s}).Stream(ctx, msgs, onChunk)
}

type bound struct {
	s     *scripted
	names []string
}

func (b *bound) Stream(ctx context.Context, _ []graph.Message, onChunk func(graph.Message)) (graph.Message, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	b.s.offered = append(b.s.offered, b.names)
	if len(b.s.replies) == 0 {
		return graph.Message{}, errors.New("scripted model: no more replies")
	}
	r := b.s.replies[0]
	b.s.replies = b.s.replies[1:]
	onChunk(graph.Message{Type: graph.ChunkType, ID: r.ID, Content: r.Text()})
	return r, ctx.Err()
}

func calling(id, tool string, args map[string]any) graph.Message {
	m := graph.AI("")
	m.ID = "ai-" + id
	m.ToolCalls = []graph.ToolCall{{Name: tool, Args: args, ID: id, Type: "tool_call"}}
	return m
}

func newPool(t *testing.T) *mcptools.Pool {
	t.Helper()
	ts := httpServer(t)
	pool, err := mcptools.NewPool(mcptools.ServersConfig{
		"web":   {URL: ts.URL},
		"local": stdioConfig(t, "local", "stdio"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

// TestReactCallsMCPTool runs a ReAct agent whose run selects the "web"
// server: the model is offered web's tools only, calls web_add, and the
// MCP result comes back as a tool message.
func TestReactCallsMCPTool(t *testing.T) {
	pool := newPool(t)
	model := &scripted{replies: []graph.Message{
		calling("c1", "web_add", map[string]any{"a": 2, "b": 3}),
		calling("c2", "web_fail", map[string]any{"text": "x"}),
		graph.AI("The sum is 5."),
	}}
	g, err := mcptools.NewReact(model, pool, nil, mcptools.ReactOptions{Name: "calc"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Invoke(context.Background(), graph.State{"messages": "2+3?"},
		graph.RunConfig{Configurable: map[string]any{"mcp_servers": []any{"web"}}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := out["messages"].([]graph.Message)
	if len(msgs) != 6 {
		t.Fatalf("messages = %+v", msgs)
	}
	if m := msgs[2]; m.Type != graph.ToolType || m.Name != "web_add" || m.ToolCallID != "c1" || m.Status != "success" || m.Text() != `{"sum":5}` {
		t.Errorf("tool message = %+v", m)
	}
	if m := msgs[4]; m.Status != "error" || !strings.Contains(m.Text(), "the disk is on fire") {
		t.Errorf("error tool message = %+v", m)
	}
	if msgs[5].Text() != "The sum is 5." || msgs[5].Name != "calc" {
		t.Errorf("final = %+v", msgs[5])
	}
	want := "web_add,web_crash,web_echo,web_fail,web_sleep"
	for i, o := range model.offered {
		if strings.Join(o, ",") != want {
			t.Errorf("turn %d offered %v, want %s", i, o, want)
		}
	}
}

// TestReactServerSelection: the default servers, a run that names none,
// static tools, a tool of an unselected server, and names that are not
// configured.
func TestReactServerSelection(t *testing.T) {
	pool := newPool(t)
	static, err := agent.NewTool("now", "The time.", func(context.Context, struct{}) (string, error) { return "noon", nil })
	if err != nil {
		t.Fatal(err)
	}
	model := &scripted{replies: []graph.Message{
		calling("c1", "web_echo", map[string]any{"text": "hi"}),
		graph.AI("done"),
	}}
	g, err := mcptools.NewReact(model, pool, []agent.Tool{static}, mcptools.ReactOptions{Servers: []string{"local"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Invoke(context.Background(), graph.State{"messages": "hi"}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	msgs := out["messages"].([]graph.Message)
	if m := msgs[2]; m.Status != "error" || !strings.Contains(m.Text(), "web_echo is not a valid tool") {
		t.Errorf("a tool of an unselected server ran: %+v", m)
	}
	if got := strings.Join(model.offered[0], ","); got != "local_add,local_crash,local_echo,local_fail,local_sleep,now" {
		t.Errorf("offered %s", got)
	}

	for _, bad := range []any{[]any{"web", "evil"}, map[string]any{"command": "rm"}, []any{map[string]any{"url": "http://x"}}, "web"} {
		model.replies = []graph.Message{graph.AI("unused")}
		_, err := g.Invoke(context.Background(), graph.State{"messages": "hi"},
			graph.RunConfig{Configurable: map[string]any{"mcp_servers": bad}})
		if err == nil || !strings.Contains(err.Error(), "mcp") {
			t.Errorf("mcp_servers = %v: err = %v, want a refusal", bad, err)
		}
		if _, ok := bad.([]any); ok && len(bad.([]any)) == 2 && !strings.Contains(err.Error(), `mcp server "evil" is not configured (configured: local, web)`) {
			t.Errorf("err = %v", err)
		}
	}
	if _, err := mcptools.NewReact(model, pool, nil, mcptools.ReactOptions{Servers: []string{"nope"}}); err == nil {
		t.Error("NewReact accepted an unknown default server")
	}
}
