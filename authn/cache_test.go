package authn

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/golang-jwt/jwt/v5"
)

func TestCacheExpiryAndSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCache(2, 10*time.Second, nil)
		u := &auth.User{Identity: "u", Permissions: []string{"p"}, Extra: map[string]any{"k": "v"}}
		k1, k2, k3 := keyOf(0, "one"), keyOf(0, "two"), keyOf(0, "three")
		c.put(k1, u, time.Time{})                    // max TTL: 10 s
		c.put(k2, u, time.Now().Add(3*time.Second))  // the token's expiry: 3 s
		c.put(k3, u, time.Now().Add(-1*time.Second)) // already expired: not stored
		if c.Len() != 2 {
			t.Fatalf("len %d", c.Len())
		}
		got, ok := c.get(k1)
		if !ok || got.Identity != "u" {
			t.Fatal("k1 missing")
		}
		got.Extra["k"], got.Permissions[0] = "changed", "changed"
		if again, _ := c.get(k1); again.Extra["k"] != "v" || again.Permissions[0] != "p" {
			t.Fatal("a caller changed a cached user")
		}
		if _, ok := c.get(keyOf(1, "one")); ok {
			t.Fatal("another authenticator's entry was found")
		}
		time.Sleep(3 * time.Second)
		if _, ok := c.get(k2); ok {
			t.Fatal("k2 outlived its token")
		}
		if _, ok := c.get(k1); !ok {
			t.Fatal("k1 gone early")
		}
		time.Sleep(7 * time.Second)
		if _, ok := c.get(k1); ok {
			t.Fatal("k1 outlived the max TTL")
		}

		// Least recently used goes first.
		c.put(k1, u, time.Time{})
		c.put(k2, u, time.Time{})
		c.get(k1)
		c.put(k3, u, time.Time{})
		if _, ok := c.get(k2); ok {
			t.Fatal("k2 should have been evicted")
		}
		for _, k := range []cacheKey{k1, k3} {
			if _, ok := c.get(k); !ok {
				t.Fatal("the wrong entry was evicted")
			}
		}
	})
}

// countVerifies wraps a JWT authenticator so that the test sees when the
// cache answers and when the token is verified.
func countVerifies(chain *Chain, n *int) {
	j := chain.links[0].(*jwtAuth)
	j.run = cached(chain.cache, 0, j.header, func(ctx context.Context, cred string) (*auth.User, time.Time, error) {
		*n++
		return j.verify(ctx, cred)
	})
}

func TestCacheBoundByTokenExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		secret := strings.Repeat("s", 32)
		chain := mustBuild(t, `{"authenticators":[{"type":"jwt","issuer":"i","audience":"a","secret_env":"S","leeway_seconds":0}],
			"cache":{"ttl_seconds":300,"max_size":100}}`, BuildOptions{Getenv: func(string) (string, bool) { return secret, true }})
		verifies := 0
		countVerifies(chain, &verifies)
		mint := func(sub string, life time.Duration) *auth.Request {
			tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "i", "aud": "a", "sub": sub,
				"exp": time.Now().Add(life).Unix()}).SignedString([]byte(secret))
			return bearer(tok)
		}
		short := mint("short", 30*time.Second)
		for range 3 {
			if s := code(t, chain, short); s != 200 {
				t.Fatal(s)
			}
		}
		if verifies != 1 {
			t.Fatalf("%d verifications, want 1", verifies)
		}
		time.Sleep(31 * time.Second)
		if s := code(t, chain, short); s != 401 {
			t.Fatalf("expired token answered from the cache: %d", s)
		}
		long := mint("long", time.Hour)
		code(t, chain, long)
		time.Sleep(299 * time.Second)
		code(t, chain, long)
		if verifies != 3 {
			t.Fatalf("%d verifications before the max TTL, want 3", verifies)
		}
		time.Sleep(2 * time.Second)
		code(t, chain, long)
		if verifies != 4 {
			t.Fatalf("%d verifications after the max TTL, want 4", verifies)
		}
		// Failures are never cached.
		bad := bearer(strings.Repeat("x", 10) + "." + strings.Repeat("y", 10) + ".z")
		code(t, chain, bad)
		code(t, chain, bad)
		if chain.cache.Len() != 1 {
			t.Fatalf("cache holds %d entries, want the one live token", chain.cache.Len())
		}
	})
}

func TestCacheForGoAuthenticate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		custom := func(ctx context.Context, r *auth.Request) (*auth.User, error) {
			calls++
			if r.BearerToken() == "good" {
				return &auth.User{Identity: "u-" + r.Header("X-Tenant")}, nil
			}
			return nil, auth.Unauthorized("no")
		}
		chain := mustBuild(t, `{"authenticators":[{"type":"custom"}],"cache":{"ttl_seconds":60,"cache_keys":["authorization","x-tenant"]}}`,
			BuildOptions{Custom: custom})
		req := func(tok, tenant string) *auth.Request {
			r := bearer(tok)
			if tenant != "" {
				r.Headers.Set("X-Tenant", tenant)
			}
			return r
		}
		for range 3 {
			if u, err := chain.Authenticate(t.Context(), req("good", "a")); err != nil || u.Identity != "u-a" {
				t.Fatal(u, err)
			}
		}
		if u, _ := chain.Authenticate(t.Context(), req("good", "b")); u.Identity != "u-b" {
			t.Fatalf("tenant b got %s", u.Identity)
		}
		if calls != 2 {
			t.Fatalf("%d calls, want 2", calls)
		}
		code(t, chain, req("bad", "a"))
		code(t, chain, req("bad", "a"))
		if calls != 4 {
			t.Fatalf("failures were cached: %d calls", calls)
		}
		time.Sleep(61 * time.Second)
		chain.Authenticate(t.Context(), req("good", "a"))
		if calls != 5 {
			t.Fatalf("%d calls after the TTL, want 5", calls)
		}
		// Without any cache key header there is nothing to key on.
		chain.Authenticate(t.Context(), &auth.Request{Headers: http.Header{}})
		chain.Authenticate(t.Context(), &auth.Request{Headers: http.Header{}})
		if calls != 7 {
			t.Fatalf("%d calls, want 7", calls)
		}
	})
}

func TestCacheConcurrent(t *testing.T) {
	c := newCache(64, time.Minute, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := keyOf(g%2, fmt.Sprint(i%100))
				if u, ok := c.get(k); ok {
					if u.Identity != fmt.Sprint(i%100) {
						t.Errorf("key %d gave %s", i%100, u.Identity)
						return
					}
					continue
				}
				c.put(k, &auth.User{Identity: fmt.Sprint(i % 100)}, time.Time{})
			}
		})
	}
	wg.Wait()
	if c.Len() > 64 {
		t.Fatalf("len %d over the bound", c.Len())
	}
}
