package authn

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// supabase is a local stand-in for GET /auth/v1/user: it knows one token
// and requires the project's apikey header.
func supabase(t *testing.T, mode *atomic.Value, calls *atomic.Int64) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/v1/user", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch mode.Load().(string) {
		case "500":
			http.Error(w, "boom", 500)
			return
		case "slow":
			time.Sleep(1500 * time.Millisecond)
		case "redirect":
			http.Redirect(w, r, "https://elsewhere.example/steal", http.StatusFound)
			return
		case "garbage":
			w.Write([]byte("<html>"))
			return
		}
		if r.Header.Get("apikey") != "anon-key" {
			http.Error(w, `{"msg":"no apikey"}`, 401)
			return
		}
		if r.Header.Get("Authorization") != "Bearer user-access-token" {
			http.Error(w, `{"msg":"invalid JWT"}`, 403)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "8d0f-uuid", "email": "alice@example.com", "role": "authenticated",
			"app_metadata": map[string]any{"provider": "email", "roles": []string{"editor"}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestUserInfo(t *testing.T) {
	var mode atomic.Value
	mode.Store("ok")
	var calls atomic.Int64
	srv := supabase(t, &mode, &calls)
	conf := fmt.Sprintf(`{"authenticators":[{"type":"userinfo","url":%q,"headers_from_env":{"apikey":"SUPABASE_ANON_KEY"},
		"timeout_seconds":1,"claims":{"identity":"id","display_name":"email","permissions":["app_metadata.roles"],"extra":["email","role","app_metadata.provider"]}}]}`,
		srv.URL+"/auth/v1/user")
	opts := BuildOptions{Getenv: func(k string) (string, bool) { return "anon-key", k == "SUPABASE_ANON_KEY" }}
	chain := mustBuild(t, conf, opts)

	u, err := chain.Authenticate(t.Context(), bearer("user-access-token"))
	if status(t, u, err) != 200 {
		t.Fatal(err)
	}
	if u.Identity != "8d0f-uuid" || u.DisplayName != "alice@example.com" || len(u.Permissions) != 1 || u.Permissions[0] != "editor" ||
		u.Extra["email"] != "alice@example.com" || u.Extra["role"] != "authenticated" || u.Extra["provider"] != "email" {
		t.Fatalf("user %+v", u)
	}
	for _, c := range []struct {
		mode, token string
		want        int
	}{
		{"ok", "someone-else", 401},
		{"500", "user-access-token", 503},
		{"slow", "user-access-token", 503},
		{"redirect", "user-access-token", 503},
		{"garbage", "user-access-token", 503},
	} {
		mode.Store(c.mode)
		if s := code(t, chain, bearer(c.token)); s != c.want {
			t.Errorf("%s/%s: %d, want %d", c.mode, c.token, s, c.want)
		}
	}
	srv.Close()
	mode.Store("ok")
	if s := code(t, chain, bearer("user-access-token")); s != 503 {
		t.Errorf("server gone: %d", s)
	}

	if _, err := buildJSON(t, conf, BuildOptions{}); err == nil {
		t.Error("missing apikey env accepted")
	}
	if _, err := buildJSON(t, `{"authenticators":[{"type":"userinfo"}]}`, BuildOptions{}); err == nil {
		t.Error("missing url accepted")
	}
}

func TestUserInfoCached(t *testing.T) {
	var mode atomic.Value
	mode.Store("ok")
	var calls atomic.Int64
	srv := supabase(t, &mode, &calls)
	conf := fmt.Sprintf(`{"authenticators":[{"type":"userinfo","url":%q,"headers_from_env":{"apikey":"K"},"claims":{"identity":"id"}}],
		"cache":{"ttl_seconds":60,"max_size":10}}`, srv.URL+"/auth/v1/user")
	chain := mustBuild(t, conf, BuildOptions{Getenv: func(string) (string, bool) { return "anon-key", true }})
	for range 3 {
		if s := code(t, chain, bearer("user-access-token")); s != 200 {
			t.Fatal(s)
		}
		if s := code(t, chain, bearer("bad")); s != 401 {
			t.Fatal(s)
		}
	}
	// One call for the good token; failures are never cached.
	if got := calls.Load(); got != 4 {
		t.Fatalf("%d calls, want 4", got)
	}
}
