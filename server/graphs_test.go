package server

import (
	"context"
	"testing"

	"github.com/agentgate/agentgate/graph"
)

// testGraphs registers the graphs the tests use: "agent", a one-node
// chatbot, and "other", two steps with a breakpoint before the second.
func testGraphs(t testing.TB) map[string]Graph {
	t.Helper()
	agent, err := graph.New().
		AddChannel("messages", graph.Messages()).
		AddChannel("note", graph.LastValue[string]()).
		AddNode("agent", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"messages": graph.AI("hello")}, nil
		}).
		AddEdge(graph.START, "agent").
		AddEdge("agent", graph.END).
		Compile(graph.WithName("agent"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := graph.New().
		AddChannel("steps", graph.Reduce(func(cur, upd []string) []string { return append(cur, upd...) })).
		AddNode("a", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"steps": []string{"a"}}, nil
		}).
		AddNode("b", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"steps": []string{"b"}}, nil
		}).
		AddEdge(graph.START, "a").
		AddEdge("a", "b").
		AddEdge("b", graph.END).
		Compile(graph.WithName("other"), graph.WithInterruptBefore("b"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Graph{"agent": agent, "other": other}
}
