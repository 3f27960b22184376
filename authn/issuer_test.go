package authn

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/agentgate/agentgate/auth"
	"github.com/golang-jwt/jwt/v5"
)

// testKey is a signing key an issuer publishes.
type testKey struct {
	kid    string
	alg    string
	method jwt.SigningMethod
	priv   crypto.Signer
}

func newTestKey(t testing.TB, kid, alg string) testKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256", "PS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("no test key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return testKey{kid: kid, alg: alg, method: jwt.GetSigningMethod(alg), priv: priv}
}

// issuer is a local OIDC issuer: discovery, JWKS and token minting.
type issuer struct {
	t       testing.TB
	srv     *httptest.Server
	mu      sync.Mutex
	keys    []testKey
	down    bool // JWKS and discovery answer 503
	badIss  string
	fetches atomic.Int64 // JWKS fetches
	now     func() time.Time
}

func newIssuer(t testing.TB, keys ...testKey) *issuer {
	t.Helper()
	is := &issuer{t: t, keys: keys, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		is.mu.Lock()
		down, iss := is.down, is.badIss
		is.mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if iss == "" {
			iss = is.url()
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "jwks_uri": is.url() + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256", "EdDSA"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		is.mu.Lock()
		defer is.mu.Unlock()
		if is.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(jwksJSON(t, is.keys...))
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) url() string { return is.srv.URL }

func (is *issuer) setKeys(keys ...testKey) {
	is.mu.Lock()
	is.keys = keys
	is.mu.Unlock()
}

func (is *issuer) setDown(down bool) {
	is.mu.Lock()
	is.down = down
	is.mu.Unlock()
}

func jwksJSON(t testing.TB, keys ...testKey) []byte {
	t.Helper()
	var doc jwkset.JWKSMarshal
	for _, k := range keys {
		j, err := jwkset.NewJWKFromKey(k.priv.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
			KID: k.kid, ALG: jwkset.ALG(k.alg), USE: jwkset.UseSig}})
		if err != nil {
			t.Fatal(err)
		}
		doc.Keys = append(doc.Keys, j.Marshal())
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// claims returns valid claims for this issuer and audience "agentgate".
func (is *issuer) claims(sub string) jwt.MapClaims {
	now := is.now()
	return jwt.MapClaims{"iss": is.url(), "aud": "agentgate", "sub": sub,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func sign(t testing.TB, k testKey, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(k.method, c)
	if k.kid != "" {
		tok.Header["kid"] = k.kid
	}
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bearer(tok string) *auth.Request {
	return &auth.Request{Method: "GET", Path: "/threads", Headers: http.Header{"Authorization": {"Bearer " + tok}}}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// mustBuild parses and builds a JSON configuration.
func mustBuild(t testing.TB, raw string, opts BuildOptions) *Chain {
	t.Helper()
	c, err := buildJSON(t, raw, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func buildJSON(t testing.TB, raw string, opts BuildOptions) (*Chain, error) {
	t.Helper()
	cfg, err := ParseConfig(json.RawMessage(raw))
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) (string, bool) { return "", false }
	}
	return Build(context.Background(), cfg, opts)
}

// status is the HTTP status of an authentication error, 200 for a user.
func status(t testing.TB, u *auth.User, err error) int {
	t.Helper()
	if err == nil {
		if u == nil {
			t.Fatal("no user and no error")
		}
		return 200
	}
	he, ok := err.(*auth.HTTPError)
	if !ok {
		t.Fatalf("error %v (%T) is not an *auth.HTTPError", err, err)
	}
	if he.Status == 401 && len(he.Headers.Values("Www-Authenticate")) == 0 {
		t.Fatalf("401 without WWW-Authenticate: %v", he)
	}
	if u != nil {
		t.Fatalf("a user together with error %v", err)
	}
	return he.Status
}

// code authenticates r with a and returns the status.
func code(t testing.TB, a Authenticator, r *auth.Request) int {
	t.Helper()
	u, err := a.Authenticate(context.Background(), r)
	return status(t, u, err)
}
