package authn

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/agentgate/agentgate/auth"
	"github.com/golang-jwt/jwt/v5"
)

func jwksConfig(is *issuer, extra string) string {
	return fmt.Sprintf(`{"authenticators":[{"type":"jwt","issuer":%q,"audience":"agentgate",
		"jwks_url":%q,"algorithms":["RS256","ES256","EdDSA","PS256"]%s}]}`, is.url(), is.url()+"/keys", extra)
}

func TestJWTAttackMatrix(t *testing.T) {
	rs := newTestKey(t, "rs1", "RS256")
	ec := newTestKey(t, "ec1", "ES256")
	ed := newTestKey(t, "ed1", "EdDSA")
	other := newTestKey(t, "rs1", "RS256") // same kid, key the issuer never published
	is := newIssuer(t, rs, ec, ed)
	chain := mustBuild(t, jwksConfig(is, ""), BuildOptions{})

	now := time.Now()
	with := func(edit func(c jwt.MapClaims)) jwt.MapClaims {
		c := is.claims("alice")
		edit(c)
		return c
	}
	rsaPub, err := x509.MarshalPKIXPublicKey(rs.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPub})
	hsConfused := jwt.NewWithClaims(jwt.SigningMethodHS256, is.claims("alice"))
	hsConfused.Header["kid"] = "rs1"
	confused, err := hsConfused.SignedString(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	payload := strings.Split(sign(t, rs, is.claims("alice")), ".")[1]
	valid := sign(t, rs, is.claims("alice"))
	wrongKid := rs
	wrongKid.kid = "nope"
	noKid := rs
	noKid.kid = ""
	ecAsRS := ec
	ecAsRS.kid = "rs1" // an ES256 token naming the RSA key
	psWithRS := rs
	psWithRS.method, psWithRS.alg = jwt.SigningMethodPS256, "PS256" // JWK says RS256

	cases := []struct {
		name   string
		header string // full Authorization value
		want   int
		detail string
	}{
		{"valid RS256", "Bearer " + valid, 200, ""},
		{"valid ES256", "Bearer " + sign(t, ec, is.claims("alice")), 200, ""},
		{"valid EdDSA", "Bearer " + sign(t, ed, is.claims("alice")), 200, ""},
		{"bearer scheme is case-insensitive", "bearer " + valid, 200, ""},
		{"bad signature", "Bearer " + valid[:len(valid)-4] + "AAAA", 401, "Invalid signature"},
		{"signed by an unpublished key with a known kid", "Bearer " + sign(t, other, is.claims("alice")), 401, "Invalid signature"},
		{"alg none", "Bearer " + b64(`{"alg":"none","kid":"rs1","typ":"JWT"}`) + "." + payload + ".", 401, "Signing algorithm not allowed"},
		{"alg none without signature dot", "Bearer " + b64(`{"alg":"none"}`) + "." + payload, 401, "Invalid credentials"},
		{"HS256 signed with the RSA public key", "Bearer " + confused, 401, "Signing algorithm not allowed"},
		{"ES256 token naming the RSA kid", "Bearer " + sign(t, ecAsRS, is.claims("alice")), 401, "Invalid token"},
		{"PS256 token against an RS256 JWK", "Bearer " + sign(t, psWithRS, is.claims("alice")), 401, "Invalid token"},
		{"wrong issuer", "Bearer " + sign(t, rs, with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), 401, "Invalid credentials"},
		{"wrong audience", "Bearer " + sign(t, rs, with(func(c jwt.MapClaims) { c["aud"] = "other" })), 401, "Invalid audience"},
		{"no audience", "Bearer " + sign(t, rs, with(func(c jwt.MapClaims) { delete(c, "aud") })), 401, "Token is missing a required claim"},
		{"expired beyond leeway", "Bearer " + sign(t, rs, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-61 * time.Second).Unix() })), 401, "Token is expired"},
		{"expired within leeway", "Bearer " + sign(t, rs, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-30 * time.Second).Unix() })), 200, ""},
		{"no exp", "Bearer " + sign(t, rs, with(func(c jwt.MapClaims) { delete(c, "exp") })), 401, "Token is missing a required claim"},
		{"nbf in the future", "Bearer " + sign(t, rs, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(2 * time.Minute).Unix() })), 401, "Token is not valid yet"},
		{"iat in the future", "Bearer " + sign(t, rs, with(func(c jwt.MapClaims) { c["iat"] = now.Add(2 * time.Minute).Unix() })), 401, "Token issued in the future"},
		{"unknown kid", "Bearer " + sign(t, wrongKid, is.claims("alice")), 401, "Unknown signing key"},
		{"no kid", "Bearer " + sign(t, noKid, is.claims("alice")), 401, "Token has no key id"},
		{"no sub", "Bearer " + sign(t, rs, with(func(c jwt.MapClaims) { delete(c, "sub") })), 401, "Token has no usable identity"},
		{"oversized token", "Bearer " + b64(`{"alg":"RS256","kid":"rs1"}`) + "." + b64(`{"iss":"`+is.url()+`","pad":"`+strings.Repeat("x", 9000)+`"}`) + ".sig", 401, "Token too large"},
		{"malformed header segment", "Bearer !!!." + payload + ".sig", 401, "Malformed token"},
		{"not a JWT", "Bearer abc", 401, "Invalid credentials"},
		{"bearer without token", "Bearer ", 401, "Invalid credentials"},
		{"basic scheme", "Basic YWxpY2U6cHc=", 401, "Invalid credentials"},
		{"no credentials", "", 401, "Missing credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := bearer("")
			r.Headers.Del("Authorization")
			if c.header != "" {
				r.Headers.Set("Authorization", c.header)
			}
			u, err := chain.Authenticate(context.Background(), r)
			if got := status(t, u, err); got != c.want {
				t.Fatalf("status %d (%v), want %d", got, err, c.want)
			}
			if c.want == 200 {
				if u.Identity != "alice" {
					t.Fatalf("identity %q", u.Identity)
				}
				return
			}
			if got := err.(*auth.HTTPError).Detail; got != c.detail {
				t.Fatalf("detail %q, want %q", got, c.detail)
			}
		})
	}
}

func TestJWTBuildRefusesWeakConfigurations(t *testing.T) {
	is := newIssuer(t, newTestKey(t, "rs1", "RS256"))
	env := map[string]string{"SHORT": "too-short", "LONG": strings.Repeat("s", 32)}
	opts := BuildOptions{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	base := fmt.Sprintf(`"type":"jwt","issuer":%q,"audience":"agentgate","jwks_url":%q`, is.url(), is.url()+"/keys")
	cases := map[string]string{
		"none":                `{` + base + `,"algorithms":["RS256","none"]}`,
		"HS from a JWKS":      `{` + base + `,"algorithms":["RS256","HS256"]}`,
		"leeway over 60":      `{` + base + `,"leeway_seconds":61}`,
		"negative leeway":     `{` + base + `,"leeway_seconds":-1}`,
		"no audience":         fmt.Sprintf(`{"type":"jwt","issuer":%q,"jwks_url":%q}`, is.url(), is.url()+"/keys"),
		"empty audience":      `{` + base + `,"audience":[]}`,
		"no issuer":           fmt.Sprintf(`{"type":"jwt","audience":"a","jwks_url":%q}`, is.url()+"/keys"),
		"two key sources":     `{` + base + `,"secret_env":"LONG"}`,
		"no key source":       `{"type":"jwt","issuer":"x","audience":"a"}`,
		"short HMAC secret":   `{"type":"jwt","issuer":"x","audience":"a","secret_env":"SHORT"}`,
		"missing secret env":  `{"type":"jwt","issuer":"x","audience":"a","secret_env":"NOPE"}`,
		"RS256 with a secret": `{"type":"jwt","issuer":"x","audience":"a","secret_env":"LONG","algorithms":["RS256"]}`,
		"unreadable secret":   `{"type":"jwt","issuer":"x","audience":"a","secret_file":"/nonexistent/secret"}`,
		"bad jwks url":        `{"type":"jwt","issuer":"x","audience":"a","jwks_url":"file:///etc/keys"}`,
		"empty algorithms":    `{` + base + `,"algorithms":[]}`,
		"huge token limit":    `{` + base + `,"max_token_bytes":1000000}`,
		"duplicate issuer":    `{` + base + `},{` + base + `}`,
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := buildJSON(t, `{"authenticators":[`+a+`]}`, opts); err == nil {
				t.Fatal("Build accepted it")
			} else {
				t.Log(err)
			}
		})
	}
	// The same with a good secret builds.
	mustBuild(t, `{"authenticators":[{"type":"jwt","issuer":"x","audience":"a","secret_env":"LONG"}]}`, opts)
}

func TestJWTHS256(t *testing.T) {
	secret := strings.Repeat("k", 40)
	opts := BuildOptions{Getenv: func(k string) (string, bool) { return secret, k == "JWT_SECRET" }}
	chain := mustBuild(t, `{"authenticators":[{"type":"jwt","issuer":"https://project.supabase.co/auth/v1",
		"audience":"authenticated","secret_env":"JWT_SECRET",
		"claims":{"identity":"sub","display_name":"email","permissions":["role","app_metadata.roles"],"extra":["email","app_metadata.tenant"]}}]}`, opts)
	now := time.Now()
	c := jwt.MapClaims{"iss": "https://project.supabase.co/auth/v1", "aud": "authenticated", "sub": "u-1",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "email": "a@example.com", "role": "authenticated",
		"app_metadata": map[string]any{"roles": []any{"admin", "authenticated"}, "tenant": "t1"}}
	good, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	u, err := chain.Authenticate(context.Background(), bearer(good))
	if status(t, u, err) != 200 {
		t.Fatal(err)
	}
	if u.Identity != "u-1" || u.DisplayName != "a@example.com" || strings.Join(u.Permissions, ",") != "authenticated,admin" ||
		u.Extra["email"] != "a@example.com" || u.Extra["tenant"] != "t1" {
		t.Fatalf("user %+v", u)
	}
	wrong, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(strings.Repeat("x", 40)))
	if s := code(t, chain, bearer(wrong)); s != 401 {
		t.Fatalf("wrong secret: %d", s)
	}
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, c).SignedString([]byte(secret))
	if s := code(t, chain, bearer(hs512)); s != 401 {
		t.Fatalf("HS512 not in the list: %d", s)
	}
}

func TestJWTKeyRotation(t *testing.T) {
	old := newTestKey(t, "k1", "RS256")
	is := newIssuer(t, old)
	chain := mustBuild(t, jwksConfig(is, ""), BuildOptions{})
	if s := code(t, chain, bearer(sign(t, old, is.claims("a")))); s != 200 {
		t.Fatalf("old key: %d", s)
	}
	fresh := newTestKey(t, "k2", "ES256")
	is.setKeys(fresh) // k1 revoked, k2 published
	before := is.fetches.Load()
	if s := code(t, chain, bearer(sign(t, fresh, is.claims("a")))); s != 200 {
		t.Fatalf("rotated key: %d", s)
	}
	if got := is.fetches.Load() - before; got != 1 {
		t.Fatalf("%d fetches for the new kid, want 1", got)
	}
	if s := code(t, chain, bearer(sign(t, old, is.claims("a")))); s != 401 {
		t.Fatalf("revoked key still accepted: %d", s)
	}
}

func TestJWTUnknownKidRefetchIsRateLimited(t *testing.T) {
	k := newTestKey(t, "k1", "RS256")
	is := newIssuer(t, k)
	chain := mustBuild(t, jwksConfig(is, `,"jwks_min_refetch_seconds":60`), BuildOptions{})
	start := is.fetches.Load()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			bogus := k
			bogus.kid = fmt.Sprintf("bogus-%d", i)
			if s := code(t, chain, bearer(sign(t, bogus, is.claims("a")))); s != 401 {
				t.Errorf("bogus kid: %d", s)
			}
		})
	}
	wg.Wait()
	if got := is.fetches.Load() - start; got != 1 {
		t.Fatalf("50 bogus kids made %d JWKS fetches, want 1", got)
	}
}

func TestJWTOutage(t *testing.T) {
	k := newTestKey(t, "k1", "RS256")
	is := newIssuer(t, k)
	is.setDown(true)
	clock := &fakeClock{t: time.Now()}
	is.now = clock.Now
	// The provider is down at start: Build succeeds, tokens get 503.
	chain := mustBuild(t, jwksConfig(is, `,"jwks_min_refetch_seconds":10,"jwks_refresh_seconds":60,"jwks_max_stale_seconds":120`), BuildOptions{Now: clock.Now})
	tok := func() *auth.Request { return bearer(sign(t, k, is.claims("a"))) }
	if s := code(t, chain, tok()); s != 503 {
		t.Fatalf("outage at start: %d", s)
	}
	is.setDown(false)
	if s := code(t, chain, tok()); s != 503 {
		t.Fatalf("within the refetch interval: %d", s)
	}
	clock.add(11 * time.Second)
	if s := code(t, chain, tok()); s != 200 {
		t.Fatalf("provider back: %d", s)
	}
	// Down again: known keys serve until they are max_stale old.
	is.setDown(true)
	clock.add(90 * time.Second) // due for refresh, which fails
	if s := code(t, chain, tok()); s != 200 {
		t.Fatalf("stale grace: %d", s)
	}
	unknown := k
	unknown.kid = "k9"
	clock.add(11 * time.Second)
	if s := code(t, chain, bearer(sign(t, unknown, is.claims("a")))); s != 503 {
		t.Fatalf("unknown kid during an outage: %d", s)
	}
	clock.add(60 * time.Second) // 161 s since the last good fetch > 120
	if s := code(t, chain, tok()); s != 503 {
		t.Fatalf("keys past max stale: %d", s)
	}
}

func TestOIDCDiscovery(t *testing.T) {
	k := newTestKey(t, "k1", "ES256")
	is := newIssuer(t, k)
	conf := fmt.Sprintf(`{"authenticators":[{"type":"jwt","issuer":%q,"audience":"agentgate","oidc_discovery":true,"algorithms":["ES256","PS256"]}]}`, is.url())
	chain := mustBuild(t, conf, BuildOptions{})
	if s := code(t, chain, bearer(sign(t, k, is.claims("a")))); s != 200 {
		t.Fatalf("discovered key: %d", s)
	}
	// PS256 is configured but the issuer does not sign with it.
	ps := newTestKey(t, "p1", "PS256")
	is.setKeys(k, ps)
	if s := code(t, chain, bearer(sign(t, ps, is.claims("a")))); s != 401 {
		t.Fatalf("algorithm outside discovery: %d", s)
	}

	is.mu.Lock()
	is.badIss = "https://impostor.example"
	is.mu.Unlock()
	if _, err := buildJSON(t, conf, BuildOptions{}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("issuer mismatch: %v", err)
	}
	is.mu.Lock()
	is.badIss = ""
	is.mu.Unlock()
	only := fmt.Sprintf(`{"authenticators":[{"type":"jwt","issuer":%q,"audience":"agentgate","oidc_discovery":true,"algorithms":["PS256"]}]}`, is.url())
	if _, err := buildJSON(t, only, BuildOptions{}); err == nil {
		t.Fatal("no common algorithm accepted")
	}
	// Discovery down at start: Build succeeds, then 503 until it answers.
	is.setDown(true)
	down := mustBuild(t, conf, BuildOptions{})
	if s := code(t, down, bearer(sign(t, k, is.claims("a")))); s != 503 {
		t.Fatalf("discovery down: %d", s)
	}
}

func TestJWTKeySetPerIssuer(t *testing.T) {
	ka := newTestKey(t, "shared-kid", "RS256")
	kb := newTestKey(t, "shared-kid", "RS256")
	a, b := newIssuer(t, ka), newIssuer(t, kb)
	conf := fmt.Sprintf(`{"authenticators":[
		{"type":"jwt","issuer":%q,"audience":"agentgate","jwks_url":%q},
		{"type":"jwt","issuer":%q,"audience":"agentgate","jwks_url":%q}]}`,
		a.url(), a.url()+"/keys", b.url(), b.url()+"/keys")
	chain := mustBuild(t, conf, BuildOptions{})
	for _, c := range []struct {
		name string
		key  testKey
		iss  *issuer
		want int
	}{
		{"A's token", ka, a, 200},
		{"B's token", kb, b, 200},
		{"B's key claiming A", kb, a, 401},
		{"A's key claiming B", ka, b, 401},
	} {
		if s := code(t, chain, bearer(sign(t, c.key, c.iss.claims("x")))); s != c.want {
			t.Errorf("%s: %d, want %d", c.name, s, c.want)
		}
	}
}

// fakeClock is a settable clock for tests that cannot run in a synctest
// bubble (they talk to a real HTTP server).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestJWTEncryptionKeyRefused(t *testing.T) {
	k := newTestKey(t, "k1", "RS256")
	is := newIssuer(t, k)
	chain := mustBuild(t, jwksConfig(is, ""), BuildOptions{})
	// Republish the same key marked for encryption only.
	j, err := jwkset.NewJWKFromKey(k.priv.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
		KID: "k1", ALG: jwkset.ALG("RS256"), USE: jwkset.UseEnc}})
	if err != nil {
		t.Fatal(err)
	}
	ks := chain.links[0].(*jwtAuth).keys
	if err := ks.store.KeyReplaceAll(t.Context(), []jwkset.JWK{j}); err != nil {
		t.Fatal(err)
	}
	if s := code(t, chain, bearer(sign(t, k, is.claims("a")))); s != 401 {
		t.Fatalf("a use=enc key verified a token: %d", s)
	}
}

// Many verifications while the issuer rotates keys: run with -race.
func TestJWTConcurrentRotation(t *testing.T) {
	keys := []testKey{newTestKey(t, "a", "ES256"), newTestKey(t, "b", "EdDSA"), newTestKey(t, "c", "ES256")}
	is := newIssuer(t, keys[0])
	chain := mustBuild(t, jwksConfig(is, `,"jwks_min_refetch_seconds":1`), BuildOptions{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				is.setKeys(keys[i%3], keys[(i+1)%3])
			}
		}
	})
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				k := keys[(g+i)%3]
				u, err := chain.Authenticate(context.Background(), bearer(sign(t, k, is.claims("u"))))
				if err == nil && u.Identity != "u" {
					t.Errorf("identity %q", u.Identity)
				}
				if he, ok := err.(*auth.HTTPError); err != nil && (!ok || he.Status != 401) {
					t.Errorf("unexpected error %v", err)
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
}

func TestUnverifiedExpiry(t *testing.T) {
	k := newTestKey(t, "k", "ES256")
	exp := time.Now().Add(time.Minute).Truncate(time.Second)
	tok := sign(t, k, jwt.MapClaims{"exp": exp.Unix()})
	if got := unverifiedExpiry(tok); !got.Equal(exp) {
		t.Fatalf("%v, want %v", got, exp)
	}
	for _, s := range []string{"opaque-token", "a.b.c", sign(t, k, jwt.MapClaims{"exp": "soon"}), sign(t, k, jwt.MapClaims{})} {
		if got := unverifiedExpiry(s); !got.IsZero() {
			t.Errorf("%q: %v", s, got)
		}
	}
}
