package isolation_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
	"github.com/agentgate/agentgate/server"
	"github.com/agentgate/agentgate/storage"
)

// skipping is an enforcer with one route's authorization disabled for the
// attacker: every event that route raises for user gets an unrestricted
// scope, as if its handler had forgotten to ask. Everything else (A's
// seeding included) is decided as usual.
type skipping struct {
	*authz.Enforcer
	route, user string
}

type routeKey struct{}

func (e skipping) Authenticate(r *http.Request) (context.Context, error) {
	ctx, err := e.Enforcer.Authenticate(r)
	if err != nil {
		return nil, err
	}
	return context.WithValue(ctx, routeKey{}, r.Pattern), nil
}

func (e skipping) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	id, _ := auth.IdentityFrom(ctx)
	if p, _ := ctx.Value(routeKey{}).(string); p == e.route && id != nil && id.User.Identity == e.user {
		res, act := v.Event()
		return storage.Authorized(storage.Event{Resource: res, Action: act}), nil
	}
	return e.Enforcer.Authorize(ctx, v)
}

// unobservable are the routes whose authorization, when skipped, changes
// nothing another user can observe, with the reason. Only thread creation:
// unstamped, B's new thread is hidden from everyone, B included (the suite
// cannot even seed B's own thread then).
var unobservable = map[string]string{
	"POST /threads": "creates B's own thread, which the owner policy then hides from B too",
}

// TestIsolationCatchesASkippedRoute is the suite's mutation check: for each
// protected route in turn, its authorization is skipped and the route's
// attacks must then find a problem. A route whose skipped authorization
// goes unnoticed has attacks too weak to protect it.
func TestIsolationCatchesASkippedRoute(t *testing.T) {
	s, sk := setups[0], stores[0]
	probe, _ := start(t, s, sk)
	for _, rt := range probe.Routes() {
		if !rt.Protected {
			continue
		}
		why, exempt := unobservable[key(rt)]
		if exempt {
			t.Logf("%s not checked: %s", key(rt), why)
			continue
		}
		t.Run(key(rt), func(t *testing.T) {
			srv, base := startWith(t, s, sk, func(e *authz.Enforcer) enforcer { return skipping{e, key(rt), s.b.identity} })
			if problems := attackAll(t, srv, base, s, []server.Route{rt}); len(problems) == 0 {
				t.Errorf("with its authorization skipped, %s passes the suite: its attacks are too weak", key(rt))
			}
		})
	}
}
