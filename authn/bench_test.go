package authn

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Benchmarks of one verification per op. "Floor" is the bare crypto of
// the same key: SHA-256 of the signing input and the signature check, the
// least any JWT verifier must do. Run with:
//
//	go test ./authn -run '^$' -bench . -benchtime 0.5s

func benchChain(b *testing.B, is *issuer, alg string, cached bool) *Chain {
	cache := ""
	if cached {
		cache = `,"cache":{"ttl_seconds":300,"max_size":10000}`
	}
	return mustBuild(b, fmt.Sprintf(`{"authenticators":[{"type":"jwt","issuer":%q,"audience":"agentgate","jwks_url":%q,"algorithms":[%q]}]%s}`,
		is.url(), is.url()+"/keys", alg, cache), BuildOptions{})
}

func benchClaims(iss string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": iss, "aud": "agentgate", "sub": "user-1234", "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(24 * time.Hour).Unix(), "scope": "threads:read threads:write assistants:read", "email": "user@example.com"}
}

func runVerify(b *testing.B, c *Chain, tok string) {
	r := bearer(tok)
	ctx := context.Background()
	if _, err := c.Authenticate(ctx, r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Authenticate(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

func signingInput(tok string) (input string, sig []byte) {
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		panic(err)
	}
	return tok[:i], sig
}

func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		k := newTestKey(b, "k1", alg)
		is := newIssuer(b, k)
		tok := sign(b, k, benchClaims(is.url()))
		input, sig := signingInput(tok)
		b.Run(alg+"/floor", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h := sha256.Sum256([]byte(input))
				var ok bool
				switch pub := k.priv.Public().(type) {
				case *rsa.PublicKey:
					ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
				case *ecdsa.PublicKey:
					r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
					ok = ecdsa.Verify(pub, h[:], r, s)
				case ed25519.PublicKey:
					ok = ed25519.Verify(pub, []byte(input), sig)
				}
				if !ok {
					b.Fatal("floor verify failed")
				}
			}
		})
		b.Run(alg+"/uncached", func(b *testing.B) { runVerify(b, benchChain(b, is, alg, false), tok) })
		b.Run(alg+"/cached", func(b *testing.B) { runVerify(b, benchChain(b, is, alg, true), tok) })
	}

	secret := []byte(strings.Repeat("s", 32))
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, benchClaims("hs")).SignedString(secret)
	input, sig := signingInput(tok)
	b.Run("HS256/floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := hmac.New(sha256.New, secret)
			m.Write([]byte(input))
			if !hmac.Equal(m.Sum(nil), sig) {
				b.Fatal("floor verify failed")
			}
		}
	})
	hs := func(cached bool) *Chain {
		cache := ""
		if cached {
			cache = `,"cache":{"ttl_seconds":300,"max_size":10000}`
		}
		return mustBuild(b, `{"authenticators":[{"type":"jwt","issuer":"hs","audience":"agentgate","secret_env":"S"}]`+cache+`}`,
			BuildOptions{Getenv: func(string) (string, bool) { return string(secret), true }})
	}
	b.Run("HS256/uncached", func(b *testing.B) { runVerify(b, hs(false), tok) })
	b.Run("HS256/cached", func(b *testing.B) { runVerify(b, hs(true), tok) })
}

func BenchmarkStaticToken(b *testing.B) {
	c := mustBuild(b, `{"authenticators":[{"type":"tokens","env":"T"}]}`, BuildOptions{
		Getenv: func(string) (string, bool) {
			return `[{"token":"static-token-0123456789abcdef","identity":"svc"}]`, true
		}})
	runVerify(b, c, "static-token-0123456789abcdef")
}

// BenchmarkOverhead interleaves the bare crypto floor and a full uncached
// verification of the same token, op by op, so that both see the same
// machine load, and reports the median of each and their ratio (target:
// at most 1.2).
func BenchmarkOverhead(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		k := newTestKey(b, "k1", alg)
		is := newIssuer(b, k)
		tok := sign(b, k, benchClaims(is.url()))
		input, sig := signingInput(tok)
		chain := benchChain(b, is, alg, false)
		r := bearer(tok)
		floor := func() {
			h := sha256.Sum256([]byte(input))
			var ok bool
			switch pub := k.priv.Public().(type) {
			case *rsa.PublicKey:
				ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
			case *ecdsa.PublicKey:
				ok = ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
			case ed25519.PublicKey:
				ok = ed25519.Verify(pub, []byte(input), sig)
			}
			if !ok {
				b.Fatal("floor verify failed")
			}
		}
		b.Run(alg, func(b *testing.B) {
			var fl, full []time.Duration
			for b.Loop() {
				t0 := time.Now()
				floor()
				t1 := time.Now()
				if _, err := chain.Authenticate(context.Background(), r); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				fl, full = append(fl, t1.Sub(t0)), append(full, t2.Sub(t1))
			}
			mf, mv := median(fl), median(full)
			b.ReportMetric(float64(mf.Nanoseconds()), "floor-ns")
			b.ReportMetric(float64(mv.Nanoseconds()), "verify-ns")
			b.ReportMetric(float64(mv)/float64(mf), "ratio")
		})
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
