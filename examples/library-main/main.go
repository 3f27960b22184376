// Command library-main is agentgate in library mode: your own main hands
// your graphs and your *auth.Auth to the agentgate CLI, and gets every
// command (dev, serve, auth check, ...) with them, without langgraph.json
// naming Go packages and without a generated build.
//
//	go run ./examples/library-main dev --memory
//	curl -s localhost:2024/threads -H 'Authorization: Bearer user1-token' -H 'Content-Type: application/json' -d '{}'
package main

import (
	"os"

	"github.com/agentgate/agentgate/cli"
	"github.com/agentgate/agentgate/examples/auth-part2-private/security"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/llm"
)

func main() {
	os.Exit(cli.Main(cli.Program{
		Graphs: map[string]any{
			"chatbot": func() (*graph.Graph, error) { return chatbot.New(llm.Echo{}) },
		},
		Auth: security.Auth,
	}, os.Args[1:]))
}
