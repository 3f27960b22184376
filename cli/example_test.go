package cli_test

import (
	"context"
	"os"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/cli"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/llm"
)

// Library mode: a main package of your own passes its graphs and auth to
// the agentgate command line (run it as "go run . dev").
func ExampleMain() {
	security := auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		if r.BearerToken() != os.Getenv("MY_TOKEN") || r.BearerToken() == "" {
			return nil, auth.Unauthorized("Invalid token")
		}
		return &auth.User{Identity: "me"}, nil
	})
	agent := func() (*graph.Graph, error) { return chatbot.New(llm.Echo{}) }

	if false { // main would do this; the example only compiles
		os.Exit(cli.Main(cli.Program{Graphs: map[string]any{"agent": agent}, Auth: security}, os.Args[1:]))
	}
}
