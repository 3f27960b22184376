package authz

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

func tokenAuth() *auth.Auth {
	tokens := map[string]string{"a": "alice", "b": "bob"}
	return auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		switch tok := r.BearerToken(); tok {
		case "panic":
			panic("boom")
		case "oops":
			return nil, errors.New("db down")
		case "nil":
			return nil, nil
		case "noid":
			return &auth.User{}, nil
		default:
			id, ok := tokens[tok]
			if !ok {
				return nil, auth.Unauthorized("Invalid token")
			}
			return &auth.User{Identity: id, Permissions: []string{"read"}, Extra: map[string]any{"email": id + "@x"}}, nil
		}
	})
}

func req(token string, hdr ...string) *http.Request {
	r := httptest.NewRequest("GET", "/threads", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	return r
}

func status(err error) int {
	var he *auth.HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	if err != nil {
		return 500
	}
	return 200
}

func TestNewRefusesInvalidAuth(t *testing.T) {
	if _, err := New(auth.New(), Options{}); err == nil {
		t.Fatal("an Auth without Authenticate was accepted")
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("nil Auth accepted")
	}
}

func TestAuthenticateOutcomes(t *testing.T) {
	e, err := New(tokenAuth(), Options{StudioAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		r    *http.Request
		want int
	}{
		{"valid", req("a"), 200},
		{"missing", req(""), 401},
		{"unknown", req("zzz"), 401},
		{"panic", req("panic"), 500},
		{"plain error", req("oops"), 500},
		{"nil user", req("nil"), 500},
		{"no identity", req("noid"), 500},
		{"studio", req("", "X-Auth-Scheme", "langsmith"), 200},
	}
	for _, c := range cases {
		id, err := e.Identify(context.Background(), c.r)
		if got := status(err); got != c.want {
			t.Errorf("%s: status %d (err %v), want %d", c.name, got, err, c.want)
		}
		if err == nil && (id == nil || id.User.Identity == "") {
			t.Errorf("%s: no identity", c.name)
		}
	}
	id, _ := e.Identify(context.Background(), req("a"))
	if id.User.DisplayName != "alice" || id.Permissions[0] != "read" || id.User.Extra["email"] != "alice@x" {
		t.Errorf("normalized user: %+v", id.User)
	}
	_, err = e.Identify(context.Background(), req("zzz"))
	var he *auth.HTTPError
	if !errors.As(err, &he) || he.Headers.Get("WWW-Authenticate") != "Bearer" || he.Message() != "Invalid token" {
		t.Errorf("401 lost its detail or headers: %#v", err)
	}
	noStudio, _ := New(tokenAuth(), Options{})
	if _, err := noStudio.Identify(context.Background(), req("", "X-Auth-Scheme", "langsmith")); status(err) != 401 {
		t.Errorf("studio header admitted without StudioAuth: %v", err)
	}
}

func TestAuthorizeResults(t *testing.T) {
	a := tokenAuth()
	a.On("threads:create", func(_ context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
		auth.SetMetadata(v, "owner", c.User.Identity)
		return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
	})
	a.On("threads:delete", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Deny(), nil })
	a.On("threads:read", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { panic("bad handler") })
	a.On("threads:search", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) {
		return auth.Filter(map[string]any{"owner": map[string]any{"$nope": 1}}), nil
	})
	a.On("threads:update", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) {
		return auth.Result{}, auth.Error(http.StatusTeapot, "short and stout")
	})
	a.On("store", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) {
		return auth.Result{}, errors.New("plain")
	})
	e, err := New(a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.WithIdentity(context.Background(), &auth.Identity{User: &auth.User{Identity: "alice"}})

	v := &auth.ThreadsCreate{ThreadID: "t"}
	s, err := e.Authorize(ctx, v)
	if err != nil || v.Metadata["owner"] != "alice" {
		t.Fatalf("create: err=%v metadata=%v", err, v.Metadata)
	}
	if !s.Match(map[string]any{"owner": "alice"}) || s.Match(map[string]any{"owner": "bob"}) {
		t.Error("create scope does not filter by owner")
	}
	cases := []struct {
		name string
		v    auth.Value
		want int
	}{
		{"deny", &auth.ThreadsDelete{}, 403},
		{"panic", &auth.ThreadsRead{}, 500},
		{"invalid filter", &auth.ThreadsSearch{}, 500},
		{"http error", &auth.ThreadsUpdate{}, 418},
		{"plain error", &auth.StorePut{}, 500},
	}
	for _, c := range cases {
		if _, err := e.Authorize(ctx, c.v); status(err) != c.want {
			t.Errorf("%s: status %d (%v), want %d", c.name, status(err), err, c.want)
		}
	}
	s, err = e.Authorize(ctx, &auth.AssistantsRead{})
	if err != nil || !s.Match(map[string]any{}) {
		t.Errorf("unhandled event should be allowed unfiltered: %v", err)
	}
	if _, err := e.Authorize(context.Background(), &auth.AssistantsRead{}); status(err) != 500 {
		t.Errorf("missing identity must fail closed, got %v", err)
	}
}

func TestAuthenticateRequestCarriesIdentityAndPathParams(t *testing.T) {
	var seen map[string]string
	var query, one string
	a := auth.New().Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		seen = r.PathParams()
		query, one = r.Query().Get("q"), r.PathParam("run_id")
		return &auth.User{Identity: "alice"}, nil
	})
	e, err := New(a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	var got *auth.Identity
	mux.HandleFunc("GET /threads/{thread_id}/runs/{run_id}", func(w http.ResponseWriter, r *http.Request) {
		ctx, err := e.Authenticate(r)
		if err != nil {
			t.Error(err)
			return
		}
		got, _ = auth.IdentityFrom(ctx)
	})
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/threads/t1/runs/r2?q=1", nil))
	if got == nil || got.User.Identity != "alice" {
		t.Fatalf("identity = %+v", got)
	}
	if seen["thread_id"] != "t1" || seen["run_id"] != "r2" || len(seen) != 2 || one != "r2" || query != "1" {
		t.Errorf("path params = %v, PathParam = %q, query q = %q", seen, one, query)
	}
}

func TestDeciderNamesTheRegisteredPattern(t *testing.T) {
	a := tokenAuth()
	a.On("threads:create", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil })
	a.On("threads", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil })
	a.On("*:read", func(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil })
	e, err := New(a, Options{StudioAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][3]string{
		{"threads", "create", "threads:create"},
		{"threads", "delete", "threads"},
		{"threads", "read", "threads"},
		{"assistants", "read", "*:read"},
		{"crons", "delete", ""},
	} {
		if got := e.Decider(c[0], c[1]); got != c[2] {
			t.Errorf("%s:%s decided by %q, want %q", c[0], c[1], got, c[2])
		}
	}
	// Studio admission notes itself as the authenticator.
	n := &auth.AuthnNote{}
	r := req("", "X-Auth-Scheme", "langsmith")
	if _, err := e.Identify(auth.WithAuthnNote(r.Context(), n), r); err != nil || n.Authenticator != "studio" {
		t.Fatalf("studio: %q %v", n.Authenticator, err)
	}
}
