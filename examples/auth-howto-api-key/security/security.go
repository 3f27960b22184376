// Package security is the "pass tokens to your agent" how-to in Go: clients
// send an x-api-key header, and the user it maps to carries a GitHub token
// that the agent reads from its config (configurable.langgraph_auth_user).
package security

import (
	"context"

	"github.com/agentgate/agentgate/auth"
)

type account struct{ identity, githubToken string }

var keys = map[string]account{
	"key-alice": {"alice", "ghp_alice_example_token"},
	"key-bob":   {"bob", "ghp_bob_example_token"},
}

// Auth is what langgraph.json names: "auth": {"path": "./security:Auth"}.
var Auth = auth.New().
	Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		acct, ok := keys[r.Header("x-api-key")]
		if !ok {
			return nil, auth.Unauthorized("Invalid API key")
		}
		return &auth.User{Identity: acct.identity, Extra: map[string]any{"github_token": acct.githubToken}}, nil
	}).
	On("*", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
		if c.Resource == auth.Store {
			return auth.Result{}, auth.Forbidden("The store is not used in this example")
		}
		auth.SetMetadata(v, "owner", c.User.Identity)
		return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
	})
