package graph_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

// checkpointIDs lists the checkpoint ids of a run's debug checkpoint events.
func checkpointIDs(t *testing.T, evs []graph.Event) []string {
	t.Helper()
	var ids []string
	for _, e := range evs {
		d := jsonOf(t, e.Data).(map[string]any)
		if e.Mode == graph.ModeDebug && d["type"] == "checkpoint" {
			ids = append(ids, d["payload"].(map[string]any)["checkpoint"].(map[string]any)["checkpoint_id"].(string))
		}
	}
	return ids
}

// TestResumedRunStreamsItsCheckpointFirst: as in LangGraph, a run that
// continues from a checkpoint streams that checkpoint before the new ones,
// so the two runs' checkpoint events, less the repeat, are the history.
func TestResumedRunStreamsItsCheckpointFirst(t *testing.T) {
	g := mustCompile(t, graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("a", logNode("a")).AddNode("b", logNode("b")).
		AddEdge(graph.START, "a").AddEdge("a", "b"), graph.WithInterruptBefore("b"))
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory(), StreamModes: []graph.StreamMode{graph.ModeDebug}}
	evs, res := collect(t, g, map[string]any{"log": []string{"in"}}, cfg)
	if res.Status != "interrupted" {
		t.Fatalf("first run %s", res.Status)
	}
	first := checkpointIDs(t, evs)
	evs, res = collect(t, g, nil, cfg)
	if res.Status != "success" {
		t.Fatalf("resumed run %s", res.Status)
	}
	resumed := checkpointIDs(t, evs)
	if len(resumed) < 2 || len(first) == 0 || resumed[0] != first[len(first)-1] {
		t.Fatalf("resumed run's checkpoints %v do not start with the interrupted one (%v)", resumed, first)
	}
	hist, err := g.History(context.Background(), cfg, checkpoint.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := len(hist) - 1; i >= 0; i-- {
		want = append(want, hist[i].Checkpoint.CheckpointID)
	}
	if diff := cmp.Diff(want, append(first, resumed[1:]...)); diff != "" {
		t.Errorf("streamed checkpoints vs history (-want +got):\n%s", diff)
	}
}
