// Package approval is agentgate's built-in human-in-the-loop graph
// ("builtin:approval"): it asks for approval with an interrupt and answers
// with the decision it was resumed with (Command{Resume: ...}).
package approval

import (
	"context"
	"fmt"

	"github.com/agentgate/agentgate/graph"
)

// New compiles the approval graph.
func New() (*graph.Graph, error) {
	node := func(ctx context.Context, state graph.State) (any, error) {
		msgs, err := graph.ToMessages(state["messages"])
		if err != nil {
			return nil, err
		}
		request := ""
		if len(msgs) > 0 {
			request = msgs[len(msgs)-1].Text()
		}
		decision, err := graph.Interrupt(ctx, map[string]any{"question": "Approve?", "request": request})
		if err != nil {
			return nil, err
		}
		reply := fmt.Sprintf("Decision on %q: %v", request, decision)
		return graph.State{"messages": []graph.Message{graph.AI(reply)}}, nil
	}
	return graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode("approve", node).
		AddEdge(graph.START, "approve").
		AddEdge("approve", graph.END).
		Compile(graph.WithName("approval"))
}
