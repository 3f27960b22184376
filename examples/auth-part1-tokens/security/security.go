// Package security is part 1 of the LangGraph custom-auth tutorial in Go:
// a table of bearer tokens. A request without a known token gets 401.
package security

import (
	"context"

	"github.com/agentgate/agentgate/auth"
)

// users maps tokens to identities. A real deployment verifies tokens with
// an identity provider (see part 3).
var users = map[string]string{
	"user1-token": "user1",
	"user2-token": "user2",
}

// Auth is what langgraph.json names: "auth": {"path": "./security:Auth"}.
var Auth = auth.New().Authenticate(authenticate)

func authenticate(ctx context.Context, r *auth.Request) (*auth.User, error) {
	id, ok := users[r.BearerToken()]
	if !ok {
		return nil, auth.Unauthorized("Invalid token")
	}
	return &auth.User{Identity: id}, nil
}
