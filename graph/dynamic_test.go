package graph_test

import (
	"context"
	"errors"
	"testing"

	"github.com/agentgate/agentgate/graph"
)

// named builds a one-node graph whose node is named by configurable "node".
func named(ctx context.Context, cfg graph.RunConfig) (*graph.Graph, error) {
	name, _ := cfg.Configurable["node"].(string)
	if name == "" {
		name = "default"
	}
	if name == "bad" {
		return nil, errors.New("no such node")
	}
	return graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode(name, logNode(name)).AddEdge(graph.START, name).Compile()
}

func TestDynamicGraph(t *testing.T) {
	ctx := context.Background()
	g, err := graph.Dynamic(ctx, named)
	if err != nil {
		t.Fatal(err)
	}
	// The graph stands for itself as the empty config builds it.
	if n := g.Nodes(); len(n) != 1 || n[0] != "default" {
		t.Errorf("nodes %v", n)
	}
	cfg := graph.RunConfig{Configurable: map[string]any{"node": "mine"}}
	run, err := g.For(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := run.Invoke(ctx, graph.State{}, cfg)
	if err != nil || len(out["log"].([]string)) != 1 || out["log"].([]string)[0] != "mine" {
		t.Errorf("run with node=mine: %v, %v", out, err)
	}
	if _, err := g.For(ctx, graph.RunConfig{Configurable: map[string]any{"node": "bad"}}); err == nil {
		t.Error("a factory error was not returned")
	}
	// A fixed graph is its own graph for any config.
	if again, _ := run.For(ctx, graph.RunConfig{Configurable: map[string]any{"node": "other"}}); again != run {
		t.Error("For on a fixed graph built another graph")
	}
	if _, err := graph.Dynamic(ctx, func(context.Context, graph.RunConfig) (*graph.Graph, error) { return nil, nil }); err == nil {
		t.Error("a nil graph was accepted")
	}
}
