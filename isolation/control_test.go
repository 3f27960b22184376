package isolation_test

import (
	"context"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/server"
)

// openSetup authenticates like the owner preset but authorizes everything:
// the fail-open server the suite exists to catch.
var openSetup = setup{name: "open", auth: func(*testing.T) *auth.Auth {
	users := map[string]string{"alice-token": "alice", "bob-token": "bob"}
	return auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		id, ok := users[r.BearerToken()]
		if !ok {
			return nil, auth.Unauthorized("Invalid token")
		}
		return &auth.User{Identity: id}, nil
	}).On("*", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil })
}, a: user{"alice-token", "alice"}, b: user{"bob-token", "bob"}}

// TestSuiteCatchesAFailOpenServer runs the suite against a server whose
// policy allows everything, one route at a time on a fresh world, and
// requires a problem for every protected route: its response flagged, or
// (for writes that answer 204) A's view changed.
func TestSuiteCatchesAFailOpenServer(t *testing.T) {
	srv, base := start(t, openSetup, stores[0])
	for _, rt := range srv.Routes() {
		if !rt.Protected {
			continue
		}
		problems := attackAll(t, srv, base, openSetup, []server.Route{rt})
		if len(problems) == 0 {
			t.Errorf("the suite did not flag %s on a fail-open server", key(rt))
		}
	}
}
