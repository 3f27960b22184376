// Package chatbot is this project's graph, named in langgraph.json as
// "graphs": {"chatbot": "./chatbot:New"}. One node answers the
// conversation with a chat model and streams the reply token by token.
package chatbot

import (
	"context"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/models"
)

// New builds the graph on the model the run names in configurable.model,
// else AGENTGATE_MODEL, else the provider whose API key is set, else the
// echo model (see .env.example).
func New() (*graph.Graph, error) {
	reg, err := models.NewRegistry(nil)
	if err != nil {
		return nil, err
	}
	return Build(reg.RunModel())
}

// Build compiles the graph around model; tests pass their own.
func Build(model llm.ChatModel) (*graph.Graph, error) {
	respond := func(ctx context.Context, state graph.State) (any, error) {
		msgs, err := graph.ToMessages(state["messages"])
		if err != nil {
			return nil, err
		}
		// The authenticated caller, as LangGraph's runtime.server_info.
		if si, ok := graph.ServerInfoFrom(ctx); ok && si.User != nil && si.User.DisplayName != "" {
			msgs = append([]graph.Message{graph.System("You are talking to " + si.User.DisplayName + ".")}, msgs...)
		}
		reply, err := model.Stream(ctx, msgs, func(chunk graph.Message) { graph.StreamChunk(ctx, chunk) })
		if err != nil {
			return nil, err
		}
		return graph.State{"messages": []graph.Message{reply}}, nil
	}
	return graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode("chatbot", respond).
		AddEdge(graph.START, "chatbot").
		AddEdge("chatbot", graph.END).
		Compile(graph.WithName("chatbot"))
}
