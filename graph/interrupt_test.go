package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

// approval: "draft" writes, "review" asks a human, "publish" runs after.
func approvalGraph(t *testing.T, reviewRuns *atomic.Int32) *graph.Graph {
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("draft", logNode("draft")).
		AddNode("review", func(ctx context.Context, s graph.State) (any, error) {
			reviewRuns.Add(1)
			answer, err := graph.Interrupt(ctx, map[string]any{"question": "ok?"})
			if err != nil {
				return nil, err
			}
			return graph.State{"log": []string{"review:" + answer.(string)}}, nil
		}).
		AddNode("publish", logNode("publish")).
		AddEdge(graph.START, "draft").AddEdge("draft", "review").AddEdge("review", "publish")
	return mustCompile(t, b)
}

func TestInterruptAndResume(t *testing.T) {
	var reviewRuns atomic.Int32
	g := approvalGraph(t, &reviewRuns)
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver, StreamModes: []graph.StreamMode{graph.ModeUpdates}}
	ctx := context.Background()
	var events []graph.Event
	res, err := g.Stream(ctx, graph.State{}, cfg, func(e graph.Event) error { events = append(events, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "interrupted" || len(res.Interrupts) != 1 {
		t.Fatalf("result = %+v", res)
	}
	last := jsonOf(t, events[len(events)-1].Data).(map[string]any)
	ints, ok := last["__interrupt__"].([]any)
	if !ok || len(ints) != 1 || ints[0].(map[string]any)["value"].(map[string]any)["question"] != "ok?" || ints[0].(map[string]any)["id"] == "" {
		t.Fatalf("last update = %v", last)
	}
	st, err := g.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"review"}, st.Next); diff != "" {
		t.Errorf("next (-want +got):\n%s", diff)
	}
	if len(st.Tasks) != 1 || len(st.Tasks[0].Interrupts) != 1 || st.Tasks[0].Interrupts[0].ID != res.Interrupts[0].ID {
		t.Errorf("tasks = %+v", st.Tasks)
	}
	if len(st.Interrupts) != 1 {
		t.Errorf("state interrupts = %v", st.Interrupts)
	}
	out, err := g.Invoke(ctx, graph.Command{Resume: "yes"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"draft", "review:yes", "publish"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if reviewRuns.Load() != 2 {
		t.Errorf("review ran %d times, want 2", reviewRuns.Load())
	}
}

func TestResumeByInterruptID(t *testing.T) {
	ask := func(q string) graph.NodeFunc {
		return func(ctx context.Context, s graph.State) (any, error) {
			a, err := graph.Interrupt(ctx, q)
			if err != nil {
				return nil, err
			}
			return graph.State{"log": []string{q + "=" + a.(string)}}, nil
		}
	}
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("p", ask("p")).AddNode("q", ask("q")).
		AddEdge(graph.START, "p").AddEdge(graph.START, "q")
	g := mustCompile(t, b)
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory()}
	ctx := context.Background()
	res, err := g.Stream(ctx, graph.State{}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Interrupts) != 2 {
		t.Fatalf("interrupts = %v", res.Interrupts)
	}
	if _, err := g.Invoke(ctx, graph.Command{Resume: "x"}, cfg); err == nil || !strings.Contains(err.Error(), "interrupt id") {
		t.Fatalf("single resume value with two interrupts: err = %v", err)
	}
	byID := map[string]any{}
	for _, it := range res.Interrupts {
		byID[it.ID] = "ans-" + it.Value.(string)
	}
	out, err := g.Invoke(ctx, graph.Command{Resume: byID}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"p=ans-p", "q=ans-q"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestSeveralInterruptsInOneNode(t *testing.T) {
	var runs atomic.Int32
	b := graph.New().AddChannel("answers", graph.LastValue[[]string]()).
		AddNode("form", func(ctx context.Context, s graph.State) (any, error) {
			runs.Add(1)
			var got []string
			for _, q := range []string{"name", "age"} {
				a, err := graph.Interrupt(ctx, q)
				if err != nil {
					return nil, err
				}
				got = append(got, a.(string))
			}
			return graph.State{"answers": got}, nil
		}).AddEdge(graph.START, "form")
	g := mustCompile(t, b)
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory()}
	ctx := context.Background()
	res, _ := g.Stream(ctx, graph.State{}, cfg, nil)
	if res.Status != "interrupted" || res.Interrupts[0].Value != "name" {
		t.Fatalf("first = %+v", res)
	}
	res, _ = g.Stream(ctx, graph.Command{Resume: "ann"}, cfg, nil)
	if res.Status != "interrupted" || res.Interrupts[0].Value != "age" {
		t.Fatalf("second = %+v", res)
	}
	res, err := g.Stream(ctx, graph.Command{Resume: "33"}, cfg, nil)
	if err != nil || res.Status != "success" {
		t.Fatalf("third = %+v, %v", res, err)
	}
	if diff := cmp.Diff([]string{"ann", "33"}, res.Values["answers"]); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if runs.Load() != 3 {
		t.Errorf("node ran %d times, want 3", runs.Load())
	}
}

func TestStaticInterrupts(t *testing.T) {
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("a", logNode("a")).AddNode("b", logNode("b")).AddNode("c", logNode("c")).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c")
	g := mustCompile(t, b, graph.WithInterruptBefore("b"), graph.WithInterruptAfter("c"))
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory()}
	ctx := context.Background()
	res, err := g.Stream(ctx, graph.State{}, cfg, nil)
	if err != nil || res.Status != "interrupted" {
		t.Fatalf("first run = %+v, %v", res, err)
	}
	if diff := cmp.Diff([]string{"b"}, res.Next); diff != "" {
		t.Errorf("next after interrupt before b (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a"}, res.Values["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	res, err = g.Stream(ctx, nil, cfg, nil)
	if err != nil || res.Status != "interrupted" || len(res.Next) != 0 {
		t.Fatalf("second run = %+v, %v (want interrupted after c)", res, err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, res.Values["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	// Per-run lists replace the compiled ones.
	cfg2 := graph.RunConfig{ThreadID: "t2", Checkpointer: checkpoint.NewMemory(), InterruptBefore: []string{}, InterruptAfter: []string{"a"}}
	res, err = g.Stream(ctx, graph.State{}, cfg2, nil)
	if err != nil || res.Status != "interrupted" || res.Next[0] != "b" {
		t.Fatalf("run with interrupt_after a = %+v, %v", res, err)
	}
}

func TestUpdateStateAsNode(t *testing.T) {
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("a", logNode("a")).AddNode("b", logNode("b")).AddNode("c", logNode("c")).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c")
	g := mustCompile(t, b, graph.WithInterruptBefore("b"))
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver}
	ctx := context.Background()
	if _, err := g.Invoke(ctx, graph.State{}, cfg); err != nil {
		t.Fatal(err)
	}
	// Skip b: update as b, so c runs next.
	upd, err := g.UpdateState(ctx, cfg, map[string]any{"log": []any{"human"}}, "b")
	if err != nil {
		t.Fatal(err)
	}
	st, err := g.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Checkpoint.CheckpointID != upd.CheckpointID || st.Metadata.Source() != "update" {
		t.Errorf("state after update: checkpoint %v, metadata %v", st.Checkpoint, st.Metadata)
	}
	if diff := cmp.Diff([]string{"c"}, st.Next); diff != "" {
		t.Errorf("next (-want +got):\n%s", diff)
	}
	out, err := g.Invoke(ctx, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "human", "c"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	// Unknown node.
	if _, err := g.UpdateState(ctx, cfg, map[string]any{}, "zz"); err == nil {
		t.Error("update as unknown node: no error")
	}
	// asNode "" on a fresh thread writes like the input.
	cfg3 := graph.RunConfig{ThreadID: "fresh", Checkpointer: saver}
	if _, err := g.UpdateState(ctx, cfg3, map[string]any{"log": []any{"seed"}}, ""); err != nil {
		t.Fatal(err)
	}
	st, err = g.GetState(ctx, cfg3)
	if err != nil || st.Next[0] != "a" {
		t.Fatalf("fresh update: %+v, %v", st, err)
	}
}

func TestNewInputDiscardsPendingInterrupt(t *testing.T) {
	var reviewRuns atomic.Int32
	g := approvalGraph(t, &reviewRuns)
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory()}
	ctx := context.Background()
	if res, _ := g.Stream(ctx, graph.State{}, cfg, nil); res.Status != "interrupted" {
		t.Fatal("not interrupted")
	}
	res, err := g.Stream(ctx, graph.State{"log": []any{"again"}}, cfg, nil)
	if err != nil || res.Status != "interrupted" {
		t.Fatalf("new input: %+v, %v", res, err)
	}
	// draft ran again from START; the old review was not resumed.
	if diff := cmp.Diff([]string{"draft", "again", "draft"}, res.Values["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestInterruptStreamsInValuesModeWithPreview(t *testing.T) {
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("p", logNode("p")).
		AddNode("ask", func(ctx context.Context, s graph.State) (any, error) {
			_, err := graph.Interrupt(ctx, "?")
			return nil, err
		}).
		AddEdge(graph.START, "p").AddEdge(graph.START, "ask")
	g := mustCompile(t, b)
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory(), StreamModes: []graph.StreamMode{graph.ModeValues}}
	evs, res := collect(t, g, graph.State{"log": []any{"in"}}, cfg)
	if res.Status != "interrupted" {
		t.Fatalf("status %s", res.Status)
	}
	var got []any
	for _, e := range evs {
		got = append(got, jsonOf(t, e.Data))
	}
	if len(got) != 3 {
		t.Fatalf("events = %v", got)
	}
	if diff := cmp.Diff(map[string]any{"log": []any{"in"}}, got[0]); diff != "" {
		t.Errorf("first values (-want +got):\n%s", diff)
	}
	if ints, ok := got[1].(map[string]any)["__interrupt__"].([]any); !ok || len(ints) != 1 {
		t.Errorf("interrupt event = %v", got[1])
	}
	if diff := cmp.Diff(map[string]any{"log": []any{"in", "p"}}, got[2]); diff != "" {
		t.Errorf("preview values (-want +got):\n%s", diff)
	}
	// p's write is pending, not applied: the saved state is still the input.
	st, err := g.GetState(context.Background(), graph.RunConfig{ThreadID: "t", Checkpointer: cfg.Checkpointer})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"in"}, st.Values["log"]); diff != "" {
		t.Errorf("saved log (-want +got):\n%s", diff)
	}
	var pResult any
	for _, task := range st.Tasks {
		if task.Name == "p" {
			pResult = jsonOf(t, task.Result)
		}
	}
	if diff := cmp.Diff(map[string]any{"log": []any{"p"}}, pResult); diff != "" {
		t.Errorf("p's task result (-want +got):\n%s", diff)
	}
}

func TestResumeOneOfTwoInterruptsThenTheOther(t *testing.T) {
	ask := func(q string) graph.NodeFunc {
		return func(ctx context.Context, s graph.State) (any, error) {
			a, err := graph.Interrupt(ctx, q)
			if err != nil {
				return nil, err
			}
			return graph.State{"log": []string{q + "=" + fmt.Sprint(a)}}, nil
		}
	}
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("p", ask("p")).AddNode("q", ask("q")).
		AddEdge(graph.START, "p").AddEdge(graph.START, "q")
	g := mustCompile(t, b)
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory()}
	ctx := context.Background()
	res, _ := g.Stream(ctx, graph.State{}, cfg, nil)
	var pID string
	for _, it := range res.Interrupts {
		if it.Value == "p" {
			pID = it.ID
		}
	}
	res, err := g.Stream(ctx, graph.Command{Resume: map[string]any{pID: "1"}}, cfg, nil)
	if err != nil || res.Status != "interrupted" || len(res.Interrupts) != 1 || res.Interrupts[0].Value != "q" {
		t.Fatalf("after answering p: %+v, %v", res, err)
	}
	// Only q is pending now, so a plain value answers it.
	res, err = g.Stream(ctx, graph.Command{Resume: "2"}, cfg, nil)
	if err != nil || res.Status != "success" {
		t.Fatalf("after answering q: %+v, %v", res, err)
	}
	if diff := cmp.Diff([]string{"p=1", "q=2"}, res.Values["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	// A map that is not keyed by interrupt ids is a value.
	b2 := graph.New().AddChannel("log", graph.Reduce(appendStrings)).AddNode("p", ask("p")).AddEdge(graph.START, "p")
	g2 := mustCompile(t, b2)
	cfg2 := graph.RunConfig{ThreadID: "t2", Checkpointer: checkpoint.NewMemory()}
	g2.Stream(ctx, graph.State{}, cfg2, nil)
	res, err = g2.Stream(ctx, graph.Command{Resume: map[string]any{"approved": true}}, cfg2, nil)
	if err != nil || res.Status != "success" || res.Values["log"].([]string)[0] != "p=map[approved:true]" {
		t.Fatalf("map answer: %+v, %v", res, err)
	}
}

func TestInterruptInSentTask(t *testing.T) {
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("worker", func(ctx context.Context, s graph.State) (any, error) {
			a, err := graph.Interrupt(ctx, s["item"])
			if err != nil {
				return nil, err
			}
			return graph.State{"log": []string{fmt.Sprint(s["item"], "=", a)}}, nil
		}).
		AddConditionalEdges(graph.START, func(context.Context, graph.State) (any, error) {
			return []graph.Send{{Node: "worker", Arg: graph.State{"item": "x"}}, {Node: "worker", Arg: graph.State{"item": "y"}}}, nil
		}, nil)
	g := mustCompile(t, b)
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory()}
	ctx := context.Background()
	res, err := g.Stream(ctx, graph.State{}, cfg, nil)
	if err != nil || len(res.Interrupts) != 2 || res.Interrupts[0].ID == res.Interrupts[1].ID {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	answers := map[string]any{}
	for _, it := range res.Interrupts {
		answers[it.ID] = "ok-" + it.Value.(string)
	}
	out, err := g.Invoke(ctx, graph.Command{Resume: answers}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"x=ok-x", "y=ok-y"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}
