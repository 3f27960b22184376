// Package chatbot is agentgate's built-in chatbot graph ("builtin:chatbot"):
// one node that answers the conversation with a chat model, streaming its
// reply token by token. With llm.Echo it needs no API key.
package chatbot

import (
	"context"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/models"
)

// New compiles the chatbot graph around model. When the run's caller is
// known (graph.ServerInfoFrom), the model is first told their display name
// in a system message, which is not stored in the state.
func New(model llm.ChatModel) (*graph.Graph, error) {
	node := func(ctx context.Context, state graph.State) (any, error) {
		msgs, err := graph.ToMessages(state["messages"])
		if err != nil {
			return nil, err
		}
		if p := CallerPrompt(ctx); p != "" {
			msgs = append([]graph.Message{graph.System(p)}, msgs...)
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

// NewWithModels compiles the built-in chatbot: each run answers with the
// model its configurable.model names (assistant or run config), else with
// the registry's default.
func NewWithModels(reg *models.Registry) (*graph.Graph, error) {
	return New(reg.RunModel())
}

// CallerPrompt is "You are talking to <display name>." for a run with an
// authenticated caller, else "".
func CallerPrompt(ctx context.Context) string {
	si, ok := graph.ServerInfoFrom(ctx)
	if !ok || si.User == nil || !si.User.IsAuthenticated || si.User.DisplayName == "" {
		return ""
	}
	return "You are talking to " + si.User.DisplayName + "."
}
