package server

import (
	"io"
	"net/http"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

// TestAppAuth: with AppAuth (http.enable_custom_route_auth), custom routes
// need credentials and see the caller; the API's open routes stay open and
// its protected ones keep their own checks. Without it they are public.
func TestAppAuth(t *testing.T) {
	e := tutorialAuth(t)
	app := func(api http.Handler) http.Handler {
		return appMux(api, map[string]http.HandlerFunc{
			"GET /whoami": func(w http.ResponseWriter, r *http.Request) {
				id, ok := auth.IdentityFrom(r.Context())
				if !ok || id.User == nil {
					_, _ = io.WriteString(w, "anonymous")
					return
				}
				_, _ = io.WriteString(w, id.User.Identity)
			},
		})
	}
	alice := []string{"Authorization", "Bearer tok-alice"}

	on := newTestServer(t, Options{Authenticator: e, Authorizer: e, App: app, AppAuth: true})
	on.ok(401, "GET", "/whoami", nil)
	on.ok(401, "GET", "/whoami", nil, "Authorization", "Bearer forged")
	if got := string(on.ok(200, "GET", "/whoami", nil, alice...).body); got != "alice" {
		t.Errorf("custom route sees %q, want alice", got)
	}
	on.ok(401, "GET", "/not-a-route", nil) // credentials first, as any custom route
	on.ok(200, "GET", "/ok", nil)
	on.ok(200, "GET", "/info", nil)
	on.ok(401, "POST", "/threads/search", map[string]any{})
	on.ok(200, "POST", "/threads/search", map[string]any{}, alice...)

	off := newTestServer(t, Options{Authenticator: e, Authorizer: e, App: app})
	if got := string(off.ok(200, "GET", "/whoami", nil).body); got != "anonymous" {
		t.Errorf("custom route without AppAuth sees %q", got)
	}
	off.ok(401, "POST", "/threads/search", map[string]any{})
}

// TestAppCannotForgeAnIdentity: an identity the custom routes put in the
// request context does not reach the API: its routes authenticate the
// request themselves.
func TestAppCannotForgeAnIdentity(t *testing.T) {
	e := tutorialAuth(t)
	ts := newTestServer(t, Options{Authenticator: e, Authorizer: e, App: func(api http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			forged := &auth.Identity{User: &auth.User{Identity: "alice"}}
			api.ServeHTTP(w, r.WithContext(auth.WithIdentity(r.Context(), forged)))
		})
	}})
	ts.createThread(map[string]any{"k": "v"}, "Authorization", "Bearer tok-alice")
	ts.ok(401, "POST", "/threads/search", map[string]any{})
	var bob []map[string]any
	ts.ok(200, "POST", "/threads/search", map[string]any{}, "Authorization", "Bearer tok-bob").json(t, &bob)
	if len(bob) != 0 {
		t.Fatalf("bob with a forged alice identity sees %v", bob)
	}
}
