package graph_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/graph"
)

func TestDraw(t *testing.T) {
	b := graph.New().AddChannel("messages", graph.Messages()).
		AddNode("agent", noop).AddNode("tools", noop).
		AddEdge(graph.START, "agent").
		AddConditionalEdges("agent", func(context.Context, graph.State) (any, error) { return graph.END, nil },
			map[string]string{"continue": "tools", graph.END: graph.END}).
		AddEdge("tools", "agent")
	g := mustCompile(t, b)
	d := jsonOf(t, g.Draw()).(map[string]any)
	var ids []string
	for _, n := range d["nodes"].([]any) {
		ids = append(ids, n.(map[string]any)["id"].(string))
	}
	if diff := cmp.Diff([]string{"__start__", "agent", "tools", "__end__"}, ids); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	want := []any{
		map[string]any{"source": "__start__", "target": "agent"},
		map[string]any{"source": "agent", "target": "__end__", "conditional": true},
		map[string]any{"source": "agent", "target": "tools", "conditional": true, "data": "continue"},
		map[string]any{"source": "tools", "target": "agent"},
	}
	if diff := cmp.Diff(want, d["edges"]); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

func TestSchemas(t *testing.T) {
	b := graph.New().AddChannel("messages", graph.Messages()).AddChannel("count", graph.LastValue[int]()).
		AddNode("agent", noop).AddEdge(graph.START, "agent")
	g := mustCompile(t, b, graph.WithName("chat"), graph.WithContextSchema(map[string]any{"type": "object", "properties": map[string]any{"model": map[string]any{"type": "string"}}}))
	s := jsonOf(t, g.Schemas()).(map[string]any)
	props := s["state_schema"].(map[string]any)["properties"].(map[string]any)
	if props["messages"].(map[string]any)["type"] != "array" || props["count"].(map[string]any)["type"] != "integer" {
		t.Errorf("state properties = %v", props)
	}
	if s["input_schema"].(map[string]any)["title"] != "chatInput" {
		t.Errorf("input schema = %v", s["input_schema"])
	}
	if s["context_schema"].(map[string]any)["properties"].(map[string]any)["model"] == nil {
		t.Errorf("context schema = %v", s["context_schema"])
	}
	if s["config_schema"].(map[string]any)["type"] != "object" {
		t.Errorf("config schema = %v", s["config_schema"])
	}
}

func TestSubgraphsListed(t *testing.T) {
	inner := mustCompile(t, graph.New().AddChannel("x", graph.LastValue[int]()).AddNode("i", noop).AddEdge(graph.START, "i"))
	outer := mustCompile(t, graph.New().AddChannel("x", graph.LastValue[int]()).AddSubgraph("child", inner).AddNode("plain", noop).
		AddEdge(graph.START, "child").AddEdge("child", "plain"))
	subs := outer.Subgraphs()
	if len(subs) != 1 || subs["child"] != inner {
		t.Errorf("subgraphs = %v", subs)
	}
	d := jsonOf(t, outer.Draw()).(map[string]any)
	if d["nodes"].([]any)[1].(map[string]any)["data"].(map[string]any)["id"].([]any)[2] != "CompiledStateGraph" {
		t.Errorf("subgraph node drawn as %v", d["nodes"].([]any)[1])
	}
}

func TestChannelSchemaExtras(t *testing.T) {
	concat := func(cur, u []string) []string { return append(cur, u...) }
	b := graph.New().
		AddChannel("messages", graph.Messages()).
		AddChannel("lines", graph.WithSchema(graph.Reduce(concat), map[string]any{"langgraph_type": "messages"})).
		AddChannel("mode", graph.WithSchema(graph.LastValue[string](), map[string]any{"enum": []string{"a", "b"}})).
		AddChannel("plain", graph.Reduce(concat)).
		AddNode("n", func(context.Context, graph.State) (any, error) {
			return graph.State{"mode": "b", "lines": []string{"x"}}, nil
		}).
		AddEdge(graph.START, "n")
	g := mustCompile(t, b)
	props := jsonOf(t, g.Schemas()).(map[string]any)["state_schema"].(map[string]any)["properties"].(map[string]any)
	want := map[string]any{
		"messages": map[string]any{"title": "messages", "type": "array", "items": map[string]any{"type": "object"}, "langgraph_type": "messages"},
		"lines":    map[string]any{"title": "lines", "type": "array", "langgraph_type": "messages"},
		"mode":     map[string]any{"title": "mode", "type": "string", "enum": []any{"a", "b"}},
		"plain":    map[string]any{"title": "plain", "type": "array"},
	}
	if diff := cmp.Diff(want, props); diff != "" {
		t.Errorf("state properties (-want +got):\n%s", diff)
	}
	// The wrapped channels still behave as the channels they wrap.
	out, err := g.Invoke(context.Background(), graph.State{"lines": []string{"w"}}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(graph.State{"messages": []graph.Message{}, "lines": []string{"w", "x"}, "mode": "b", "plain": []string{}}, out); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}
