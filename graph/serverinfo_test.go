package graph_test

import (
	"context"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/google/go-cmp/cmp"
)

// serverInfoGraph records what ServerInfoFrom returns inside its node.
func serverInfoGraph(t *testing.T, got *graph.ServerInfo, ok *bool) *graph.Graph {
	t.Helper()
	g, err := graph.New().
		AddChannel("x", graph.LastValue[int]()).
		AddNode("n", func(ctx context.Context, _ graph.State) (any, error) {
			*got, *ok = graph.ServerInfoFrom(ctx)
			return nil, nil
		}).
		AddEdge(graph.START, "n").AddEdge("n", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestServerInfoFrom(t *testing.T) {
	conf := map[string]any{
		"assistant_id": "a1", "graph_id": "chat", "thread_id": "t1", "run_id": "r1",
		"langgraph_auth_user_id": "alice",
		"langgraph_auth_user": map[string]any{"identity": "alice", "display_name": "Alice A.",
			"is_authenticated": true, "permissions": []any{"ignored"}, "org": "acme"},
		"langgraph_auth_permissions": []any{"read", "write"},
	}
	var got graph.ServerInfo
	var ok bool
	g := serverInfoGraph(t, &got, &ok)
	if _, err := g.Invoke(context.Background(), graph.State{"x": 1}, graph.RunConfig{Configurable: conf}); err != nil {
		t.Fatal(err)
	}
	want := graph.ServerInfo{AssistantID: "a1", GraphID: "chat", ThreadID: "t1", RunID: "r1",
		User: &graph.Caller{Identity: "alice", DisplayName: "Alice A.", Permissions: []string{"read", "write"},
			IsAuthenticated: true, Extra: map[string]any{"org": "acme"}}}
	if !ok {
		t.Fatal("ServerInfoFrom reported false")
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ServerInfo (-want +got):\n%s", d)
	}

	// Without a caller: User is nil. Without server keys: false.
	if _, err := g.Invoke(context.Background(), graph.State{"x": 1}, graph.RunConfig{
		Configurable: map[string]any{"graph_id": "chat", "assistant_id": "a1"}}); err != nil {
		t.Fatal(err)
	}
	if !ok || got.User != nil || got.GraphID != "chat" {
		t.Errorf("no caller: %+v %v", got, ok)
	}
	if _, err := g.Invoke(context.Background(), graph.State{"x": 1}, graph.RunConfig{}); err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Errorf("plain run: ServerInfoFrom reported true: %+v", got)
	}
	if _, ok := graph.ServerInfoFrom(context.Background()); ok {
		t.Error("outside a node: ServerInfoFrom reported true")
	}
}
