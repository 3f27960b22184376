package security

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
)

// fakeSupabase answers GET /auth/v1/user like Supabase does.
func fakeSupabase(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/auth/v1/user" || r.Header.Get("apiKey") != "service-key" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		switch r.Header.Get("Authorization") {
		case "Bearer alice-jwt":
			w.Write([]byte(`{"id":"0b3c-alice","email":"alice@example.com","role":"authenticated"}`))
		default:
			http.Error(w, `{"msg":"invalid JWT"}`, http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestUserInfo(t *testing.T) {
	srv := fakeSupabase(t)
	e, err := authz.New(New(srv.URL, "service-key", srv.Client()), authz.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := func(token string) *http.Request {
		r := httptest.NewRequest("GET", "/threads", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		return r
	}
	id, err := e.Identify(context.Background(), req("alice-jwt"))
	if err != nil {
		t.Fatal(err)
	}
	if id.User.Identity != "0b3c-alice" || id.User.Extra["email"] != "alice@example.com" {
		t.Errorf("user = %+v", id.User)
	}
	var he *auth.HTTPError
	for _, tok := range []string{"", "mallory-jwt"} {
		if _, err := e.Identify(context.Background(), req(tok)); !errors.As(err, &he) || he.Status != 401 {
			t.Errorf("%q: want 401, got %v", tok, err)
		}
	}
	srv.Close()
	if _, err := e.Identify(context.Background(), req("alice-jwt")); !errors.As(err, &he) || he.Status != 503 {
		t.Errorf("provider down: want 503, got %v", err)
	}
}
