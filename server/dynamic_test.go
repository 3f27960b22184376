package server

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/agentgate/agentgate/graph"
)

// TestDynamicGraphPerRun: a graph.Dynamic graph is built from each run's
// config, drawn as its assistant's config builds it, and its thread's
// state is updated with the graph its last run's config built.
func TestDynamicGraphPerRun(t *testing.T) {
	build := func(ctx context.Context, cfg graph.RunConfig) (*graph.Graph, error) {
		node, _ := cfg.Configurable["nodeName"].(string)
		if node == "" {
			node = "default"
		}
		return graph.New().
			AddChannel("log", graph.Reduce(func(cur, upd []string) []string { return append(cur, upd...) })).
			AddNode(node, func(ctx context.Context, s graph.State) (any, error) {
				return graph.State{"log": []string{node}}, nil
			}).
			AddEdge(graph.START, node).Compile()
	}
	dyn, err := graph.Dynamic(context.Background(), build)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Options{Graphs: map[string]Graph{"dyn": dyn}})
	var out struct {
		Log []string `json:"log"`
	}
	ts.ok(200, "POST", "/runs/wait", map[string]any{"assistant_id": "dyn", "input": map[string]any{"log": []string{"in"}}}).json(t, &out)
	if !slices.Equal(out.Log, []string{"in", "default"}) {
		t.Errorf("default run log %v", out.Log)
	}
	ts.ok(200, "POST", "/runs/wait", map[string]any{"assistant_id": "dyn", "input": map[string]any{},
		"config": map[string]any{"configurable": map[string]any{"nodeName": "runtime"}}}).json(t, &out)
	if !slices.Equal(out.Log, []string{"runtime"}) {
		t.Errorf("run with nodeName=runtime: log %v", out.Log)
	}

	var a struct {
		AssistantID string `json:"assistant_id"`
	}
	ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "dyn",
		"config": map[string]any{"configurable": map[string]any{"nodeName": "assistant"}}}).json(t, &a)
	var drawn struct {
		Nodes []struct {
			ID string `json:"id"`
		} `json:"nodes"`
	}
	ts.ok(200, "GET", "/assistants/"+a.AssistantID+"/graph", nil).json(t, &drawn)
	if fmt.Sprint(drawn.Nodes) != "[{__start__} {assistant} {__end__}]" {
		t.Errorf("assistant's graph nodes %v", drawn.Nodes)
	}
	th := ts.createThread(nil)
	p := "/threads/" + th.ThreadID
	ts.ok(200, "POST", p+"/runs/wait", map[string]any{"assistant_id": a.AssistantID, "input": map[string]any{}}).json(t, &out)
	if !slices.Equal(out.Log, []string{"assistant"}) {
		t.Errorf("assistant run log %v", out.Log)
	}
	// "assistant" is a node only of the graph the thread's config builds.
	ts.ok(200, "POST", p+"/state", map[string]any{"values": map[string]any{"log": []string{"update"}}, "as_node": "assistant"})
	var st struct {
		Values struct {
			Log []string `json:"log"`
		} `json:"values"`
	}
	ts.ok(200, "GET", p+"/state", nil).json(t, &st)
	if !slices.Equal(st.Values.Log, []string{"assistant", "update"}) {
		t.Errorf("state after update %v", st.Values.Log)
	}
}
