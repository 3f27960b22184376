package authn

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A token list cannot name the Studio user: Build fails, naming the entry.
func TestTokensRefuseStudioUser(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ list, want string }{
		"reserved identity": {`[{"token":"studio-forged-token-0123","identity":"langgraph-studio-user"}]`,
			`tokens[0]: identity "langgraph-studio-user" is reserved for the Studio user`},
		"kind StudioUser": {`{"tokens":[{"token":"alice-token-0123456789","identity":"alice"},
			{"token":"mallory-token-0123456789","identity":"mallory","extra":{"kind":"StudioUser"}}]}`,
			`tokens[1]: extra.kind "StudioUser" is reserved for the Studio user`},
		"kind in another case": {`[{"token":"mallory-token-0123456789","identity":"mallory","extra":{"kind":"studiouser"}}]`,
			`extra.kind "studiouser" is reserved`},
	} {
		if err := os.WriteFile(filepath.Join(dir, "t.json"), []byte(c.list), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := buildJSON(t, `{"authenticators":[{"type":"tokens","file":"t.json"}]}`, BuildOptions{Dir: dir})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", name, err, c.want)
		}
		env := func(string) (string, bool) { return c.list, true }
		if _, err := buildJSON(t, `{"authenticators":[{"type":"tokens","env":"K"}]}`, BuildOptions{Getenv: env}); err == nil {
			t.Errorf("%s: accepted from the environment", name)
		}
	}
	// Any other kind is an ordinary extra field.
	env := func(string) (string, bool) {
		return `[{"token":"bob-token-0123456789","identity":"bob","extra":{"kind":"admin"}}]`, true
	}
	chain := mustBuild(t, `{"authenticators":[{"type":"tokens","env":"K"}]}`, BuildOptions{Getenv: env})
	if u, err := chain.Authenticate(t.Context(), bearer("bob-token-0123456789")); status(t, u, err) != 200 || u.Extra["kind"] != "admin" {
		t.Fatalf("kind admin: %+v %v", u, err)
	}
}

// JWT claims cannot make the Studio user: the reserved sub, or a "kind"
// claim mapped to the user's kind, is a 401.
func TestJWTClaimsCannotBeStudio(t *testing.T) {
	secret := strings.Repeat("k", 40)
	opts := BuildOptions{Getenv: func(k string) (string, bool) { return secret, k == "JWT_SECRET" }}
	chain := mustBuild(t, `{"authenticators":[{"type":"jwt","issuer":"https://idp.example","audience":"agentgate",
		"secret_env":"JWT_SECRET","claims":{"extra":{"kind":"kind"}}}]}`, opts)
	tok := func(sub, kind string) string {
		now := time.Now()
		c := jwt.MapClaims{"iss": "https://idp.example", "aud": "agentgate", "sub": sub,
			"exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
		if kind != "" {
			c["kind"] = kind
		}
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for name, c := range map[string]struct {
		sub, kind string
		want      int
	}{
		"plain user":        {"alice", "", 200},
		"other kind":        {"alice", "member", 200},
		"reserved identity": {"langgraph-studio-user", "", 401},
		"kind StudioUser":   {"alice", "StudioUser", 401},
	} {
		if got := code(t, chain, bearer(tok(c.sub, c.kind))); got != c.want {
			t.Errorf("%s: %d, want %d", name, got, c.want)
		}
	}
}

// A user-info answer cannot make the Studio user either.
func TestUserInfoCannotBeStudio(t *testing.T) {
	answers := map[string]map[string]any{
		"alice-token":  {"id": "alice"},
		"studio-token": {"id": "langgraph-studio-user"},
		"kind-token":   {"id": "mallory", "kind": "StudioUser"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(answers[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")])
	}))
	t.Cleanup(srv.Close)
	chain := mustBuild(t, `{"authenticators":[{"type":"userinfo","url":"`+srv.URL+`","claims":{"identity":"id","extra":["kind"]}}]}`, BuildOptions{})
	for tok, want := range map[string]int{"alice-token": 200, "studio-token": 401, "kind-token": 401} {
		u, err := chain.Authenticate(context.Background(), bearer(tok))
		if got := status(t, u, err); got != want {
			t.Errorf("%s: %d, want %d", tok, got, want)
		}
	}
}
