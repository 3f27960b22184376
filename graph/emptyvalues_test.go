package graph_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

// Channels nobody wrote show their empty value as in LangGraph, where a
// reducer channel starts from its type's empty value: messages are [] in
// the input checkpoint (history's oldest state), a last-value channel is
// left out.
func TestStateShowsEmptyChannelValues(t *testing.T) {
	g := mustCompile(t, graph.New().
		AddChannel("messages", graph.Messages()).
		AddChannel("log", graph.Reduce(appendStrings)).
		AddChannel("count", graph.Reduce(func(a, b int) int { return a + b })).
		AddChannel("note", graph.LastValue[string]()).
		AddNode("a", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"note": "done"}, nil
		}).
		AddEdge(graph.START, "a"))
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver}
	ctx := context.Background()
	if _, err := g.Invoke(ctx, graph.State{}, cfg); err != nil {
		t.Fatal(err)
	}
	hist, err := g.History(ctx, cfg, checkpoint.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	oldest := hist[len(hist)-1]
	if oldest.Metadata.Step() != -1 {
		t.Fatalf("oldest state is step %d", oldest.Metadata.Step())
	}
	if got, want := js(oldest.Values), `{"count":0,"log":[],"messages":[]}`; got != want {
		t.Errorf("input checkpoint values = %s, want %s", got, want)
	}
	if got, want := js(hist[0].Values), `{"count":0,"log":[],"messages":[],"note":"done"}`; got != want {
		t.Errorf("latest values = %s, want %s", got, want)
	}
}
