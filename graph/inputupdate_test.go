package graph_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

// An update as "__input__" (LangGraph's bulk update / thread import) writes
// the values as the graph's input: a checkpoint with source "input" after
// which START runs, as after a run's input step.
func TestUpdateStateAsInput(t *testing.T) {
	g := chain3(t)
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver}
	ctx := context.Background()
	out, err := g.UpdateState(ctx, cfg, map[string]any{"log": []any{"imported"}}, "__input__")
	if err != nil {
		t.Fatal(err)
	}
	st, err := g.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.CheckpointID != out.CheckpointID || st.Metadata["source"] != "input" || st.Metadata.Step() != -1 {
		t.Errorf("input update: checkpoint %s metadata %v", st.CheckpointID, st.Metadata)
	}
	if diff := cmp.Diff([]string{graph.START}, st.Next); diff != "" {
		t.Errorf("next after an input update (-want +got):\n%s", diff)
	}
	// As START: the values reach the channels and a is next.
	cfg.CheckpointID = out.CheckpointID
	if _, err := g.UpdateState(ctx, cfg, map[string]any{"log": []any{"imported"}}, graph.START); err != nil {
		t.Fatal(err)
	}
	cfg.CheckpointID = ""
	st, err = g.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a"}, st.Next); diff != "" {
		t.Errorf("next after the START update (-want +got):\n%s", diff)
	}
	if st.Metadata.Step() != 0 || st.Metadata["source"] != "update" {
		t.Errorf("START update metadata %v", st.Metadata)
	}
	// Running on continues from there.
	res, err := g.Stream(ctx, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"imported", "a", "b", "c"}, res.Values["log"]); diff != "" {
		t.Errorf("log after the run (-want +got):\n%s", diff)
	}
	// A second input update on a thread with history is the next step.
	if _, err := g.UpdateState(ctx, cfg, map[string]any{}, "__input__"); err != nil {
		t.Fatal(err)
	}
	st2, _ := g.GetState(ctx, cfg)
	if st2.Metadata.Step() != st.Metadata.Step()+4 || st2.Metadata["source"] != "input" {
		t.Errorf("second input update metadata %v after step %d", st2.Metadata, st.Metadata.Step())
	}
	var iu *graph.InvalidUpdateError
	if _, err := g.UpdateState(ctx, cfg, nil, "__input__"); !errors.As(err, &iu) {
		t.Errorf("input update without values: %v", err)
	}
}
