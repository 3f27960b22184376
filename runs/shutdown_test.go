package runs

import (
	"context"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

// stubbornGraph's node ignores cancellation: it reports on entered and
// returns only when release is closed.
func stubbornGraph(t *testing.T, entered chan<- struct{}, release <-chan struct{}) *graph.Graph {
	t.Helper()
	g, err := graph.New().
		AddChannel("x", graph.LastValue[string]()).
		AddNode("stubborn", func(ctx context.Context, s graph.State) (any, error) {
			entered <- struct{}{}
			<-release
			return graph.State{"x": "done"}, nil
		}).
		AddEdge(graph.START, "stubborn").AddEdge("stubborn", graph.END).Compile()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestShutdownAbandonsStubbornRuns: Shutdown returns when its context
// ends even though a node ignores cancellation, names the run it abandoned
// and requeues it; Stop afterwards does not wait again.
func TestShutdownAbandonsStubbornRuns(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	store := memory.New()
	bk := broker.NewMemory(broker.MemoryOptions{})
	defer bk.Close()
	s, err := New(Options{Store: store, Broker: bk, Workers: 1,
		Graphs: map[string]*graph.Graph{"stubborn": stubbornGraph(t, entered, release)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: store, bk: bk, sched: s}
	th := e.thread()
	r := e.create(t.Context(), th, "stubborn", Kwargs{Input: map[string]any{}}, "")
	<-entered
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	got := s.Shutdown(ctx)
	if took := time.Since(t0); took > time.Second {
		t.Errorf("Shutdown took %v with a 200ms context", took)
	}
	if len(got) != 1 || got[0] != r.RunID {
		t.Errorf("abandoned %v, want [%s]", got, r.RunID)
	}
	if st := e.run(th, r.RunID).Status; st != storage.RunPending {
		t.Errorf("abandoned run is %s, want pending", st)
	}
	done := make(chan struct{})
	go func() { s.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Stop after an abandoning Shutdown waits for the stubborn node")
	}
}
