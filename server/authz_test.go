package server

import (
	"context"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
	"github.com/agentgate/agentgate/storage"
)

// tutorialAuth is the custom-auth tutorial in Go: bearer tokens, owner
// stamping and filtering on every resource, private store namespaces.
func tutorialAuth(t *testing.T) *authz.Enforcer {
	t.Helper()
	users := map[string]string{"tok-alice": "alice", "tok-bob": "bob"}
	a := auth.New().
		Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
			id, ok := users[r.BearerToken()]
			if !ok {
				return nil, auth.Unauthorized("Invalid token")
			}
			return &auth.User{Identity: id}, nil
		}).
		On("*", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
			auth.SetMetadata(v, "owner", c.User.Identity)
			return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
		}).
		On("store", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
			me := c.User.Identity
			switch sv := v.(type) {
			case *auth.StorePut:
				sv.Namespace = append([]string{me}, sv.Namespace...)
			case *auth.StoreGet:
				sv.Namespace = append([]string{me}, sv.Namespace...)
			case *auth.StoreDelete:
				sv.Namespace = append([]string{me}, sv.Namespace...)
			case *auth.StoreSearch:
				sv.Namespace = append([]string{me}, sv.Namespace...)
			case *auth.StoreListNamespaces:
				sv.Namespace = append([]string{me}, sv.Namespace...)
			}
			return auth.Filter(map[string]any{"namespace": map[string]any{"$contains": me}}), nil
		})
	e, err := authz.New(a, authz.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestIsolationWithAuthz runs the isolation check through the real auth
// and authz packages, as cmd/agentgate wires them.
func TestIsolationWithAuthz(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		e := tutorialAuth(t)
		ts := newTestServer(t, Options{Store: st, Authenticator: e, Authorizer: e})
		checkIsolation(t, ts, []string{"Authorization", "Bearer tok-alice"}, []string{"Authorization", "Bearer tok-bob"})

		r := ts.ok(401, "POST", "/threads/search", nil, "Authorization", "Bearer nope")
		if d := r.detail(t); d != "Invalid token" || r.header.Get("WWW-Authenticate") != "Bearer" {
			t.Fatalf("401 %s %v", r.body, r.header)
		}
		ts.ok(200, "GET", "/info", nil)
	})
}
