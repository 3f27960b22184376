package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type env struct {
	t     *testing.T
	store storage.Store
	bk    broker.Broker
	sched *Scheduler
}

// blockingGraph is a graph whose "wait" node blocks until its context ends,
// after a first node that writes a checkpoint.
func blockingGraph(t *testing.T) *graph.Graph {
	g, err := graph.New().
		AddChannel("steps", graph.Reduce(func(cur, upd []string) []string { return append(slices.Clone(cur), upd...) })).
		AddNode("first", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"steps": []string{"first"}}, nil
		}).
		AddNode("wait", func(ctx context.Context, s graph.State) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}).
		AddEdge(graph.START, "first").AddEdge("first", "wait").AddEdge("wait", graph.END).
		Compile()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func askGraph(t *testing.T) *graph.Graph {
	g, err := graph.New().
		AddChannel("answer", graph.LastValue[string]()).
		AddNode("ask", func(ctx context.Context, s graph.State) (any, error) {
			v, err := graph.Interrupt(ctx, "continue?")
			if err != nil {
				return nil, err
			}
			return graph.State{"answer": fmt.Sprint(v)}, nil
		}).
		AddEdge(graph.START, "ask").AddEdge("ask", graph.END).
		Compile()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func failGraph(t *testing.T) *graph.Graph {
	g, err := graph.New().
		AddChannel("x", graph.LastValue[string]()).
		AddNode("boom", func(ctx context.Context, s graph.State) (any, error) {
			return nil, errors.New("kaboom")
		}).
		AddEdge(graph.START, "boom").AddEdge("boom", graph.END).
		Compile()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// whoGraph records the configurable it ran with.
func whoGraph(t *testing.T) *graph.Graph {
	g, err := graph.New().
		AddChannel("who", graph.LastValue[map[string]any]()).
		AddNode("whoami", func(ctx context.Context, s graph.State) (any, error) {
			c := graph.Info(ctx).Configurable
			return graph.State{"who": map[string]any{"user": c[KeyAuthUser], "id": c[KeyAuthUserID],
				"perms": c[KeyAuthPermissions], "user_id": c["user_id"], "run_id": c["run_id"]}}, nil
		}).
		AddEdge(graph.START, "whoami").AddEdge("whoami", graph.END).
		Compile()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func newEnv(t *testing.T, store storage.Store, opts Options) *env {
	t.Helper()
	chat, err := chatbot.New(llm.Echo{})
	if err != nil {
		t.Fatal(err)
	}
	if store == nil {
		store = memory.New()
	}
	bk := broker.NewMemory(broker.MemoryOptions{})
	opts.Store, opts.Broker = store, bk
	opts.Graphs = map[string]*graph.Graph{"chatbot": chat, "block": blockingGraph(t), "ask": askGraph(t),
		"fail": failGraph(t), "who": whoGraph(t)}
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(); bk.Close() })
	return &env{t: t, store: store, bk: bk, sched: s}
}

func (e *env) thread() string {
	e.t.Helper()
	th, err := e.store.Threads().Create(e.t.Context(), storage.System(), storage.ThreadCreate{})
	if err != nil {
		e.t.Fatal(err)
	}
	return th.ThreadID
}

// create makes a run of graphID on thread through the scheduler.
func (e *env) create(ctx context.Context, thread, graphID string, kw Kwargs, strategy string) storage.Run {
	e.t.Helper()
	return e.createID(ctx, newRunID(), thread, graphID, kw, strategy)
}

// createID is create with the run's id given.
func (e *env) createID(ctx context.Context, runID, thread, graphID string, kw Kwargs, strategy string) storage.Run {
	e.t.Helper()
	a := storage.Assistant{AssistantID: "a-" + graphID, GraphID: graphID}
	m := MergeConfig(ctx, ConfigInput{Assistant: a, Config: kw.Config, RunID: runID, ThreadID: thread})
	kw.Config, kw.Context = m.Config, m.Context
	km, err := kw.Map()
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := e.sched.Create(ctx, storage.Authorized(storage.Event{Resource: "threads", Action: "create_run"}), storage.RunCreate{RunID: runID, ThreadID: thread,
		AssistantID: a.AssistantID, GraphID: graphID, Kwargs: km, MultitaskStrategy: strategy})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.Run
}

func newRunID() string { return checkpoint.NewID() }

type event struct {
	name string
	data any
}

// events reads a run's stream from the start until it finishes.
func (e *env) events(runID string) []event {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), 10*time.Second)
	defer cancel()
	sub, err := e.bk.Subscribe(ctx, RunStream(runID), broker.Start)
	if err != nil {
		e.t.Fatal(err)
	}
	defer sub.Close()
	var out []event
	for {
		ev, ok, err := sub.Next(ctx)
		if err != nil {
			e.t.Fatalf("reading run %s: %v (so far %v)", runID, err, out)
		}
		if !ok {
			return out
		}
		var v any
		if err := json.Unmarshal(ev.Data, &v); err != nil {
			e.t.Fatalf("event %s: %v", ev.Name, err)
		}
		out = append(out, event{ev.Name, v})
	}
}

func names(evs []event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.name
	}
	return out
}

func (e *env) run(thread, runID string) storage.Run {
	e.t.Helper()
	r, err := e.store.Runs().Get(e.t.Context(), storage.System(), thread, runID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) threadOf(id string) storage.Thread {
	e.t.Helper()
	th, err := e.store.Threads().Get(e.t.Context(), storage.System(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return th
}

func human(text string) map[string]any {
	return map[string]any{"messages": []any{map[string]any{"type": "human", "content": text}}}
}
