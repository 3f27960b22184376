package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
)

// TestProgramGraphFactory: a factory in Program.Graphs (typed or a plain
// func of its signature) becomes a graph built per run.
func TestProgramGraphFactory(t *testing.T) {
	build := func(ctx context.Context, cfg graph.RunConfig) (*graph.Graph, error) {
		node, _ := cfg.Configurable["node"].(string)
		if node == "" {
			node = "default"
		}
		return graph.New().AddChannel("x", graph.LastValue[string]()).
			AddNode(node, func(context.Context, graph.State) (any, error) { return nil, nil }).
			AddEdge(graph.START, node).Compile()
	}
	for _, v := range []any{build, graph.Factory(build)} {
		g, err := programGraph("dyn", v)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		run, err := g.For(context.Background(), graph.RunConfig{Configurable: map[string]any{"node": "mine"}})
		if err != nil || g.Nodes()[0] != "default" || run.Nodes()[0] != "mine" {
			t.Errorf("%T: nodes %v and %v, %v", v, g.Nodes(), run.Nodes(), err)
		}
	}
	failing := func(context.Context, graph.RunConfig) (*graph.Graph, error) { return nil, errors.New("no model") }
	if _, err := programGraph("dyn", failing); err == nil || !strings.Contains(err.Error(), `Program.Graphs["dyn"]: no model`) {
		t.Errorf("failing factory: %v", err)
	}
}
