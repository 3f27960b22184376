package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
)

func noop(context.Context, graph.State) (any, error) { return nil, nil }

func TestCompileErrors(t *testing.T) {
	route := func(context.Context, graph.State) (any, error) { return "a", nil }
	tests := []struct {
		name  string
		build func() *graph.Builder
		want  string
	}{
		{"unknown edge target", func() *graph.Builder {
			return graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddEdge(graph.START, "a").AddEdge("a", "b")
		}, `unknown node "b"`},
		{"unknown edge source", func() *graph.Builder {
			return graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddEdge(graph.START, "a").AddEdge("zz", "a")
		}, `unknown node "zz"`},
		{"duplicate node", func() *graph.Builder {
			return graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddNode("a", noop).AddEdge(graph.START, "a")
		}, `node "a" is added twice`},
		{"duplicate channel", func() *graph.Builder {
			return graph.New().AddChannel("x", graph.LastValue[int]()).AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddEdge(graph.START, "a")
		}, `channel "x" is declared twice`},
		{"node named like a key", func() *graph.Builder {
			return graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("x", noop).AddEdge(graph.START, "x")
		}, `name of a state key`},
		{"reserved name", func() *graph.Builder {
			return graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("__end__", noop)
		}, `reserved`},
		{"no entry point", func() *graph.Builder {
			return graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop)
		}, `no entry point`},
		{"no path to END", func() *graph.Builder {
			return graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddNode("b", noop).
				AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "a")
		}, `no path from START reaches END`},
		{"path map to unknown node", func() *graph.Builder {
			return graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddEdge(graph.START, "a").
				AddConditionalEdges("a", route, map[string]string{"go": "nowhere"})
		}, `unknown node "nowhere"`},
		{"edge into START", func() *graph.Builder {
			return graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddEdge(graph.START, "a").AddEdge("a", graph.START)
		}, `START cannot be the end`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.build().Compile()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Compile error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if _, err := graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddEdge(graph.START, "a").Compile(graph.WithInterruptBefore("b")); err == nil {
		t.Error("interrupt list with unknown node compiled")
	}
}

func TestCompileAcceptsLoopsWithExit(t *testing.T) {
	route := func(context.Context, graph.State) (any, error) { return graph.END, nil }
	_, err := graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddNode("b", noop).
		AddEdge(graph.START, "a").AddEdge("a", "b").
		AddConditionalEdges("b", route, map[string]string{"a": "a", graph.END: graph.END}).Compile()
	if err != nil {
		t.Fatal(err)
	}
}

func TestCompiledGraphIsIndependentOfBuilder(t *testing.T) {
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).AddNode("a", logNode("a")).AddEdge(graph.START, "a")
	g := mustCompile(t, b)
	b.AddNode("b", logNode("b")).AddEdge("a", "b")
	out, err := g.Invoke(context.Background(), graph.State{}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if got := out["log"].([]string); len(got) != 1 || got[0] != "a" {
		t.Errorf("log = %v; the builder change leaked into the compiled graph", got)
	}
}
