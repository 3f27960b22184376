// Package agent is a graph that uses the caller's credentials: it reads the
// GitHub token that authentication put on the user and says which user it
// acts for (never the token itself).
package agent

import (
	"context"
	"fmt"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/graph"
)

// Graph is what langgraph.json names: "graphs": {"agent": "./agent:Graph"}.
var Graph = must(graph.New().
	AddChannel("messages", graph.Messages()).
	AddNode("agent", respond).
	AddEdge(graph.START, "agent").
	AddEdge("agent", graph.END).
	Compile(graph.WithName("agent")))

func respond(ctx context.Context, state graph.State) (any, error) {
	var user map[string]any
	switch u := graph.Info(ctx).Configurable["langgraph_auth_user"].(type) {
	case map[string]any:
		user = u
	case *auth.User:
		user = u.Map()
	}
	token, _ := user["github_token"].(string)
	if token == "" {
		return nil, fmt.Errorf("no GitHub token for this user")
	}
	reply := fmt.Sprintf("Acting on GitHub as %v with a token of %d characters.", user["identity"], len(token))
	return graph.State{"messages": []graph.Message{graph.AI(reply)}}, nil
}

func must(g *graph.Graph, err error) *graph.Graph {
	if err != nil {
		panic(err)
	}
	return g
}
