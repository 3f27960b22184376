// Package security is the scoped variant of the tutorial's part 2: one
// handler per event instead of one for everything. Threads are private to
// their creator, assistants cannot be created or searched by anyone (403),
// and the store is open only under the caller's own namespace.
package security

import (
	"context"

	"github.com/agentgate/agentgate/auth"
)

var users = map[string]string{
	"user1-token": "user1",
	"user2-token": "user2",
}

// Auth is what langgraph.json names: "auth": {"path": "./security:Auth"}.
var Auth = newAuth()

func newAuth() *auth.Auth {
	a := auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		id, ok := users[r.BearerToken()]
		if !ok {
			return nil, auth.Unauthorized("Invalid token")
		}
		return &auth.User{Identity: id}, nil
	})
	auth.On(a, "threads:create", func(ctx context.Context, c *auth.Context, v *auth.ThreadsCreate) (auth.Result, error) {
		auth.SetMetadata(v, "owner", c.User.Identity)
		return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
	})
	// Reads, searches, updates, deletes and runs of threads are all limited
	// to the caller's own threads.
	a.On("threads", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
		auth.SetMetadata(v, "owner", c.User.Identity)
		return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
	})
	a.On("assistants", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
		return auth.Result{}, auth.Forbidden("User lacks the required permissions.")
	})
	a.On("store", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
		ns, _ := auth.StoreNamespace(v)
		if len(ns) == 0 || ns[0] != c.User.Identity {
			return auth.Result{}, auth.Forbidden("Not authorized")
		}
		return auth.Allow(), nil
	})
	return a
}
