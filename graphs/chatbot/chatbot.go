// Package chatbot is agentgate's built-in chatbot graph ("builtin:chatbot"):
// one node that answers the conversation with a chat model, streaming its
// reply token by token. With llm.Echo it needs no API key.
package chatbot

import (
	"context"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

// New compiles the chatbot graph around model.
func New(model llm.ChatModel) (*graph.Graph, error) {
	node := func(ctx context.Context, state graph.State) (any, error) {
		msgs, err := graph.ToMessages(state["messages"])
		if err != nil {
			return nil, err
		}
		reply, err := model.Stream(ctx, msgs, func(chunk graph.Message) { graph.StreamChunk(ctx, chunk) })
		if err != nil {
			return nil, err
		}
		return graph.State{"messages": []graph.Message{reply}}, nil
	}
	return graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode("chatbot", node).
		AddEdge(graph.START, "chatbot").
		AddEdge("chatbot", graph.END).
		Compile(graph.WithName("chatbot"))
}
