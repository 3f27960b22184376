// Package agent is this project's graph, named in langgraph.json as
// "graphs": {"agent": "./agent:Graph"}. It keeps a conversation in the
// "messages" channel and answers each human message; replace respond with
// your own nodes (a chat model from the llm package, tools, interrupts).
package agent

import (
	"context"
	"fmt"

	"github.com/agentgate/agentgate/graph"
)

// Graph is what langgraph.json names.
var Graph = must(graph.New().
	AddChannel("messages", graph.Messages()).
	AddNode("respond", respond).
	AddEdge(graph.START, "respond").
	AddEdge("respond", graph.END).
	Compile(graph.WithName("agent")))

// respond answers the last message with a count of the conversation so far.
func respond(ctx context.Context, state graph.State) (any, error) {
	msgs, err := graph.ToMessages(state["messages"])
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("no messages: send {\"messages\": [{\"role\": \"user\", \"content\": \"...\"}]}")
	}
	reply := fmt.Sprintf("Message %d was: %s", len(msgs), msgs[len(msgs)-1].Text())
	return graph.State{"messages": []graph.Message{graph.AI(reply)}}, nil
}

func must(g *graph.Graph, err error) *graph.Graph {
	if err != nil {
		panic(err)
	}
	return g
}
