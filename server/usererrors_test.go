package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
	"github.com/agentgate/agentgate/storage"
)

// failWith is an HTTPError with status s (from a header), a detail and a
// Location header that must never reach the client.
func failWith(s string) *auth.HTTPError {
	n, _ := strconv.Atoi(s)
	return &auth.HTTPError{Status: n, Detail: "user code detail",
		Headers: http.Header{"Location": {"https://evil.example/"}}}
}

// failingEnforcer's Authenticate fails as X-Authn-Fail says, and its
// threads:search handler as X-Handler-Fail says ("panic" panics).
func failingEnforcer(t *testing.T) *authz.Enforcer {
	t.Helper()
	a := auth.New().
		Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
			switch s := r.Header("X-Authn-Fail"); s {
			case "":
				return &auth.User{Identity: "alice", Extra: map[string]any{"fail": r.Header("X-Handler-Fail")}}, nil
			case "panic":
				panic("authenticate bug")
			default:
				return nil, failWith(s)
			}
		}).
		On("threads:search", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
			switch s, _ := c.User.Extra["fail"].(string); s {
			case "":
				return auth.Allow(), nil
			case "panic":
				panic("handler bug")
			default:
				return auth.Result{}, failWith(s)
			}
		})
	e, err := authz.New(a, authz.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Only 4xx and 5xx statuses of user code reach the client: any other
// status, from Authenticate or a handler, is a logged 500; a panic is too,
// and the server stays up.
func TestUserHTTPErrorStatuses(t *testing.T) {
	e := failingEnforcer(t)
	ts := newTestServer(t, Options{Authenticator: e, Authorizer: e})
	for _, where := range []string{"X-Authn-Fail", "X-Handler-Fail"} {
		for _, s := range []string{"200", "204", "302", "0", "399", "600", "-1"} {
			r := ts.ok(500, "POST", "/threads/search", map[string]any{}, where, s)
			if d := r.detail(t); d != "Internal Server Error" || r.header.Get("Location") != "" {
				t.Errorf("%s %s: detail %q, Location %q", where, s, d, r.header.Get("Location"))
			}
			if !strings.Contains(ts.logs.String(), "status "+s+" (only 400-599") {
				t.Errorf("%s %s: cause not logged:\n%s", where, s, ts.logs)
			}
		}
		for _, s := range []string{"400", "418", "503", "599"} {
			r := ts.ok(mustAtoi(t, s), "POST", "/threads/search", map[string]any{}, where, s)
			if d := r.detail(t); d != "user code detail" {
				t.Errorf("%s %s: detail %q", where, s, d)
			}
		}
		r := ts.ok(500, "POST", "/threads/search", map[string]any{}, where, "panic")
		if d := r.detail(t); d != "Internal Server Error" {
			t.Errorf("%s panic: detail %q", where, d)
		}
		ts.ok(200, "POST", "/threads/search", map[string]any{}) // still up
	}
	for _, bug := range []string{"authenticate bug", "handler bug"} {
		if !strings.Contains(ts.logs.String(), bug) {
			t.Errorf("panic %q not logged", bug)
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The server's own mapping refuses non-error statuses too, for an
// Authenticator or Authorizer that is not the enforcer.
func TestServerHTTPErrorStatuses(t *testing.T) {
	status := func(r *http.Request) int { return mustAtoi(t, r.Header.Get("X-Status")) }
	authn := AuthenticatorFunc(func(r *http.Request) (context.Context, error) {
		if r.Header.Get("X-Status") == "" {
			return r.Context(), nil
		}
		return nil, &HTTPError{Status: status(r), Detail: "server detail", Headers: http.Header{"Location": {"https://evil.example/"}}}
	})
	ts := newTestServer(t, Options{Authenticator: authn, Authorizer: allowAll{}})
	for _, s := range []string{"200", "302", "0", "600"} {
		r := ts.ok(500, "POST", "/threads/search", map[string]any{}, "X-Status", s)
		if d := r.detail(t); d != "Internal Server Error" || r.header.Get("Location") != "" {
			t.Errorf("status %s: detail %q, Location %q", s, d, r.header.Get("Location"))
		}
	}
	if !strings.Contains(ts.logs.String(), "302: server detail") {
		t.Errorf("cause not logged:\n%s", ts.logs)
	}
	ts.ok(401, "POST", "/threads/search", map[string]any{}, "X-Status", "401")
	ts.ok(200, "POST", "/threads/search", map[string]any{})

	// And an Authorizer returning one.
	ts = newTestServer(t, Options{Authorizer: authorizerFunc(func(context.Context, auth.Value) (storage.Scope, error) {
		return storage.Scope{}, &HTTPError{Status: http.StatusFound, Headers: http.Header{"Location": {"https://evil.example/"}}}
	})})
	if r := ts.ok(500, "POST", "/threads/search", map[string]any{}); r.header.Get("Location") != "" {
		t.Errorf("Location leaked: %v", r.header)
	}
}

type authorizerFunc func(ctx context.Context, v auth.Value) (storage.Scope, error)

func (f authorizerFunc) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	return f(ctx, v)
}
