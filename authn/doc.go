// Package authn holds the built-in authenticators that are configured
// without code: static tokens and API keys (kept as SHA-256 digests), JWTs
// verified with an HMAC secret, a JWKS or OIDC discovery, and a user-info
// endpoint (Supabase style). They form a Chain, possibly with the user's Go
// Authenticate function, and share a cache of successful results.
//
//	cfg, err := authn.ParseConfig(raw) // strict: unknown keys are errors
//	chain, err := authn.Build(ctx, cfg, authn.BuildOptions{Custom: myAuthenticate})
//	a := auth.New().Authenticate(chain.Func())
//
// Every failure is an *auth.HTTPError: 401 with WWW-Authenticate for a
// missing or bad credential, 503 when the identity provider cannot be
// reached. Nothing is ever admitted by default. See docs/authn.md.
package authn
