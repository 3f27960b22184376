package graph_test

import (
	"context"
	"sort"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

func chain3(t *testing.T) *graph.Graph {
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("a", logNode("a")).AddNode("b", logNode("b")).AddNode("c", logNode("c")).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c")
	return mustCompile(t, b)
}

func TestTimeTravelAndFork(t *testing.T) {
	g := chain3(t)
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
	// Newest first: c, b, a, __start__, input.
	if len(hist) != 5 {
		t.Fatalf("history has %d states", len(hist))
	}
	for i := 0; i+1 < len(hist); i++ {
		if hist[i].ParentCheckpoint == nil || hist[i].ParentCheckpoint.CheckpointID != hist[i+1].Checkpoint.CheckpointID {
			t.Errorf("state %d's parent is not state %d", i, i+1)
		}
	}
	afterA := hist[2]
	if diff := cmp.Diff([]string{"b"}, afterA.Next); diff != "" {
		t.Fatalf("next after a (-want +got):\n%s", diff)
	}
	// Replay from the checkpoint after a: b and c run again on a new branch.
	replay := cfg
	replay.CheckpointID = afterA.Checkpoint.CheckpointID
	res, err := g.Stream(ctx, nil, replay, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, res.Values["log"]); diff != "" {
		t.Errorf("replayed log (-want +got):\n%s", diff)
	}
	latest, err := g.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	parent, err := g.GetState(ctx, graph.RunConfig{ThreadID: "t", Checkpointer: saver, CheckpointID: latest.ParentCheckpoint.CheckpointID})
	if err != nil {
		t.Fatal(err)
	}
	if parent.ParentCheckpoint.CheckpointID != afterA.Checkpoint.CheckpointID {
		t.Errorf("replay did not branch from the chosen checkpoint")
	}
	// Fork: update an old checkpoint, then continue from the fork.
	fork := cfg
	fork.CheckpointID = afterA.Checkpoint.CheckpointID
	fcfg, err := g.UpdateState(ctx, fork, map[string]any{"log": []any{"edited"}}, "a")
	if err != nil {
		t.Fatal(err)
	}
	fst, err := g.GetState(ctx, graph.RunConfig{ThreadID: "t", Checkpointer: saver, CheckpointID: fcfg.CheckpointID})
	if err != nil {
		t.Fatal(err)
	}
	if fst.ParentCheckpoint.CheckpointID != afterA.Checkpoint.CheckpointID || fst.Metadata.Source() != "update" {
		t.Errorf("fork parent/source = %v/%v", fst.ParentCheckpoint, fst.Metadata.Source())
	}
	out, err := g.Invoke(ctx, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "edited", "b", "c"}, out["log"]); diff != "" {
		t.Errorf("forked log (-want +got):\n%s", diff)
	}
	// "__copy__" forks without writes.
	ccfg, err := g.UpdateState(ctx, fork, nil, "__copy__")
	if err != nil {
		t.Fatal(err)
	}
	cst, err := g.GetState(ctx, graph.RunConfig{ThreadID: "t", Checkpointer: saver, CheckpointID: ccfg.CheckpointID})
	if err != nil || cst.Metadata.Source() != "fork" || cst.Next[0] != "b" {
		t.Errorf("copy = %+v, %v", cst, err)
	}
	// An unknown checkpoint id is reported.
	bad := cfg
	bad.CheckpointID = checkpoint.NewID()
	if _, err := g.GetState(ctx, bad); err == nil {
		t.Error("unknown checkpoint: no error")
	}
	if _, err := g.Invoke(ctx, nil, bad); err == nil {
		t.Error("run from unknown checkpoint: no error")
	}
}

func TestDurabilityExitWritesOnlyAtEnd(t *testing.T) {
	g := chain3(t)
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver, Durability: graph.DurabilityExit}
	out, err := g.Invoke(context.Background(), graph.State{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	list, err := saver.List(context.Background(), checkpoint.Config{ThreadID: "t"}, checkpoint.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d checkpoints saved, want 1", len(list))
	}
	st, err := g.GetState(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out["log"], st.Values["log"]); diff != "" {
		t.Errorf("saved state differs: %s", diff)
	}
	// A second run continues from it, and again adds one checkpoint.
	if _, err := g.Invoke(context.Background(), graph.State{}, cfg); err != nil {
		t.Fatal(err)
	}
	list, _ = saver.List(context.Background(), checkpoint.Config{ThreadID: "t"}, checkpoint.ListOptions{})
	if len(list) != 2 || list[0].ParentConfig == nil || list[0].ParentConfig.CheckpointID != list[1].Config.CheckpointID {
		t.Errorf("after second run: %d checkpoints, parent %+v", len(list), list[0].ParentConfig)
	}
}

func TestStatelessRunNeedsNoCheckpointer(t *testing.T) {
	g := chain3(t)
	res, err := g.Stream(context.Background(), graph.State{}, graph.RunConfig{}, nil)
	if err != nil || res.Checkpoint != nil || res.Status != "success" {
		t.Fatalf("stateless run = %+v, %v", res, err)
	}
	if _, err := g.GetState(context.Background(), graph.RunConfig{ThreadID: "t"}); err == nil {
		t.Error("GetState without checkpointer: no error")
	}
	if _, err := g.Invoke(context.Background(), nil, graph.RunConfig{}); err == nil {
		t.Error("nil input without checkpoint: no error")
	}
}

// recordingSaver is the memory saver, remembering the newVersions of Puts.
type recordingSaver struct {
	*checkpoint.Memory
	newVersions []map[string]string
}

func (r *recordingSaver) Put(ctx context.Context, cfg checkpoint.Config, cp checkpoint.Checkpoint, md checkpoint.Metadata, nv map[string]string) (checkpoint.Config, error) {
	r.newVersions = append(r.newVersions, nv)
	return r.Memory.Put(ctx, cfg, cp, md, nv)
}

func TestPutGetsOnlyNewVersions(t *testing.T) {
	g := chain3(t)
	rec := &recordingSaver{Memory: checkpoint.NewMemory()}
	if _, err := g.Invoke(context.Background(), graph.State{}, graph.RunConfig{ThreadID: "t", Checkpointer: rec}); err != nil {
		t.Fatal(err)
	}
	var keys [][]string
	for _, nv := range rec.newVersions {
		var ks []string
		for k := range nv {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		keys = append(keys, ks)
	}
	want := [][]string{
		{"__start__"},          // input
		{"branch:to:a"},        // __start__ ran (empty input: no state keys)
		{"branch:to:b", "log"}, // a
		{"branch:to:c", "log"}, // b
		{"log"},                // c
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("new versions per checkpoint (-want +got):\n%s", diff)
	}
}

func TestDurabilityExitKeepsInterrupts(t *testing.T) {
	var reviewRuns atomic.Int32
	g := approvalGraph(t, &reviewRuns)
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver, Durability: graph.DurabilityExit}
	ctx := context.Background()
	res, err := g.Stream(ctx, graph.State{}, cfg, nil)
	if err != nil || res.Status != "interrupted" {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	list, _ := saver.List(ctx, checkpoint.Config{ThreadID: "t"}, checkpoint.ListOptions{})
	if len(list) != 1 {
		t.Fatalf("%d checkpoints saved, want 1", len(list))
	}
	st, err := g.GetState(ctx, cfg)
	if err != nil || len(st.Interrupts) != 1 || st.Next[0] != "review" {
		t.Fatalf("state = %+v, %v", st, err)
	}
	out, err := g.Invoke(ctx, graph.Command{Resume: "ok"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"draft", "review:ok", "publish"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}
