package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentgate/agentgate/config"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/internal/fakeopenai"
)

type addIn struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

type addOut struct {
	Sum float64 `json:"sum"`
}

// TestBuiltinAgentUsesConfiguredMCPServers: builtin:agent offers the tools
// of the MCP servers in langgraph.json "mcp" and calls them.
func TestBuiltinAgentUsesConfiguredMCPServers(t *testing.T) {
	s := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "add", Description: "Adds two numbers."},
		func(_ context.Context, _ *mcp.CallToolRequest, in addIn) (*mcp.CallToolResult, addOut, error) {
			return nil, addOut{Sum: in.A + in.B}, nil
		})
	hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil))
	t.Cleanup(hs.Close)
	fake := fakeopenai.New(t,
		fakeopenai.Reply{ToolCalls: []fakeopenai.ToolCall{{ID: "c1", Name: "calc_add", Args: `{"a": 2, "b": 3}`}}},
		fakeopenai.Reply{Text: "5"})
	env := map[string]string{"OPENAI_BASE_URL": fake.URL(), "AGENTGATE_MODEL": "openai:gpt-fake"}
	cfg := &config.Config{MCP: config.MCP{Servers: map[string]config.MCPServer{"calc": {Name: "calc", URL: hs.URL}}}}
	g, err := builtinGraphs(func(k string) string { return env[k] }, cfg)["agent"]()
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Invoke(t.Context(), graph.State{"messages": []graph.Message{graph.Human("2+3?")}}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := graph.ToMessages(out["messages"])
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 || msgs[2].Type != graph.ToolType || msgs[2].Text() != `{"sum":5}` || msgs[3].Text() != "5" {
		t.Fatalf("messages %+v", msgs)
	}
	tools := fake.Requests()[0]["tools"].([]any)
	if len(tools) != 4 { // current_time, calculator, whoami, calc_add
		t.Fatalf("tools offered: %v", tools)
	}
}
