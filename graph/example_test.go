package graph_test

import (
	"context"
	"fmt"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

func Example_chatbot() {
	ctx := context.Background()
	g, err := graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode("chat", func(ctx context.Context, s graph.State) (any, error) {
			msgs := s["messages"].([]graph.Message)
			return graph.State{"messages": graph.AI("You said: " + msgs[len(msgs)-1].Text())}, nil
		}).
		AddEdge(graph.START, "chat").
		Compile()
	if err != nil {
		panic(err)
	}
	out, err := g.Invoke(ctx, graph.State{"messages": "hi"}, graph.RunConfig{})
	if err != nil {
		panic(err)
	}
	for _, m := range out["messages"].([]graph.Message) {
		fmt.Println(m.Type, m.Text())
	}
	// Output:
	// human hi
	// ai You said: hi
}

func ExampleInterrupt() {
	ctx := context.Background()
	g, _ := graph.New().
		AddChannel("answer", graph.LastValue[string]()).
		AddNode("ask", func(ctx context.Context, s graph.State) (any, error) {
			name, err := graph.Interrupt(ctx, "What is your name?")
			if err != nil {
				return nil, err
			}
			return graph.State{"answer": "Hello, " + name.(string)}, nil
		}).
		AddEdge(graph.START, "ask").
		Compile()
	cfg := graph.RunConfig{ThreadID: "thread-1", Checkpointer: checkpoint.NewMemory()}
	res, _ := g.Stream(ctx, graph.State{}, cfg, nil)
	fmt.Println(res.Status, res.Interrupts[0].Value)
	out, _ := g.Invoke(ctx, graph.Command{Resume: "Ada"}, cfg)
	fmt.Println(out["answer"])
	// Output:
	// interrupted What is your name?
	// Hello, Ada
}
