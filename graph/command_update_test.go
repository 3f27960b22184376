package graph_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

// TestCommandUpdateOnFinishedThreadIsSaved: a Command with only an update
// on a thread whose graph has finished runs no node, but its update is part
// of the thread's state afterwards (a new checkpoint), not only of the
// run's result.
func TestCommandUpdateOnFinishedThreadIsSaved(t *testing.T) {
	g := chain3(t)
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver}
	ctx := context.Background()
	if _, err := g.Invoke(ctx, graph.State{}, cfg); err != nil {
		t.Fatal(err)
	}
	before, err := g.History(ctx, cfg, checkpoint.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.Invoke(ctx, graph.Command{Update: map[string]any{"log": []string{"cmd"}}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "b", "c", "cmd"}
	if diff := cmp.Diff(want, res["log"]); diff != "" {
		t.Fatalf("result (-want +got):\n%s", diff)
	}
	st, err := g.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, st.Values["log"]); diff != "" {
		t.Fatalf("saved state (-want +got):\n%s", diff)
	}
	after, err := g.History(ctx, cfg, checkpoint.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+1 || after[0].ParentCheckpoint == nil ||
		after[0].ParentCheckpoint.CheckpointID != before[0].Checkpoint.CheckpointID {
		t.Fatalf("history %d -> %d states; want one new checkpoint on top", len(before), len(after))
	}
}
