package graph_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

// TestConcurrentRuns runs one compiled graph on many threads at once, with
// parallel nodes that stream, against one saver. Run it with -race.
func TestConcurrentRuns(t *testing.T) {
	b := graph.New().AddChannel("messages", graph.Messages()).AddChannel("n", graph.Reduce(func(a, b int) int { return a + b }))
	for _, name := range []string{"p", "q", "r"} {
		b.AddNode(name, func(ctx context.Context, s graph.State) (any, error) {
			graph.WriteCustom(ctx, name)
			graph.StreamChunk(ctx, graph.Message{Content: name, ID: name})
			m := graph.AI(name)
			m.ID = fmt.Sprintf("%s-%s", name, graph.Info(ctx).ThreadID)
			return graph.State{"messages": m, "n": 1}, nil
		}).AddEdge(graph.START, name).AddEdge(name, "join")
	}
	b.AddNode("join", func(ctx context.Context, s graph.State) (any, error) { return graph.State{"n": 10}, nil })
	g := mustCompile(t, b)
	saver := checkpoint.NewMemory()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := graph.RunConfig{ThreadID: fmt.Sprintf("t%d", i), Checkpointer: saver,
				StreamModes: []graph.StreamMode{graph.ModeValues, graph.ModeUpdates, graph.ModeMessages, graph.ModeCustom, graph.ModeDebug}}
			events := 0
			res, err := g.Stream(context.Background(), graph.State{"messages": "go"}, cfg, func(graph.Event) error { events++; return nil })
			if err != nil {
				errs <- err
				return
			}
			if res.Values["n"] != 13 || len(res.Values["messages"].([]graph.Message)) != 4 || events == 0 {
				errs <- fmt.Errorf("thread %d: %v after %d events", i, res.Values, events)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestParallelRoutersWithAppendingReducer: two parallel tasks route on the
// state with their own writes applied; a reducer using a bare append must
// not make them write into one shared array (caught by -race).
func TestParallelRoutersWithAppendingReducer(t *testing.T) {
	b := graph.New().AddChannel("log", graph.Reduce(func(a, b []string) []string { return append(a, b...) }))
	for _, n := range []string{"a", "b", "p", "q"} {
		b.AddNode(n, logNode(n))
	}
	var mu sync.Mutex
	routed := map[string][]string{}
	route := func(name string) graph.RouterFunc {
		return func(ctx context.Context, s graph.State) (any, error) {
			mu.Lock()
			routed[name] = s["log"].([]string)
			mu.Unlock()
			return graph.END, nil
		}
	}
	b.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "p").AddEdge("b", "q").
		AddConditionalEdges("p", route("p"), nil).AddConditionalEdges("q", route("q"), nil)
	g := mustCompile(t, b)
	for range 20 {
		if _, err := g.Invoke(context.Background(), graph.State{"log": []string{"in"}}, graph.RunConfig{}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		p, q := routed["p"], routed["q"]
		mu.Unlock()
		if fmt.Sprint(p) != "[in a b p]" || fmt.Sprint(q) != "[in a b q]" {
			t.Fatalf("routers saw p=%v q=%v", p, q)
		}
	}
}
