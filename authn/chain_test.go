package authn

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/golang-jwt/jwt/v5"
)

func TestChainOrderAndFallThrough(t *testing.T) {
	k := newTestKey(t, "k1", "ES256")
	is := newIssuer(t, k)
	var customCalls atomic.Int64
	custom := func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		customCalls.Add(1)
		if r.Header("X-Custom") == "" {
			return nil, ErrNoCredentials
		}
		if r.Header("X-Custom") != "ok" {
			return nil, auth.Unauthorized("custom says no")
		}
		return &auth.User{Identity: "custom-user"}, nil
	}
	env := func(k string) (string, bool) {
		return `[{"token":"static-token-0123456789","identity":"static-user"}]`, k == "TOKENS"
	}
	chain := mustBuild(t, `{"authenticators":[
		{"type":"jwt","issuer":"`+is.url()+`","audience":"agentgate","jwks_url":"`+is.url()+`/keys","algorithms":["ES256"]},
		{"type":"custom"},
		{"type":"tokens","env":"TOKENS"}]}`, BuildOptions{Custom: custom, Getenv: env})
	if chain.Len() != 3 {
		t.Fatalf("len %d", chain.Len())
	}
	ident := func(r *auth.Request) string {
		u, err := chain.Authenticate(t.Context(), r)
		if err != nil {
			return err.(*auth.HTTPError).Detail
		}
		return u.Identity
	}
	jwtReq := bearer(sign(t, k, is.claims("jwt-user")))
	if got := ident(jwtReq); got != "jwt-user" {
		t.Fatalf("jwt: %s", got)
	}
	if customCalls.Load() != 0 {
		t.Fatal("the chain went on after a success")
	}
	if got := ident(bearer("static-token-0123456789")); got != "static-user" {
		t.Fatalf("tokens after custom: %s", got)
	}
	customReq := &auth.Request{Headers: http.Header{"X-Custom": {"ok"}}}
	if got := ident(customReq); got != "custom-user" {
		t.Fatalf("custom: %s", got)
	}
	// A present but invalid credential does not fall through.
	expired := is.claims("x")
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	before := customCalls.Load()
	if got := ident(bearer(sign(t, k, expired))); got != "Token is expired" {
		t.Fatalf("expired: %s", got)
	}
	if customCalls.Load() != before {
		t.Fatal("an invalid JWT fell through to the next authenticator")
	}
	if got := ident(&auth.Request{Headers: http.Header{"X-Custom": {"bad"}}}); got != "custom says no" {
		t.Fatalf("custom failure: %s", got)
	}
	if got := ident(&auth.Request{Headers: http.Header{}}); got != "Missing credentials" {
		t.Fatalf("nothing: %s", got)
	}
	if got := ident(bearer("unknown")); got != "Invalid token" {
		t.Fatalf("unknown token: %s", got)
	}
	// A JWT of another issuer is not the JWT authenticator's: the static
	// tokens authenticator answers for every bearer, so it says invalid.
	foreign := is.claims("x")
	foreign["iss"] = "https://other.example"
	if got := ident(bearer(sign(t, k, foreign))); got != "Invalid token" {
		t.Fatalf("foreign issuer: %s", got)
	}
}

func TestChainCustomIsLastByDefault(t *testing.T) {
	sentinel := errors.New("custom failure")
	custom := func(ctx context.Context, r *auth.Request) (*auth.User, error) { return nil, sentinel }
	chain := mustBuild(t, `{"authenticators":[{"type":"tokens","header":"x-api-key","env":"T"}]}`, BuildOptions{Custom: custom,
		Getenv: func(string) (string, bool) { return `[{"token":"k-0123456789abcdef","identity":"svc"}]`, true }})
	if _, err := chain.Authenticate(t.Context(), &auth.Request{Headers: http.Header{"X-Api-Key": {"k-0123456789abcdef"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := chain.Authenticate(t.Context(), &auth.Request{Headers: http.Header{}}); !errors.Is(err, sentinel) {
		t.Fatalf("custom did not run last: %v", err)
	}
	// auth.New().Authenticate accepts the chain.
	if err := auth.New().Authenticate(chain.Func()).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestChainBuildErrors(t *testing.T) {
	env := func(string) (string, bool) { return `[{"token":"k-0123456789abcdef","identity":"svc"}]`, true }
	custom := func(ctx context.Context, r *auth.Request) (*auth.User, error) { return nil, ErrNoCredentials }
	for name, c := range map[string]struct {
		conf string
		opts BuildOptions
	}{
		"no authenticators":    {`{"authenticators":[]}`, BuildOptions{}},
		"custom without func":  {`{"authenticators":[{"type":"custom"}]}`, BuildOptions{}},
		"two customs":          {`{"authenticators":[{"type":"custom"},{"type":"custom"}]}`, BuildOptions{Custom: custom}},
		"cache keys, no func":  {`{"authenticators":[{"type":"tokens","env":"T"}],"cache":{"cache_keys":["authorization"]}}`, BuildOptions{Getenv: env}},
		"unreachable after":    {`{"authenticators":[{"type":"tokens","env":"T"},{"type":"jwt","issuer":"x","audience":"a","secret_env":"T"}]}`, BuildOptions{Getenv: env}},
		"negative cache ttl":   {`{"authenticators":[{"type":"tokens","env":"T"}],"cache":{"ttl_seconds":-1}}`, BuildOptions{Getenv: env}},
		"reserved extra field": {`{"authenticators":[{"type":"jwt","issuer":"x","audience":"a","secret_env":"T","claims":{"extra":{"identity":"sub"}}}]}`, BuildOptions{Getenv: env}},
		"empty claim path":     {`{"authenticators":[{"type":"jwt","issuer":"x","audience":"a","secret_env":"T","claims":{"identity":"a..b"}}]}`, BuildOptions{Getenv: env}},
	} {
		if _, err := buildJSON(t, c.conf, c.opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseConfigErrorsNameThePath(t *testing.T) {
	for conf, path := range map[string]string{
		`[]`:                              ``,
		`{"authenticators":[],"extra":1}`: `extra`,
		`{}`:                              `authenticators`,
		`{"authenticators":{}}`:           `authenticators`,
		`{"authenticators":[{"type":"jwt","isuer":"x"}]}`:                          `authenticators[0].isuer`,
		`{"authenticators":[{"type":"tokens","issuer":"x"}]}`:                      `authenticators[0].issuer`,
		`{"authenticators":[{}]}`:                                                  `authenticators[0].type`,
		`{"authenticators":[{"type":"saml"}]}`:                                     `authenticators[0].type`,
		`{"authenticators":[{"type":"jwt","audience":3}]}`:                         `authenticators[0].audience`,
		`{"authenticators":[{"type":"jwt","leeway_seconds":"60"}]}`:                `authenticators[0].leeway_seconds`,
		`{"authenticators":[{"type":"jwt","leeway_seconds":1.5}]}`:                 `authenticators[0].leeway_seconds`,
		`{"authenticators":[{"type":"jwt","oidc_discovery":"true"}]}`:              `authenticators[0].oidc_discovery`,
		`{"authenticators":[{"type":"jwt","claims":{"identty":"sub"}}]}`:           `authenticators[0].claims.identty`,
		`{"authenticators":[{"type":"jwt","claims":{"extra":["a.x","b.x"]}}]}`:     `authenticators[0].claims.extra`,
		`{"authenticators":[{"type":"jwt","issuer":"a","issuer":"b"}]}`:            `authenticators[0].issuer`,
		`{"authenticators":[],"cache":{"ttl":5}}`:                                  `cache.ttl`,
		`{"authenticators":[],"cache":{"max_size":"big"}}`:                         `cache.max_size`,
		`{"authenticators":[{"type":"userinfo","headers_from_env":{"apikey":1}}]}`: `authenticators[0].headers_from_env`,
	} {
		_, err := ParseConfig([]byte(conf))
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %v is not a *ConfigError", conf, err)
			continue
		}
		if ce.Path != path {
			t.Errorf("%s: path %q, want %q (%v)", conf, ce.Path, path, err)
		}
	}
}

func TestParseConfigShapes(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"authenticators":[{"type":"jwt","issuer":"i","audience":["a","b"],"secret_env":"S",
		"leeway_seconds":0,"claims":{"permissions":[],"extra":{"mail":"email"}}}],"cache":{"ttl_seconds":10}}`))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Authenticators[0]
	if strings.Join(a.Audience, ",") != "a,b" || a.LeewaySeconds == nil || *a.LeewaySeconds != 0 ||
		a.Claims.Permissions == nil || len(a.Claims.Permissions) != 0 || a.Claims.Extra["mail"] != "email" || cfg.Cache.TTLSeconds != 10 {
		t.Fatalf("%+v", cfg)
	}
	// permissions [] means none; absent means the default list.
	secret := strings.Repeat("s", 32)
	c := mustBuild(t, `{"authenticators":[{"type":"jwt","issuer":"i","audience":"a","secret_env":"S","claims":{"permissions":[]}}]}`,
		BuildOptions{Getenv: func(string) (string, bool) { return secret, true }})
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "i", "aud": "a", "sub": "s", "scope": "read write",
		"exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte(secret))
	u, err := c.Authenticate(t.Context(), bearer(tok))
	if err != nil || len(u.Permissions) != 0 {
		t.Fatalf("%+v %v", u, err)
	}
}

func TestChainNotesDecidingAuthenticator(t *testing.T) {
	custom := func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		switch r.Header("X-Custom") {
		case "":
			return nil, ErrNoCredentials
		case "ok":
			return &auth.User{Identity: "custom-user"}, nil
		}
		return nil, auth.Unauthorized("no")
	}
	env := func(k string) (string, bool) {
		return `[{"token":"static-token-0123456789","identity":"static-user"}]`, k == "TOKENS"
	}
	chain := mustBuild(t, `{"authenticators":[{"type":"tokens","name":"static","env":"TOKENS"},{"type":"custom"}]}`,
		BuildOptions{Custom: custom, Getenv: env})
	for _, c := range []struct {
		req  *auth.Request
		want string
	}{
		{bearer("static-token-0123456789"), "static"},
		{bearer("wrong"), "static"}, // a bad token: the tokens link decides
		{&auth.Request{Headers: http.Header{"X-Custom": {"ok"}}}, "custom[1]"},
		{&auth.Request{Headers: http.Header{"X-Custom": {"bad"}}}, "custom[1]"},
		{&auth.Request{Headers: http.Header{}}, ""}, // nobody's credential
	} {
		n := &auth.AuthnNote{Authenticator: "unset"}
		_, _ = chain.Authenticate(auth.WithAuthnNote(t.Context(), n), c.req)
		if c.want == "" && n.Authenticator != "unset" || c.want != "" && n.Authenticator != c.want {
			t.Errorf("%v: authenticator %q, want %q", c.req.Headers, n.Authenticator, c.want)
		}
	}
	// Without a note the chain works as before.
	if u, err := chain.Authenticate(t.Context(), bearer("static-token-0123456789")); err != nil || u.Identity != "static-user" {
		t.Fatalf("%v %v", u, err)
	}
	// Links added by Then keep their names; a Go function has none.
	more := chain.Then(Func(custom))
	n := &auth.AuthnNote{}
	if _, err := more.Authenticate(auth.WithAuthnNote(t.Context(), n), bearer("static-token-0123456789")); err != nil || n.Authenticator != "static" {
		t.Fatalf("then: %q %v", n.Authenticator, err)
	}
}
