// Package graphs holds Go ports of the test graphs of the LangGraph JS API
// suite (langgraphjs libs/langgraph-api/tests/graphs): same graph ids,
// nodes, state keys, interrupts, subgraphs, errors, delays, store writes and
// runtime context, so that the official api.test.mts can be run against
// agentgate (see scripts/api-suite.sh and docs/compatibility.md). It is a
// test fixture: the product binary does not import it.
package graphs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/agentgate/agentgate/graph"
)

// All returns the suite's graphs by graph id, as cli.Program.Graphs.
func All() map[string]any {
	return map[string]any{
		"agent":              Agent,
		"agent_simple":       AgentSimple,
		"nested":             Nested,
		"weather":            Weather,
		"error":              Error,
		"delay":              Delay,
		"dynamic":            graph.Factory(Dynamic),
		"simple_runtime":     SimpleRuntime,
		"state_schema_graph": StateSchemaGraph,
		"zod_registry_graph": ZodRegistryGraph,
		"plain_zod_graph":    PlainZodGraph,
	}
}

// appendStrings is the suite's (a, b) => a.concat(b) reducer for string
// lists.
func appendStrings(cur, update []string) []string {
	out := make([]string, 0, len(cur)+len(update))
	return append(append(out, cur...), update...)
}

func stringList() graph.Channel { return graph.Reduce(appendStrings) }

// oneOf is a string channel whose schema lists its values.
func oneOf(values ...string) graph.Channel {
	return graph.WithSchema(graph.LastValue[string](), map[string]any{"enum": values})
}

// constNode returns a node writing one string to "messages".
func constNode(text string) graph.NodeFunc {
	return func(ctx context.Context, s graph.State) (any, error) {
		return graph.State{"messages": []string{text}}, nil
	}
}

// Nested is grandparent (gp_one, gp_two) > parent (p_one, p_two) > child
// (c_one, c_two), each node appending "Entered <node> node".
func Nested() (*graph.Graph, error) {
	child, err := graph.New().
		AddChannel("messages", stringList()).
		AddChannel("child", oneOf("child_one", "child_two")).
		AddNode("c_one", constNode("Entered c_one node")).
		AddNode("c_two", constNode("Entered c_two node")).
		AddEdge(graph.START, "c_one").AddEdge("c_one", "c_two").AddEdge("c_two", graph.END).
		Compile()
	if err != nil {
		return nil, err
	}
	parent, err := graph.New().
		AddChannel("messages", stringList()).
		AddChannel("parent", oneOf("parent_one", "parent_two")).
		AddNode("p_one", constNode("Entered p_one node")).
		AddSubgraph("p_two", child).
		AddEdge(graph.START, "p_one").AddEdge("p_one", "p_two").AddEdge("p_two", graph.END).
		Compile()
	if err != nil {
		return nil, err
	}
	return graph.New().
		AddChannel("messages", stringList()).
		AddNode("gp_one", constNode("Entered gp_one node")).
		AddSubgraph("gp_two", parent).
		AddEdge(graph.START, "gp_one").AddEdge("gp_one", "gp_two").AddEdge("gp_two", graph.END).
		Compile()
}

// Weather routes to a weather subgraph that stops before weather_node.
func Weather() (*graph.Graph, error) {
	weather, err := graph.New().
		AddChannel("messages", graph.Messages()).
		AddChannel("city", graph.LastValue[string]()).
		AddNode("model_node", func(ctx context.Context, s graph.State) (any, error) {
			call := graph.ToolCall{ID: "tool_call123", Name: "get_weather", Args: map[string]any{"city": "San Francisco"}}
			return graph.State{"city": call.Args["city"]}, nil
		}).
		AddNode("weather_node", func(ctx context.Context, s graph.State) (any, error) {
			city, _ := s["city"].(string)
			return graph.State{"messages": []graph.Message{graph.AI(fmt.Sprintf("It's sunny in %s!", city))}}, nil
		}).
		AddEdge(graph.START, "model_node").AddEdge("model_node", "weather_node").AddEdge("weather_node", graph.END).
		Compile(graph.WithInterruptBefore("weather_node"))
	if err != nil {
		return nil, err
	}
	return graph.New().
		AddChannel("messages", graph.Messages()).
		AddChannel("route", graph.LastValue[string]()).
		AddNode("router_node", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"route": "weather"}, nil
		}).
		AddNode("normal_llm_node", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"messages": []graph.Message{graph.AI("Hello")}}, nil
		}).
		AddSubgraph("weather_graph", weather).
		AddEdge(graph.START, "router_node").
		AddConditionalEdges("router_node", func(ctx context.Context, s graph.State) (any, error) {
			if s["route"] == "weather" {
				return "weather_graph", nil
			}
			return "normal_llm_node", nil
		}, map[string]string{"weather_graph": "weather_graph", "normal_llm_node": "normal_llm_node"}).
		AddEdge("weather_graph", graph.END).
		AddEdge("normal_llm_node", graph.END).
		Compile()
}

// customError is the suite's CustomError("Boo!").
type customError struct{}

func (customError) Error() string     { return "Boo!" }
func (customError) ErrorName() string { return "CustomError" }

// Error fails in its only node after a second.
func Error() (*graph.Graph, error) {
	return graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode("error_node", func(ctx context.Context, s graph.State) (any, error) {
			if err := sleep(ctx, 1000); err != nil {
				return nil, err
			}
			return nil, customError{}
		}).
		AddEdge(graph.START, "error_node").
		Compile()
}

// Delay sleeps "delay" milliseconds and then says so.
func Delay() (*graph.Graph, error) {
	return graph.New().
		AddChannel("messages", graph.Messages()).
		AddChannel("delay", graph.LastValue[float64]()).
		AddNode("long_running", func(ctx context.Context, s graph.State) (any, error) {
			d, _ := s["delay"].(float64)
			if err := sleep(ctx, d); err != nil {
				return nil, err
			}
			return graph.State{"messages": fmt.Sprintf("finished after %vms", d)}, nil
		}).
		AddEdge(graph.START, "long_running").AddEdge("long_running", graph.END).
		Compile()
}

// oneOrMany is a string list that a single string decodes into too.
type oneOrMany []string

func (o *oneOrMany) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*o = oneOrMany{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(o))
}

// Dynamic is the suite's config-dependent graph: one node named by the
// configurable "nodeName" ("default" without it), built per run.
func Dynamic(ctx context.Context, cfg graph.RunConfig) (*graph.Graph, error) {
	node, _ := cfg.Configurable["nodeName"].(string)
	if node == "" {
		node = "default"
	}
	return graph.New().
		AddChannel("node", graph.LastValue[string]()).
		AddChannel("messages", graph.Reduce(func(cur, u oneOrMany) oneOrMany { return append(cur, u...) })).
		AddNode(node, func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"node": node, "messages": node}, nil
		}).
		AddEdge(graph.START, node).AddEdge(node, graph.END).
		Compile()
}

// SimpleRuntime copies the run context's "model" into the state.
func SimpleRuntime() (*graph.Graph, error) {
	return graph.New().
		AddChannel("message", graph.LastValue[string]()).
		AddChannel("model", graph.LastValue[string]()).
		AddNode("use_context", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"model": graph.Info(ctx).Context["model"]}, nil
		}).
		AddEdge(graph.START, "use_context").
		Compile(graph.WithConfigSchema(modelSchema()), graph.WithContextSchema(modelSchema()))
}

// modelSchema is simple_runtime's context schema, which the JS server also
// reports as its config schema.
func modelSchema() map[string]any {
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"model": map[string]any{"type": "string", "enum": []any{"anthropic", "openai", "unknown"}},
		},
		"$schema": "http://json-schema.org/draft-07/schema#",
	}
}

func count(s graph.State, key string) float64 {
	n, _ := s[key].(float64)
	return n
}

// StateSchemaGraph: messages plus a counter, one "process" node.
func StateSchemaGraph() (*graph.Graph, error) {
	return graph.New().
		AddChannel("messages", graph.Messages()).
		AddChannel("count", graph.LastValue[float64]()).
		AddNode("process", func(ctx context.Context, s graph.State) (any, error) {
			n := count(s, "count")
			return graph.State{"messages": []graph.Message{graph.AI(fmt.Sprintf("Response %v", n+1))}, "count": n + 1}, nil
		}).
		AddEdge(graph.START, "process").AddEdge("process", graph.END).
		Compile()
}

// ZodRegistryGraph: string messages appended one at a time, a counter and
// a status.
func ZodRegistryGraph() (*graph.Graph, error) {
	return graph.New().
		AddChannel("messages", graph.WithSchema(stringList(), map[string]any{"langgraph_type": "messages"})).
		AddChannel("count", graph.LastValue[float64]()).
		AddChannel("status", oneOf("idle", "processing", "done")).
		AddNode("process", func(ctx context.Context, s graph.State) (any, error) {
			n := count(s, "count")
			return graph.State{"messages": []string{fmt.Sprintf("Message %v", n+1)}, "count": n + 1, "status": "processing"}, nil
		}).
		AddEdge(graph.START, "process").AddEdge("process", graph.END).
		Compile()
}

// PlainZodGraph: items, counter and label, all last-value.
func PlainZodGraph() (*graph.Graph, error) {
	return graph.New().
		AddChannel("items", graph.LastValue[[]string]()).
		AddChannel("counter", graph.LastValue[float64]()).
		AddChannel("label", graph.LastValue[string]()).
		AddNode("process", func(ctx context.Context, s graph.State) (any, error) {
			n := count(s, "counter")
			items, _ := s["items"].([]string)
			items = append(append([]string{}, items...), fmt.Sprintf("Item %v", n+1))
			return graph.State{"items": items, "counter": n + 1, "label": "processed"}, nil
		}).
		AddEdge(graph.START, "process").AddEdge("process", graph.END).
		Compile()
}
