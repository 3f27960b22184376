// Package security is this project's custom auth, named in langgraph.json
// as "auth": {"path": "./security:Auth"}. Authenticate turns a bearer token
// into a user; the handler on "*" stamps metadata.owner on what a user
// creates and filters every read, search and update by it, so each user
// sees only their own threads (others get 404). Store namespaces must
// start with the user's identity.
package security

import (
	"context"

	"github.com/agentgate/agentgate/auth"
)

// users maps demo bearer tokens to identities. Replace it with a real
// check (a database, a JWT, your identity provider) before deploying.
var users = map[string]string{
	"user1-token": "user1",
	"user2-token": "user2",
}

// Auth is what langgraph.json names.
var Auth = auth.New().
	Authenticate(authenticate).
	On("*", addOwner)

func authenticate(ctx context.Context, r *auth.Request) (*auth.User, error) {
	id, ok := users[r.BearerToken()]
	if !ok {
		return nil, auth.Unauthorized("Invalid token")
	}
	return &auth.User{Identity: id}, nil
}

// addOwner decides every event: it stamps the owner on what is written and
// filters what is read; store namespaces must start with the identity.
func addOwner(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
	if c.Resource == auth.Store {
		if ns, _ := auth.StoreNamespace(v); len(ns) == 0 || ns[0] != c.User.Identity {
			return auth.Result{}, auth.Forbidden("Not authorized")
		}
		return auth.Allow(), nil
	}
	auth.SetMetadata(v, "owner", c.User.Identity)
	return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
}
