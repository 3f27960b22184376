package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

func appendStrings(cur, upd []string) []string { return append(append([]string(nil), cur...), upd...) }

// write returns a node that appends its name to "log".
func logNode(name string) graph.NodeFunc {
	return func(context.Context, graph.State) (any, error) {
		return graph.State{"log": []string{name}}, nil
	}
}

func TestReducersAndFanIn(t *testing.T) {
	// START -> a, b (parallel) -> c; "log" reduces, "sum" adds.
	b := graph.New().
		AddChannel("log", graph.Reduce(appendStrings)).
		AddChannel("sum", graph.Reduce(func(a, b int) int { return a + b })).
		AddChannel("last", graph.LastValue[string]())
	for _, n := range []string{"b", "a", "c"} {
		name := n
		b.AddNode(name, func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"log": []string{name}, "sum": 1, "last": name}, nil
		})
	}
	b.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", "c").AddEdge("b", "c").AddEdge("c", graph.END)
	g := mustCompile(t, b)
	_, err := g.Invoke(context.Background(), graph.State{"sum": 10}, graph.RunConfig{})
	var iu *graph.InvalidUpdateError
	if !errors.As(err, &iu) || !strings.Contains(err.Error(), "last") {
		t.Fatalf("two writes to a LastValue in one step: err = %v, want InvalidUpdateError about 'last'", err)
	}
	// Without the conflicting key it works, and writes apply in node order.
	b2 := graph.New().
		AddChannel("log", graph.Reduce(appendStrings)).
		AddChannel("sum", graph.Reduce(func(a, b int) int { return a + b }))
	for _, n := range []string{"b", "a", "c"} {
		name := n
		b2.AddNode(name, func(ctx context.Context, s graph.State) (any, error) {
			if name == "b" {
				time.Sleep(5 * time.Millisecond) // finishes last, still applied in order
			}
			return graph.State{"log": []string{name}, "sum": 1}, nil
		})
	}
	b2.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", "c").AddEdge("b", "c").AddEdge("c", graph.END)
	out, err := mustCompile(t, b2).Invoke(context.Background(), graph.State{"sum": 10}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if out["sum"] != 13 {
		t.Errorf("sum = %v, want 13", out["sum"])
	}
}

func TestParallelNodesRunConcurrently(t *testing.T) {
	var running, peak atomic.Int32
	var mu sync.Mutex
	started := sync.NewCond(&mu)
	n := 0
	node := func(ctx context.Context, s graph.State) (any, error) {
		r := running.Add(1)
		for {
			p := peak.Load()
			if r <= p || peak.CompareAndSwap(p, r) {
				break
			}
		}
		mu.Lock()
		n++
		started.Broadcast()
		for n < 3 {
			started.Wait()
		}
		mu.Unlock()
		running.Add(-1)
		return graph.State{"log": []string{graph.Info(ctx).Node}}, nil
	}
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings))
	for _, name := range []string{"x", "y", "z"} {
		b.AddNode(name, node).AddEdge(graph.START, name)
	}
	out, err := mustCompile(t, b).Invoke(context.Background(), graph.State{}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if peak.Load() != 3 {
		t.Errorf("peak concurrency = %d, want 3", peak.Load())
	}
	if diff := cmp.Diff([]string{"x", "y", "z"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestConditionalEdgesSeeOwnWrites(t *testing.T) {
	b := graph.New().AddChannel("n", graph.LastValue[int]()).AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("inc", func(ctx context.Context, s graph.State) (any, error) {
			n, _ := s["n"].(int)
			return graph.State{"n": n + 1, "log": []string{"inc"}}, nil
		}).
		AddNode("done", logNode("done")).
		AddEdge(graph.START, "inc").
		AddConditionalEdges("inc", func(ctx context.Context, s graph.State) (any, error) {
			if s["n"].(int) >= 3 {
				return "stop", nil
			}
			return "again", nil
		}, map[string]string{"again": "inc", "stop": "done"}).
		AddEdge("done", graph.END)
	out, err := mustCompile(t, b).Invoke(context.Background(), graph.State{"n": 0}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if out["n"] != 3 {
		t.Errorf("n = %v, want 3", out["n"])
	}
	if diff := cmp.Diff([]string{"inc", "inc", "inc", "done"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestSendFanOut(t *testing.T) {
	b := graph.New().AddChannel("subjects", graph.LastValue[[]string]()).AddChannel("jokes", graph.Reduce(appendStrings)).
		AddNode("joke", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"jokes": []string{"joke about " + s["subject"].(string)}}, nil
		}).
		AddConditionalEdges(graph.START, func(ctx context.Context, s graph.State) (any, error) {
			var out []graph.Send
			for _, subj := range s["subjects"].([]string) {
				out = append(out, graph.Send{Node: "joke", Arg: graph.State{"subject": subj}})
			}
			return out, nil
		}, nil).
		AddEdge("joke", graph.END)
	g := mustCompile(t, b)
	saver := checkpoint.NewMemory()
	out, err := g.Invoke(context.Background(), graph.State{"subjects": []string{"cats", "dogs", "owls"}}, graph.RunConfig{ThreadID: "t", Checkpointer: saver})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"joke about cats", "joke about dogs", "joke about owls"}, out["jokes"]); diff != "" {
		t.Errorf("jokes (-want +got):\n%s", diff)
	}
}

func TestCommandGotoAndUpdate(t *testing.T) {
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("router", func(ctx context.Context, s graph.State) (any, error) {
			return graph.Command{Update: graph.State{"log": []string{"router"}}, Goto: []string{"b"}}, nil
		}, graph.Ends("a", "b")).
		AddNode("a", logNode("a")).
		AddNode("b", logNode("b")).
		AddEdge(graph.START, "router")
	out, err := mustCompile(t, b).Invoke(context.Background(), graph.State{}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"router", "b"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	// Command as input: update and goto.
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver}
	g := mustCompile(t, b)
	if _, err := g.Invoke(context.Background(), graph.State{}, cfg); err != nil {
		t.Fatal(err)
	}
	out, err = g.Invoke(context.Background(), graph.Command{Update: graph.State{"log": []string{"cmd"}}, Goto: "a"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"router", "b", "cmd", "a"}, out["log"]); diff != "" {
		t.Errorf("log after command (-want +got):\n%s", diff)
	}
}

func TestRecursionLimit(t *testing.T) {
	b := graph.New().AddChannel("n", graph.Reduce(func(a, b int) int { return a + b })).
		AddNode("loop", func(context.Context, graph.State) (any, error) { return graph.State{"n": 1}, nil }).
		AddEdge(graph.START, "loop").
		AddConditionalEdges("loop", func(ctx context.Context, s graph.State) (any, error) {
			if s["n"].(int) >= 5 {
				return graph.END, nil
			}
			return "loop", nil
		}, nil)
	g := mustCompile(t, b)
	if _, err := g.Invoke(context.Background(), graph.State{}, graph.RunConfig{RecursionLimit: 5}); err != nil {
		t.Fatalf("5 steps with limit 5: %v", err)
	}
	_, err := g.Invoke(context.Background(), graph.State{}, graph.RunConfig{RecursionLimit: 4})
	var re *graph.RecursionError
	if !errors.As(err, &re) || graph.ErrorName(err) != "GraphRecursionError" {
		t.Fatalf("5 steps with limit 4: err = %v", err)
	}
}

func TestNodeErrorKeepsErrorAndFinishedWrites(t *testing.T) {
	boom := errors.New("boom")
	var okRuns, failRuns atomic.Int32
	fail := true
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("ok", func(context.Context, graph.State) (any, error) {
			okRuns.Add(1)
			return graph.State{"log": []string{"ok"}}, nil
		}).
		AddNode("bad", func(context.Context, graph.State) (any, error) {
			failRuns.Add(1)
			if fail {
				return nil, boom
			}
			return graph.State{"log": []string{"bad"}}, nil
		}).
		AddEdge(graph.START, "ok").AddEdge(graph.START, "bad")
	g := mustCompile(t, b)
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver}
	_, err := g.Invoke(context.Background(), graph.State{}, cfg)
	var ne *graph.NodeError
	if !errors.Is(err, boom) || !errors.As(err, &ne) || ne.Node != "bad" {
		t.Fatalf("err = %v, want boom from node bad", err)
	}
	st, err := g.GetState(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	for _, task := range st.Tasks {
		if task.Error != nil {
			errs = append(errs, task.Name+": "+*task.Error)
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "boom") {
		t.Errorf("task errors in state = %v", errs)
	}
	// Resume: only the failed node runs again.
	fail = false
	out, err := g.Invoke(context.Background(), nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if okRuns.Load() != 1 || failRuns.Load() != 2 {
		t.Errorf("runs: ok %d, bad %d; want 1, 2", okRuns.Load(), failRuns.Load())
	}
	if diff := cmp.Diff([]string{"bad", "ok"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestCancellationStopsAtBoundary(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs atomic.Int32
	b := graph.New().AddChannel("n", graph.Reduce(func(a, b int) int { return a + b })).
		AddNode("a", func(context.Context, graph.State) (any, error) {
			runs.Add(1)
			cancel()
			return graph.State{"n": 1}, nil
		}).
		AddNode("b", func(context.Context, graph.State) (any, error) { runs.Add(1); return graph.State{"n": 1}, nil }).
		AddEdge(graph.START, "a").AddEdge("a", "b")
	g := mustCompile(t, b)
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver}
	_, err := g.Invoke(ctx, graph.State{}, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if runs.Load() != 1 {
		t.Errorf("%d nodes ran, want 1", runs.Load())
	}
	// a's step was kept: resuming runs only b.
	st, err := g.GetState(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b"}, st.Next); diff != "" {
		t.Errorf("next (-want +got):\n%s", diff)
	}
	out, err := g.Invoke(context.Background(), nil, cfg)
	if err != nil || out["n"] != 2 || runs.Load() != 2 {
		t.Errorf("resumed: %v, %v, runs %d", out, err, runs.Load())
	}
}

func TestConfigReachesNodes(t *testing.T) {
	var got graph.NodeInfo
	b := graph.New().AddChannel("x", graph.LastValue[string]()).
		AddNode("a", func(ctx context.Context, s graph.State) (any, error) {
			got = graph.Info(ctx)
			return nil, nil
		}).AddEdge(graph.START, "a")
	cfg := graph.RunConfig{
		ThreadID: "t1", RunID: "r1", Checkpointer: checkpoint.NewMemory(),
		Configurable: map[string]any{"user_id": "alice", "langgraph_auth_user": map[string]any{"identity": "alice"}},
		Context:      map[string]any{"model": "m"},
	}
	if _, err := mustCompile(t, b).Invoke(context.Background(), graph.State{}, cfg); err != nil {
		t.Fatal(err)
	}
	if got.RunID != "r1" || got.ThreadID != "t1" || got.Node != "a" || got.Step != 1 || got.TaskID == "" {
		t.Errorf("info = %+v", got)
	}
	if got.Configurable["user_id"] != "alice" || got.Context["model"] != "m" {
		t.Errorf("configurable/context = %v %v", got.Configurable, got.Context)
	}
	if !strings.HasPrefix(got.CheckpointNS, "a:") {
		t.Errorf("checkpoint ns = %q", got.CheckpointNS)
	}
}

func TestInvalidUpdates(t *testing.T) {
	b := graph.New().AddChannel("x", graph.LastValue[int]()).
		AddNode("a", func(context.Context, graph.State) (any, error) { return graph.State{"nope": 1}, nil }).
		AddEdge(graph.START, "a")
	_, err := mustCompile(t, b).Invoke(context.Background(), graph.State{}, graph.RunConfig{})
	if graph.ErrorName(err) != "InvalidUpdateError" || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown key: %v", err)
	}
	b = graph.New().AddChannel("x", graph.LastValue[int]()).
		AddNode("a", func(context.Context, graph.State) (any, error) { return graph.State{"x": "text"}, nil }).
		AddEdge(graph.START, "a")
	if _, err := mustCompile(t, b).Invoke(context.Background(), graph.State{}, graph.RunConfig{}); err == nil {
		t.Error("string written to an int channel: no error")
	}
	b = graph.New().AddChannel("x", graph.LastValue[int]()).
		AddNode("a", func(context.Context, graph.State) (any, error) { return 42, nil }).
		AddEdge(graph.START, "a")
	if _, err := mustCompile(t, b).Invoke(context.Background(), graph.State{}, graph.RunConfig{}); err == nil {
		t.Error("node returning 42: no error")
	}
	b = graph.New().AddChannel("x", graph.LastValue[int]()).
		AddNode("a", func(context.Context, graph.State) (any, error) { panic("oops") }).
		AddEdge(graph.START, "a")
	if _, err := mustCompile(t, b).Invoke(context.Background(), graph.State{}, graph.RunConfig{}); err == nil || !strings.Contains(err.Error(), "oops") {
		t.Errorf("panicking node: %v", err)
	}
	b = graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddEdge(graph.START, "a").
		AddConditionalEdges("a", func(context.Context, graph.State) (any, error) { panic("router oops") }, nil)
	if _, err := mustCompile(t, b).Invoke(context.Background(), graph.State{}, graph.RunConfig{}); err == nil || !strings.Contains(err.Error(), "router oops") {
		t.Errorf("panicking router: %v", err)
	}
	b = graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddEdge(graph.START, "a").
		AddConditionalEdges("a", func(context.Context, graph.State) (any, error) { return "ghost", nil }, nil)
	if _, err := mustCompile(t, b).Invoke(context.Background(), graph.State{}, graph.RunConfig{}); err == nil || !strings.Contains(err.Error(), "ghost") {
		t.Errorf("router to unknown node: %v", err)
	}
}

func TestJSONInputIsConverted(t *testing.T) {
	var seen any
	b := graph.New().AddChannel("n", graph.LastValue[int]()).AddChannel("tags", graph.LastValue[[]string]()).
		AddNode("a", func(ctx context.Context, s graph.State) (any, error) {
			seen = s["n"]
			return graph.State{"n": s["n"].(int) + 1}, nil
		}).AddEdge(graph.START, "a")
	// What the HTTP server hands over: JSON-decoded values.
	out, err := mustCompile(t, b).Invoke(context.Background(), map[string]any{"n": 41.0, "tags": []any{"x"}, "unknown": 1}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if seen != 41 || out["n"] != 42 {
		t.Errorf("seen %v (%T), out %v", seen, seen, out["n"])
	}
	if diff := cmp.Diff([]string{"x"}, out["tags"]); diff != "" {
		t.Errorf("tags: %s", diff)
	}
}

func sortedNames(ss []graph.TaskSnapshot) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}

var _ = fmt.Sprint

func TestCommandFromJSON(t *testing.T) {
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("a", logNode("a")).
		AddNode("echo", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"log": []string{"echo:" + fmt.Sprint(s["word"])}}, nil
		}).
		AddEdge(graph.START, "a")
	g := mustCompile(t, b)
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory()}
	ctx := context.Background()
	if _, err := g.Invoke(ctx, graph.State{}, cfg); err != nil {
		t.Fatal(err)
	}
	var cmd graph.Command
	if err := json.Unmarshal([]byte(`{"update":{"log":["u"]},"goto":[{"node":"echo","input":{"word":"hi"}},"a"]}`), &cmd); err != nil {
		t.Fatal(err)
	}
	cfg.Command = &cmd
	out, err := g.Invoke(ctx, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "u", "a", "echo:hi"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestRetriedRunContinues(t *testing.T) {
	var aRuns atomic.Int32
	fail := true
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("a", func(context.Context, graph.State) (any, error) {
			aRuns.Add(1)
			return graph.State{"log": []string{"a"}}, nil
		}).
		AddNode("b", func(context.Context, graph.State) (any, error) {
			if fail {
				return nil, errors.New("worker died")
			}
			return graph.State{"log": []string{"b"}}, nil
		}).
		AddEdge(graph.START, "a").AddEdge("a", "b")
	g := mustCompile(t, b)
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", RunID: "run-1", Checkpointer: saver}
	ctx := context.Background()
	if _, err := g.Invoke(ctx, graph.State{"log": []any{"in"}}, cfg); err == nil {
		t.Fatal("first attempt did not fail")
	}
	st, err := g.GetState(ctx, cfg)
	if err != nil || st.Metadata["run_id"] != "run-1" || st.Metadata["thread_id"] != "t" {
		t.Fatalf("metadata = %v, %v", st.Metadata, err)
	}
	// The same run retried with the same input continues where it stopped.
	fail = false
	out, err := g.Invoke(ctx, graph.State{"log": []any{"in"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"in", "a", "b"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if aRuns.Load() != 1 {
		t.Errorf("a ran %d times, want 1", aRuns.Load())
	}
	// Another run with input starts over.
	cfg.RunID = "run-2"
	out, err = g.Invoke(ctx, graph.State{"log": []any{"again"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"in", "a", "b", "again", "a", "b"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestResumeStreamsCurrentValuesFirst(t *testing.T) {
	g2 := mustCompile(t, graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("a", logNode("a")).AddNode("b", logNode("b")).
		AddEdge(graph.START, "a").AddEdge("a", "b"), graph.WithInterruptBefore("b"))
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory(), StreamModes: []graph.StreamMode{graph.ModeValues}}
	collect(t, g2, graph.State{}, cfg)
	evs, res := collect(t, g2, nil, cfg)
	if res.Status != "success" || len(evs) != 2 {
		t.Fatalf("resume: %+v, %d events", res, len(evs))
	}
	if diff := cmp.Diff(map[string]any{"log": []any{"a"}}, jsonOf(t, evs[0].Data)); diff != "" {
		t.Errorf("first event on resume (-want +got):\n%s", diff)
	}
}

func TestJoinEdgeWaitsForAllSources(t *testing.T) {
	build := func(join bool) *graph.Graph {
		b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
			AddNode("a", logNode("a")).AddNode("b", logNode("b")).AddNode("x", logNode("x")).AddNode("c", logNode("c")).
			AddEdge(graph.START, "a").AddEdge(graph.START, "x").AddEdge("a", "b")
		if join {
			b.AddJoinEdge([]string{"b", "x"}, "c")
		} else {
			b.AddEdge("b", "c").AddEdge("x", "c")
		}
		return mustCompile(t, b, graph.WithInterruptBefore("b"))
	}
	ctx := context.Background()
	// Plain edges: c runs after x and again after b.
	cfg := graph.RunConfig{ThreadID: "plain", Checkpointer: checkpoint.NewMemory(), InterruptBefore: []string{}}
	out, err := build(false).Invoke(ctx, graph.State{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "x", "b", "c", "c"}, out["log"]); diff != "" {
		t.Errorf("plain edges (-want +got):\n%s", diff)
	}
	// A join: c runs once, after both, also across an interruption.
	g := build(true)
	cfg = graph.RunConfig{ThreadID: "join", Checkpointer: checkpoint.NewMemory()}
	res, err := g.Stream(ctx, graph.State{}, cfg, nil)
	if err != nil || res.Status != "interrupted" {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	out, err = g.Invoke(ctx, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "x", "b", "c"}, out["log"]); diff != "" {
		t.Errorf("join edge (-want +got):\n%s", diff)
	}
	d := jsonOf(t, g.Draw()).(map[string]any)
	var edges []string
	for _, e := range d["edges"].([]any) {
		m := e.(map[string]any)
		edges = append(edges, m["source"].(string)+">"+m["target"].(string))
	}
	if diff := cmp.Diff([]string{"__start__>a", "__start__>x", "a>b", "b>c", "x>c", "c>__end__"}, edges); diff != "" {
		t.Errorf("drawn edges (-want +got):\n%s", diff)
	}
	if _, err := graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("a", noop).AddEdge(graph.START, "a").
		AddJoinEdge([]string{"a", "zz"}, "a").Compile(); err == nil || !strings.Contains(err.Error(), "zz") {
		t.Errorf("join from unknown node: %v", err)
	}
}

func TestAppendingReducerDoesNotAliasEarlierStates(t *testing.T) {
	// A reducer written with a bare append must not change states already
	// handed out (events, snapshots).
	b := graph.New().AddChannel("log", graph.Reduce(func(a, b []string) []string { return append(a, b...) }))
	for _, n := range []string{"a", "b", "c"} {
		b.AddNode(n, logNode(n))
	}
	b.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c")
	g := mustCompile(t, b)
	var seen [][]string
	_, err := g.Stream(context.Background(), graph.State{"log": []string{"in"}}, graph.RunConfig{StreamModes: []graph.StreamMode{graph.ModeValues}},
		func(e graph.Event) error {
			seen = append(seen, e.Data.(graph.State)["log"].([]string))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"in"}, {"in", "a"}, {"in", "a", "b"}, {"in", "a", "b", "c"}}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("values events (-want +got):\n%s", diff)
	}
}

func TestParentCommandHandsOff(t *testing.T) {
	// An agent subgraph hands off to a sibling node of the parent.
	agent := mustCompile(t, graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("decide", func(context.Context, graph.State) (any, error) {
			return graph.Command{Graph: graph.Parent, Goto: "billing", Update: graph.State{"log": []string{"handoff"}}}, nil
		}).AddEdge(graph.START, "decide"))
	b := graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddSubgraph("triage", agent, graph.Ends("billing")).
		AddNode("billing", logNode("billing")).
		AddEdge(graph.START, "triage")
	g := mustCompile(t, b)
	out, err := g.Invoke(context.Background(), graph.State{}, graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"handoff", "billing"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	// At the top level there is no parent.
	if _, err := agent.Invoke(context.Background(), graph.State{}, graph.RunConfig{}); err == nil || !strings.Contains(err.Error(), "outside a subgraph") {
		t.Errorf("parent command at the top: %v", err)
	}
}
