package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

// failer makes one node fail once when armed.
type failer struct {
	mu    sync.Mutex
	node  string
	armed bool
}

func (f *failer) check(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.armed && f.node == name {
		f.armed = false
		return errors.New("injected failure")
	}
	return nil
}

// randomDAG builds a graph of n nodes where node i has edges to a random
// set of later nodes (node 0 may also fan out with Send). Each node adds to
// "sum", appends to "log" and writes a message with a deterministic id.
func randomDAG(t *rapid.T, f *failer) (*graph.Graph, int) {
	n := rapid.IntRange(2, 6).Draw(t, "nodes")
	b := graph.New().
		AddChannel("sum", graph.Reduce(func(a, b int) int { return a + b })).
		AddChannel("log", graph.Reduce(appendStrings)).
		AddChannel("messages", graph.Messages())
	for i := range n {
		name := fmt.Sprintf("n%d", i)
		weight := rapid.IntRange(1, 9).Draw(t, "weight"+name)
		b.AddNode(name, func(ctx context.Context, s graph.State) (any, error) {
			if err := f.check(name); err != nil {
				return nil, err
			}
			info := graph.Info(ctx)
			sum, _ := s["sum"].(int)
			m := graph.AI(fmt.Sprintf("%s saw %d", name, sum))
			m.ID = fmt.Sprintf("%s-%d-%v", name, info.Step, s["item"])
			return graph.State{"sum": weight, "log": []string{name}, "messages": m}, nil
		})
		if i == 0 {
			b.AddEdge(graph.START, name)
		}
		for j := i + 1; j < n; j++ {
			if j == i+1 || rapid.Bool().Draw(t, fmt.Sprintf("edge%d-%d", i, j)) {
				b.AddEdge(name, fmt.Sprintf("n%d", j))
			}
		}
	}
	if n >= 3 && rapid.Bool().Draw(t, "join") {
		b.AddJoinEdge([]string{"n0", "n1"}, fmt.Sprintf("n%d", n-1))
	}
	if sends := rapid.IntRange(0, 3).Draw(t, "sends"); sends > 0 {
		b.AddConditionalEdges("n0", func(ctx context.Context, s graph.State) (any, error) {
			var out []graph.Send
			for k := range sends {
				out = append(out, graph.Send{Node: fmt.Sprintf("n%d", n-1), Arg: graph.State{"item": k, "sum": 100}})
			}
			return out, nil
		}, nil)
	}
	g, err := b.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return g, n
}

func normalJSON(t *rapid.T, v graph.State) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPropertyResumeFromAnyCheckpoint(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, _ := randomDAG(t, &failer{})
		ctx := context.Background()
		saver := checkpoint.NewMemory()
		cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver}
		input := graph.State{"sum": rapid.IntRange(0, 100).Draw(t, "start"), "messages": []any{map[string]any{"role": "user", "content": "go", "id": "in"}}}
		want, err := g.Invoke(ctx, input, cfg)
		if err != nil {
			t.Fatal(err)
		}
		hist, err := g.History(ctx, cfg, checkpoint.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		k := rapid.IntRange(0, len(hist)-1).Draw(t, "checkpoint")
		dst := fmt.Sprintf("copy-%d", k)
		if err := saver.CopyThread(ctx, "t", dst); err != nil {
			t.Fatal(err)
		}
		rcfg := graph.RunConfig{ThreadID: dst, Checkpointer: saver, CheckpointID: hist[k].Checkpoint.CheckpointID}
		got, err := g.Invoke(ctx, nil, rcfg)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(normalJSON(t, want), normalJSON(t, got)); diff != "" {
			t.Fatalf("resuming from checkpoint %d (%s, step %d) differs (-want +got):\n%s", k, hist[k].Metadata.Source(), hist[k].Metadata.Step(), diff)
		}
	})
}

func TestPropertyResumeAfterFailure(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := &failer{}
		g, n := randomDAG(t, f)
		ctx := context.Background()
		saver := checkpoint.NewMemory()
		input := graph.State{"sum": 1}
		want, err := g.Invoke(ctx, input, graph.RunConfig{ThreadID: "clean", Checkpointer: saver})
		if err != nil {
			t.Fatal(err)
		}
		f.node = fmt.Sprintf("n%d", rapid.IntRange(0, n-1).Draw(t, "fail"))
		f.armed = true
		cfg := graph.RunConfig{ThreadID: "failing", Checkpointer: saver}
		if _, err := g.Invoke(ctx, input, cfg); err == nil {
			t.Fatal("injected failure did not fail the run")
		}
		got, err := g.Invoke(ctx, nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(normalJSON(t, want), normalJSON(t, got)); diff != "" {
			t.Fatalf("resumed run differs (-want +got):\n%s", diff)
		}
	})
}
