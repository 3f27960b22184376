package graphs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

func build(t *testing.T, f func() (*graph.Graph, error)) *graph.Graph {
	t.Helper()
	g, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestAllCompile(t *testing.T) {
	for id, v := range All() {
		var err error
		switch f := v.(type) {
		case func() (*graph.Graph, error):
			_, err = f()
		case graph.Factory:
			_, err = graph.Dynamic(context.Background(), f)
		default:
			err = fmt.Errorf("a %T", v)
		}
		if err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func texts(t *testing.T, v any) []string {
	t.Helper()
	msgs, err := graph.ToMessages(v)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text())
	}
	return out
}

func TestAgent(t *testing.T) {
	store := &MemStore{}
	g := build(t, func() (*graph.Graph, error) { return agentWith(store) })
	cfg := graph.RunConfig{ThreadID: "t-agent", Configurable: map[string]any{"user_id": "u1", "thread_id": "t-agent"}}
	out, err := g.Invoke(context.Background(), graph.State{"messages": []any{map[string]any{"type": "human", "content": "foo"}}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"foo", "begin", "tool_call__begin", "end"}
	if got := texts(t, out["messages"]); !reflect.DeepEqual(got, want) {
		t.Errorf("messages %q, want %q", got, want)
	}
	if v, _ := out["sharedStateFromStoreConfig"].(map[string]any); v["id"] != "u1" {
		t.Errorf("sharedStateFromStoreConfig %v", out["sharedStateFromStoreConfig"])
	}
}

func TestAgentInterrupt(t *testing.T) {
	g := build(t, func() (*graph.Graph, error) { return agentWith(nil) })
	cfg := graph.RunConfig{ThreadID: "t-int", Checkpointer: checkpoint.NewMemory()}
	res, err := g.Stream(context.Background(), graph.State{"messages": "hi", "interrupt": true}, cfg, func(graph.Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "interrupted" || len(res.Interrupts) != 1 || res.Interrupts[0].Value != "i want to interrupt" {
		t.Errorf("result %+v", res)
	}
}

func TestAgentSimple(t *testing.T) {
	store := &MemStore{}
	g := build(t, func() (*graph.Graph, error) { return agentSimpleWith(store) })
	out, err := g.Invoke(context.Background(), graph.State{"messages": "hi"}, graph.RunConfig{ThreadID: "t-simple"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"hi", "begin", "tool_call__begin", "end\u2028"}
	if got := texts(t, out["messages"]); !reflect.DeepEqual(got, want) {
		t.Errorf("messages %q, want %q", got, want)
	}
	if v, _ := store.Get(context.Background(), []string{"ALL"}, "key_one"); v == nil {
		t.Error("no store write")
	}
}

func TestNested(t *testing.T) {
	out, err := build(t, Nested).Invoke(context.Background(), graph.State{"messages": []string{"input"}}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// As in LangGraph, each subgraph returns its whole "messages" and the
	// parent's concat reducer appends it again.
	want := []string{"input", "Entered gp_one node",
		"input", "Entered gp_one node", "Entered p_one node",
		"input", "Entered gp_one node", "Entered p_one node", "Entered c_one node", "Entered c_two node"}
	if got, _ := out["messages"].([]string); !reflect.DeepEqual(got, want) {
		t.Errorf("messages %q, want %q", out["messages"], want)
	}
}

func TestWeatherStopsInSubgraph(t *testing.T) {
	g := build(t, Weather)
	cfg := graph.RunConfig{ThreadID: "t-w", Checkpointer: checkpoint.NewMemory()}
	res, err := g.Stream(context.Background(), graph.State{"messages": "SF?"}, cfg, func(graph.Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "interrupted" {
		t.Errorf("status %q", res.Status)
	}
}

func TestError(t *testing.T) {
	_, err := build(t, Error).Invoke(context.Background(), graph.State{"messages": "x"}, graph.RunConfig{})
	if err == nil || graph.ErrorName(err) != "CustomError" {
		t.Errorf("err %v (%s)", err, graph.ErrorName(err))
	}
	var ce customError
	if !errors.As(err, &ce) {
		t.Errorf("not a customError: %v", err)
	}
}

func TestDelay(t *testing.T) {
	out, err := build(t, Delay).Invoke(context.Background(), graph.State{"messages": []any{}, "delay": 10}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(t, out["messages"]); !reflect.DeepEqual(got, []string{"finished after 10ms"}) {
		t.Errorf("messages %q", got)
	}
}

func TestSimpleRuntime(t *testing.T) {
	out, err := build(t, SimpleRuntime).Invoke(context.Background(), graph.State{"message": "hi"}, graph.RunConfig{Context: map[string]any{"model": "openai"}})
	if err != nil {
		t.Fatal(err)
	}
	if out["model"] != "openai" {
		t.Errorf("model %v", out["model"])
	}
}

func TestSmallGraphs(t *testing.T) {
	for name, c := range map[string]struct {
		f    func() (*graph.Graph, error)
		in   graph.State
		key  string
		want any
	}{
		"state_schema_graph": {StateSchemaGraph, graph.State{"messages": "hi"}, "count", 1.0},
		"zod_registry_graph": {ZodRegistryGraph, graph.State{"count": 0}, "status", "processing"},
		"plain_zod_graph":    {PlainZodGraph, graph.State{"counter": 1}, "label", "processed"},
	} {
		out, err := build(t, c.f).Invoke(context.Background(), c.in, graph.RunConfig{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(out[c.key], c.want) {
			t.Errorf("%s: %s = %#v, want %#v", name, c.key, out[c.key], c.want)
		}
	}
}

// TestSchemaExtras: the schema keys the suite reads from the fixtures'
// state schemas (enums, langgraph_type on a custom message reducer).
func TestSchemaExtras(t *testing.T) {
	prop := func(g *graph.Graph, key string) map[string]any {
		return g.Schemas().State["properties"].(map[string]any)[key].(map[string]any)
	}
	nested := build(t, Nested)
	parent := nested.Subgraphs()["gp_two"]
	if got := prop(parent, "parent")["enum"]; !reflect.DeepEqual(got, []string{"parent_one", "parent_two"}) {
		t.Errorf("parent enum %v", got)
	}
	if got := prop(parent.Subgraphs()["p_two"], "child")["enum"]; !reflect.DeepEqual(got, []string{"child_one", "child_two"}) {
		t.Errorf("child enum %v", got)
	}
	zr := build(t, ZodRegistryGraph)
	if prop(zr, "messages")["langgraph_type"] != "messages" || prop(zr, "status")["enum"] == nil {
		t.Errorf("zod_registry_graph schema %v", zr.Schemas().State)
	}
	if _, ok := prop(build(t, PlainZodGraph), "items")["langgraph_type"]; ok {
		t.Error("plain_zod_graph items has langgraph_type")
	}
}

// TestDynamic: the node is named by the run's configurable nodeName, and
// a single string is appended to messages as the suite's reducer does.
func TestDynamic(t *testing.T) {
	g, err := graph.Dynamic(context.Background(), Dynamic)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "runtime"} {
		cfg := graph.RunConfig{Configurable: map[string]any{"nodeName": name}}
		run, err := g.For(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		out, err := run.Invoke(context.Background(), graph.State{"messages": "input"}, cfg)
		want := cmp.Or(name, "default")
		if err != nil || out["node"] != want || fmt.Sprint(out["messages"]) != fmt.Sprint([]string{"input", want}) {
			t.Errorf("nodeName %q: %v, %v", name, out, err)
		}
	}
}
