package authn_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authn"
	"github.com/golang-jwt/jwt/v5"
)

func ExampleBuild() {
	cfg, err := authn.ParseConfig([]byte(`{
		"authenticators": [
			{"type": "jwt", "issuer": "https://abcd.supabase.co/auth/v1", "audience": "authenticated",
			 "secret_env": "SUPABASE_JWT_SECRET", "claims": {"extra": ["email"]}},
			{"type": "custom"}
		],
		"cache": {"ttl_seconds": 60}
	}`))
	if err != nil {
		panic(err)
	}
	secret := "an-example-secret-of-32-bytes-or-more"
	apiKeys := func(ctx context.Context, r *auth.Request) (*auth.User, error) {
		if r.Header("X-Api-Key") == "" {
			return nil, authn.ErrNoCredentials // let the chain go on
		}
		return nil, auth.Unauthorized("Invalid API key")
	}
	chain, err := authn.Build(context.Background(), cfg, authn.BuildOptions{
		Custom: apiKeys,
		Getenv: func(name string) (string, bool) { return secret, name == "SUPABASE_JWT_SECRET" },
	})
	if err != nil {
		panic(err) // refuse to start
	}
	a := auth.New().Authenticate(chain.Func())

	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://abcd.supabase.co/auth/v1", "aud": "authenticated", "sub": "user-1",
		"email": "ada@example.com", "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(secret))
	r := &auth.Request{Headers: http.Header{"Authorization": {"Bearer " + tok}}}
	u, err := a.AuthenticateFunc()(context.Background(), r)
	fmt.Println(u.Identity, u.Extra["email"], err)

	_, err = a.AuthenticateFunc()(context.Background(), &auth.Request{Headers: http.Header{}})
	fmt.Println(err)
	// Output:
	// user-1 ada@example.com <nil>
	// 401: Missing credentials
}
