package graph_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

func benchGraph(b *testing.B) *graph.Graph {
	inc := func(ctx context.Context, s graph.State) (any, error) {
		return graph.State{"n": s["n"].(int) + 1}, nil
	}
	g, err := graph.New().AddChannel("n", graph.LastValue[int]()).
		AddNode("a", inc).AddNode("b", inc).AddNode("c", inc).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").Compile()
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// Each run is 4 supersteps: __start__, a, b, c.
const benchSteps = 4

func BenchmarkThreeNodeGraph(b *testing.B) {
	g := benchGraph(b)
	ctx := context.Background()
	in := graph.State{"n": 0}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Invoke(ctx, in, graph.RunConfig{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSteps), "ns/superstep")
}

func BenchmarkThreeNodeGraphCheckpointed(b *testing.B) {
	g := benchGraph(b)
	ctx := context.Background()
	in := graph.State{"n": 0}
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{Checkpointer: saver, StreamModes: []graph.StreamMode{graph.ModeValues, graph.ModeUpdates}}
	emit := func(graph.Event) error { return nil }
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		cfg.ThreadID = strconv.Itoa(i) // a fresh thread per run
		if _, err := g.Stream(ctx, in, cfg, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSteps), "ns/superstep")
}
