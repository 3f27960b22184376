package authn

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/golang-jwt/jwt/v5"
)

func FuzzCredential(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  abc ", "Basic x", "Bearer", "Bearer\tx", " Bearer x", "x-api-key-value", ""} {
		f.Add("authorization", s)
		f.Add("x-api-key", s)
	}
	f.Fuzz(func(t *testing.T, header, value string) {
		r := &auth.Request{Headers: http.Header{}}
		r.Headers.Set(header, value)
		tok, ok := credential(r, header)
		if !ok {
			if tok != "" {
				t.Fatal("a token without ok")
			}
			return
		}
		if tok == "" || strings.TrimSpace(tok) != tok {
			t.Fatalf("token %q", tok)
		}
		if strings.EqualFold(header, "authorization") && !strings.HasPrefix(strings.ToLower(value), "bearer ") {
			t.Fatalf("%q accepted as a bearer token", value)
		}
	})
}

func FuzzPeekIssuer(f *testing.F) {
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJpIn0.sig")
	f.Add("a.b.c")
	f.Add("..")
	f.Add("a.eyJpc3MiOjF9.c")
	f.Fuzz(func(t *testing.T, tok string) {
		iss, ok := peekIssuer(tok)
		if ok && (iss == "" || strings.Count(tok, ".") != 2) {
			t.Fatalf("peekIssuer(%q) = %q", tok, iss)
		}
		unverifiedExpiry(tok)
	})
}

// FuzzJWTVerify feeds mutated tokens to a chain with an HMAC and a JWKS
// verifier: it must never panic, never answer other than 200 or 401, and
// only ever admit the one subject the test signs.
func FuzzJWTVerify(f *testing.F) {
	secret := strings.Repeat("s", 32)
	k := newTestKey(f, "k1", "ES256")
	is := newIssuer(f, k)
	chain := mustBuild(f, `{"authenticators":[
		{"type":"jwt","issuer":"hs","audience":"a","secret_env":"S"},
		{"type":"jwt","issuer":"`+is.url()+`","audience":"agentgate","jwks_url":"`+is.url()+`/keys","algorithms":["ES256"]}]}`,
		BuildOptions{Getenv: func(string) (string, bool) { return secret, true }})
	hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "hs", "aud": "a", "sub": "alice",
		"exp": time.Now().Add(24 * time.Hour).Unix()}).SignedString([]byte(secret))
	f.Add(hs)
	f.Add(sign(f, k, is.claims("alice")))
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJocyIsInN1YiI6ImFsaWNlIn0.")
	f.Add(strings.Repeat("A", 9000))
	f.Fuzz(func(t *testing.T, tok string) {
		r := &auth.Request{Headers: http.Header{"Authorization": {"Bearer " + tok}}}
		u, err := chain.Authenticate(t.Context(), r)
		switch s := status(t, u, err); s {
		case 200:
			if u.Identity != "alice" {
				t.Fatalf("admitted %q", u.Identity)
			}
		case 401:
		default:
			t.Fatalf("status %d for %q", s, tok)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add(`{"authenticators":[{"type":"jwt","issuer":"i","audience":["a"],"jwks_url":"https://x/keys","claims":{"extra":["a.b"]}}],"cache":{"ttl_seconds":1}}`)
	f.Add(`{"authenticators":[{"type":"tokens","file":"t.json","header":"x-api-key"}]}`)
	f.Add(`{"authenticators":[{"type":"userinfo","url":"https://x","headers_from_env":{"apikey":"K"}}]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		cfg, err := ParseConfig([]byte(raw))
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
		if _, ok := err.(*ConfigError); err != nil && !ok {
			t.Fatalf("error %T", err)
		}
	})
}

// FuzzParseUnverified checks parseUnverified against the library's
// ParseUnverified: both accept the same tokens with the same header, claims,
// method and signature, and fail in the same error class otherwise (a JSON
// null header or claims, which the library decodes to an empty map, is the
// one case parseUnverified refuses earlier; either way no issuer matches).
func FuzzParseUnverified(f *testing.F) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, h := range []string{`{"alg":"RS256","kid":"k1"}`, `{"alg":"none"}`, `{"alg":1}`, `{}`, `[]`, `null`, `{"alg":"HS256","x":"\u00e9"}`, `{"alg":"ES256"} `} {
		for _, c := range []string{`{"iss":"i","exp":1e9,"aud":["a"]}`, `{"iss":"i","iss":"j"}`, `{"n":12345678901234567890}`, `"s"`, `{`, `{"a":"\ud800"}`} {
			f.Add(enc(h) + "." + enc(c) + ".c2ln")
		}
	}
	f.Add("a.b.c")
	f.Add("a.b.c.d")
	f.Add("..")
	f.Add(enc(`{"alg":"RS256"}`) + "." + enc(`{}`) + ".!!")
	f.Fuzz(func(t *testing.T, tok string) {
		got, gotClaims, err := parseUnverified(tok)
		wantClaims := jwt.MapClaims{}
		want, _, wantErr := jwt.NewParser().ParseUnverified(tok, wantClaims)
		if err != nil || wantErr != nil {
			if err == nil || wantErr == nil {
				if err != nil && isNullSegment(tok) {
					return
				}
				t.Fatalf("%q: parseUnverified error %v, library error %v", tok, err, wantErr)
			}
			for _, class := range []error{jwt.ErrTokenMalformed, jwt.ErrTokenUnverifiable} {
				if errors.Is(err, class) != errors.Is(wantErr, class) && !isNullSegment(tok) {
					t.Fatalf("%q: parseUnverified error %v, library error %v", tok, err, wantErr)
				}
			}
			return
		}
		if !reflect.DeepEqual(got.Header, want.Header) || !reflect.DeepEqual(gotClaims, wantClaims) ||
			got.Method != want.Method || !bytes.Equal(got.Signature, want.Signature) {
			t.Fatalf("%q: parseUnverified %+v %v, library %+v %v", tok, got, gotClaims, want, wantClaims)
		}
	})
}

// isNullSegment reports whether the header or claims segment is JSON null.
func isNullSegment(tok string) bool {
	parts := strings.Split(tok, ".")
	for _, p := range parts[:min(2, len(parts))] {
		if b, err := base64.RawURLEncoding.DecodeString(p); err == nil && strings.TrimSpace(string(b)) == "null" {
			return true
		}
	}
	return false
}
