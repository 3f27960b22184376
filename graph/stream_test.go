package graph_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

// streamingChatbot streams "Hel", "lo" as chunks then returns "Hello".
func streamingChatbot(t *testing.T) *graph.Graph {
	b := graph.New().AddChannel("messages", graph.Messages()).
		AddNode("agent", func(ctx context.Context, s graph.State) (any, error) {
			graph.StreamWriter(ctx)(map[string]any{"progress": "thinking"})
			for _, tok := range []string{"Hel", "lo"} {
				graph.StreamChunk(ctx, graph.Message{Content: tok, ID: "run-1"})
			}
			m := graph.AI("Hello")
			m.ID = "run-1"
			return graph.State{"messages": m}, nil
		}).
		AddNode("tool", func(ctx context.Context, s graph.State) (any, error) {
			m := graph.Tool("42", "c1")
			m.ID = "tool-1"
			return graph.State{"messages": []graph.Message{m}}, nil
		}).
		AddEdge(graph.START, "agent").AddEdge("agent", "tool")
	return mustCompile(t, b)
}

func collect(t *testing.T, g *graph.Graph, input any, cfg graph.RunConfig) ([]graph.Event, graph.Result) {
	t.Helper()
	var evs []graph.Event
	res, err := g.Stream(context.Background(), input, cfg, func(e graph.Event) error {
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs, res
}

func modes(evs []graph.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Mode))
	}
	return out
}

func TestStreamValuesAndUpdates(t *testing.T) {
	g := streamingChatbot(t)
	cfg := graph.RunConfig{StreamModes: []graph.StreamMode{graph.ModeValues, graph.ModeUpdates}}
	evs, _ := collect(t, g, map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi", "id": "h1"}}}, cfg)
	if diff := cmp.Diff([]string{"values", "updates", "values", "updates", "values"}, modes(evs)); diff != "" {
		t.Fatalf("modes (-want +got):\n%s", diff)
	}
	first := jsonOf(t, evs[0].Data).(map[string]any)
	ms := first["messages"].([]any)
	if len(ms) != 1 || ms[0].(map[string]any)["content"] != "hi" || ms[0].(map[string]any)["type"] != "human" {
		t.Errorf("first values event = %v", first)
	}
	upd := jsonOf(t, evs[1].Data).(map[string]any)
	agent, ok := upd["agent"].(map[string]any)
	if !ok || agent["messages"].([]any)[0].(map[string]any)["content"] != "Hello" {
		t.Errorf("agent update = %v", upd)
	}
	last := jsonOf(t, evs[4].Data).(map[string]any)
	if n := len(last["messages"].([]any)); n != 3 {
		t.Errorf("final values have %d messages, want 3", n)
	}
}

func TestStreamMessagesAndCustom(t *testing.T) {
	g := streamingChatbot(t)
	cfg := graph.RunConfig{RunID: "r1", ThreadID: "t1", Checkpointer: checkpoint.NewMemory(),
		StreamModes: []graph.StreamMode{graph.ModeMessages, graph.ModeCustom}}
	evs, _ := collect(t, g, map[string]any{"messages": "hi"}, cfg)
	if diff := cmp.Diff([]string{"custom", "messages", "messages", "messages"}, modes(evs)); diff != "" {
		t.Fatalf("modes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"progress": "thinking"}, evs[0].Data); diff != "" {
		t.Errorf("custom (-want +got):\n%s", diff)
	}
	var contents []string
	for _, e := range evs[1:] {
		pair := jsonOf(t, e.Data).([]any)
		msg, md := pair[0].(map[string]any), pair[1].(map[string]any)
		contents = append(contents, msg["type"].(string)+":"+msg["content"].(string))
		for _, k := range []string{"langgraph_node", "langgraph_step", "langgraph_triggers", "langgraph_path", "langgraph_checkpoint_ns"} {
			if _, ok := md[k]; !ok {
				t.Errorf("metadata lacks %s: %v", k, md)
			}
		}
		if md["thread_id"] != "t1" || md["run_id"] != "r1" {
			t.Errorf("metadata thread/run = %v/%v", md["thread_id"], md["run_id"])
		}
	}
	// Chunks while the agent produces them; its final message is not
	// repeated; the tool's message (no chunks) arrives whole.
	want := []string{"AIMessageChunk:Hel", "AIMessageChunk:lo", "tool:42"}
	if diff := cmp.Diff(want, contents); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	md := jsonOf(t, evs[1].Data).([]any)[1].(map[string]any)
	if md["langgraph_node"] != "agent" || md["langgraph_step"] != 1.0 || !strings.HasPrefix(md["langgraph_checkpoint_ns"].(string), "agent:") {
		t.Errorf("chunk metadata = %v", md)
	}
	if diff := cmp.Diff([]any{"branch:to:agent"}, md["langgraph_triggers"]); diff != "" {
		t.Errorf("triggers: %s", diff)
	}
	if diff := cmp.Diff([]any{"__pregel_pull", "agent"}, md["langgraph_path"]); diff != "" {
		t.Errorf("path: %s", diff)
	}
}

func TestStreamDebugTasksCheckpoints(t *testing.T) {
	g := streamingChatbot(t)
	cfg := graph.RunConfig{ThreadID: "t1", Checkpointer: checkpoint.NewMemory(),
		StreamModes: []graph.StreamMode{graph.ModeDebug, graph.ModeTasks, graph.ModeCheckpoints}}
	evs, _ := collect(t, g, map[string]any{"messages": "hi"}, cfg)
	var debugTypes []string
	var tasks, checkpoints int
	for _, e := range evs {
		d := jsonOf(t, e.Data).(map[string]any)
		switch e.Mode {
		case graph.ModeDebug:
			debugTypes = append(debugTypes, d["type"].(string))
			if d["timestamp"] == nil || d["step"] == nil || d["payload"] == nil {
				t.Errorf("debug event lacks fields: %v", d)
			}
		case graph.ModeTasks:
			tasks++
			if d["id"] == nil || d["name"] == nil {
				t.Errorf("task event = %v", d)
			}
		case graph.ModeCheckpoints:
			checkpoints++
			cfg := d["config"].(map[string]any)["configurable"].(map[string]any)
			if cfg["thread_id"] != "t1" || cfg["checkpoint_id"] == "" || d["metadata"] == nil || d["next"] == nil {
				t.Errorf("checkpoint event = %v", d)
			}
		}
	}
	// input, __start__, agent, tool checkpoints; a task and a result per node.
	want := []string{"checkpoint", "checkpoint", "task", "task_result", "checkpoint", "task", "task_result", "checkpoint"}
	if diff := cmp.Diff(want, debugTypes); diff != "" {
		t.Errorf("debug types (-want +got):\n%s", diff)
	}
	if tasks != 4 || checkpoints != 4 {
		t.Errorf("tasks %d checkpoints %d, want 4 and 4", tasks, checkpoints)
	}
}

func TestStreamEmitErrorStopsRun(t *testing.T) {
	g := streamingChatbot(t)
	stop := errors.New("client gone")
	_, err := g.Stream(context.Background(), map[string]any{"messages": "hi"}, graph.RunConfig{StreamModes: []graph.StreamMode{graph.ModeValues}},
		func(graph.Event) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the emit error", err)
	}
	if _, err := g.Stream(context.Background(), nil, graph.RunConfig{StreamModes: []graph.StreamMode{"bogus"}}, nil); err == nil {
		t.Error("unknown stream mode accepted")
	}
}

func TestSubgraphStreamsWithNamespace(t *testing.T) {
	inner := mustCompile(t, graph.New().AddChannel("messages", graph.Messages()).
		AddNode("think", func(ctx context.Context, s graph.State) (any, error) {
			graph.StreamChunk(ctx, graph.Message{Content: "hm", ID: "c1"})
			m := graph.AI("inner says hi")
			m.ID = "c1"
			return graph.State{"messages": m}, nil
		}).AddEdge(graph.START, "think"))
	outer := mustCompile(t, graph.New().AddChannel("messages", graph.Messages()).
		AddSubgraph("child", inner).AddEdge(graph.START, "child"))
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: saver, Subgraphs: true,
		StreamModes: []graph.StreamMode{graph.ModeUpdates, graph.ModeMessages}}
	evs, res := collect(t, outer, map[string]any{"messages": "hello"}, cfg)
	if n := len(res.Values["messages"].([]graph.Message)); n != 2 {
		t.Fatalf("outer has %d messages, want 2", n)
	}
	var sawInnerUpdate, sawOuterUpdate, sawChunk bool
	for _, e := range evs {
		switch {
		case e.Mode == graph.ModeUpdates && len(e.Namespace) == 1 && strings.HasPrefix(e.Namespace[0], "child:"):
			if _, ok := e.Data.(map[string]any)["think"]; ok {
				sawInnerUpdate = true
			}
		case e.Mode == graph.ModeUpdates && len(e.Namespace) == 0:
			if _, ok := e.Data.(map[string]any)["child"]; ok {
				sawOuterUpdate = true
			}
		case e.Mode == graph.ModeMessages && len(e.Namespace) == 1:
			sawChunk = true
		}
	}
	if !sawInnerUpdate || !sawOuterUpdate || !sawChunk {
		t.Errorf("inner update %v, outer update %v, chunk %v; events %+v", sawInnerUpdate, sawOuterUpdate, sawChunk, evs)
	}
	// Without Subgraphs nothing comes from inside; the parent still streams
	// the subgraph node's update and the messages it wrote.
	cfg.Subgraphs, cfg.ThreadID = false, "t2"
	evs, _ = collect(t, outer, map[string]any{"messages": "hello"}, cfg)
	var msgs []string
	for _, e := range evs {
		if len(e.Namespace) > 0 {
			t.Errorf("subgraph event without Subgraphs: %+v", e)
		}
		if e.Mode == graph.ModeMessages {
			msgs = append(msgs, e.Data.([]any)[0].(graph.Message).Text())
		}
	}
	if diff := cmp.Diff([]string{"inner says hi"}, msgs); diff != "" {
		t.Errorf("messages without subgraphs (-want +got):\n%s", diff)
	}
	// The subgraph's checkpoints live in its namespace.
	list, err := saver.List(context.Background(), checkpoint.Config{ThreadID: "t"}, checkpoint.ListOptions{})
	if err != nil || len(list) == 0 {
		t.Fatal(err)
	}
	st, err := outer.History(context.Background(), graph.RunConfig{ThreadID: "t", Checkpointer: saver, Subgraphs: true}, checkpoint.ListOptions{Filter: map[string]any{"step": 0}})
	if err != nil || len(st) != 1 || len(st[0].Tasks) != 1 {
		t.Fatalf("history at step 0 = %+v, %v", st, err)
	}
	task := st[0].Tasks[0]
	// With the subgraph's state included, the task has no checkpoint.
	if task.Checkpoint != nil || task.State == nil || !strings.HasPrefix(task.State.Checkpoint.CheckpointNS, "child:") {
		t.Fatalf("subgraph task = %+v", task)
	}
	if n := len(task.State.Values["messages"].([]graph.Message)); n != 2 {
		t.Errorf("subgraph state has %d messages, want 2", n)
	}
}

func TestSubgraphInterruptResumes(t *testing.T) {
	inner := mustCompile(t, graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("ask", func(ctx context.Context, s graph.State) (any, error) {
			a, err := graph.Interrupt(ctx, "name?")
			if err != nil {
				return nil, err
			}
			return graph.State{"log": []string{"inner:" + a.(string)}}, nil
		}).AddEdge(graph.START, "ask"))
	outer := mustCompile(t, graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("before", logNode("before")).
		AddSubgraph("child", inner).
		AddEdge(graph.START, "before").AddEdge("before", "child"))
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory()}
	ctx := context.Background()
	res, err := outer.Stream(ctx, graph.State{}, cfg, nil)
	if err != nil || res.Status != "interrupted" || len(res.Interrupts) != 1 || res.Interrupts[0].Value != "name?" {
		t.Fatalf("first run = %+v, %v", res, err)
	}
	// The parent's state shows the subgraph task and its interrupt; the
	// subgraph's own state is readable by its namespace.
	st, err := outer.GetState(ctx, cfg)
	if err != nil || len(st.Tasks) != 1 || st.Tasks[0].Checkpoint == nil || len(st.Interrupts) != 1 {
		t.Fatalf("parent state = %+v, %v", st, err)
	}
	sub := cfg
	sub.CheckpointNS = st.Tasks[0].Checkpoint.CheckpointNS
	subSt, err := outer.GetState(ctx, sub)
	if err != nil || len(subSt.Next) != 1 || subSt.Next[0] != "ask" || subSt.Interrupts[0].ID != res.Interrupts[0].ID {
		t.Fatalf("subgraph state = %+v, %v", subSt, err)
	}
	bad := cfg
	bad.CheckpointNS = "nope:123"
	if _, err := outer.GetState(ctx, bad); !errors.Is(err, checkpoint.ErrNotFound) {
		t.Errorf("unknown namespace: %v", err)
	}
	res, err = outer.Stream(ctx, graph.Command{Resume: map[string]any{res.Interrupts[0].ID: "ann"}}, cfg, nil)
	if err != nil || res.Status != "success" {
		t.Fatalf("resume = %+v, %v", res, err)
	}
	// The subgraph returns its whole state, reduced into the parent's.
	if diff := cmp.Diff([]string{"before", "before", "inner:ann"}, res.Values["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	// A plain resume value reaches the only pending interrupt too.
	cfg2 := graph.RunConfig{ThreadID: "t2", Checkpointer: checkpoint.NewMemory()}
	if res, _ := outer.Stream(ctx, graph.State{}, cfg2, nil); res.Status != "interrupted" {
		t.Fatalf("second thread: %+v", res)
	}
	out, err := outer.Invoke(ctx, graph.Command{Resume: "bob"}, cfg2)
	if err != nil || out["log"].([]string)[2] != "inner:bob" {
		t.Errorf("plain resume: %v, %v", out, err)
	}
}

func TestTaskEventShapes(t *testing.T) {
	b := graph.New().AddChannel("n", graph.LastValue[int]()).
		AddNode("inc", func(ctx context.Context, s graph.State) (any, error) { return graph.State{"n": s["n"].(int) + 1}, nil }).
		AddEdge(graph.START, "inc")
	g := mustCompile(t, b)
	evs, _ := collect(t, g, graph.State{"n": 1}, graph.RunConfig{StreamModes: []graph.StreamMode{graph.ModeTasks}})
	if len(evs) != 2 {
		t.Fatalf("events = %+v", evs)
	}
	start := jsonOf(t, evs[0].Data).(map[string]any)
	id := start["id"]
	delete(start, "id")
	want := map[string]any{"name": "inc", "input": map[string]any{"n": 1.0}, "triggers": []any{"branch:to:inc"}}
	if diff := cmp.Diff(want, start); diff != "" {
		t.Errorf("task start (-want +got):\n%s", diff)
	}
	result := jsonOf(t, evs[1].Data).(map[string]any)
	wantRes := map[string]any{"id": id, "name": "inc", "error": nil, "result": []any{[]any{"n", 2.0}}, "interrupts": []any{}}
	if diff := cmp.Diff(wantRes, result); diff != "" {
		t.Errorf("task result (-want +got):\n%s", diff)
	}
}

func TestGraphCalledInsideANode(t *testing.T) {
	inner := mustCompile(t, graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("ask", func(ctx context.Context, s graph.State) (any, error) {
			graph.WriteCustom(ctx, "inside")
			a, err := graph.Interrupt(ctx, "go on?")
			if err != nil {
				return nil, err
			}
			return graph.State{"log": []string{"inner:" + a.(string)}}, nil
		}).AddEdge(graph.START, "ask"))
	outer := mustCompile(t, graph.New().AddChannel("log", graph.Reduce(appendStrings)).
		AddNode("call", func(ctx context.Context, s graph.State) (any, error) {
			out, err := inner.Invoke(ctx, graph.State{"log": []string{"call"}}, graph.RunConfig{})
			if err != nil {
				return nil, err
			}
			return graph.State{"log": out["log"]}, nil
		}).AddEdge(graph.START, "call"))
	cfg := graph.RunConfig{ThreadID: "t", Checkpointer: checkpoint.NewMemory(), Subgraphs: true,
		StreamModes: []graph.StreamMode{graph.ModeCustom}}
	evs, res := collect(t, outer, graph.State{}, cfg)
	if res.Status != "interrupted" || len(res.Interrupts) != 1 {
		t.Fatalf("first run = %+v", res)
	}
	if len(evs) != 1 || len(evs[0].Namespace) != 1 || !strings.HasPrefix(evs[0].Namespace[0], "call:") {
		t.Fatalf("custom events = %+v", evs)
	}
	out, err := outer.Invoke(context.Background(), graph.Command{Resume: "yes"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"call", "inner:yes"}, out["log"]); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}
