package authn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/golang-jwt/jwt/v5"
)

// BuildOptions supply what a configuration refers to.
type BuildOptions struct {
	// HTTPClient fetches JWKS, discovery documents and user info; default
	// a new http.Client. Every fetch is bounded by its timeout_seconds.
	HTTPClient *http.Client
	Logger     *slog.Logger // default slog.Default()
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Getenv reads environment variables (default os.LookupEnv).
	Getenv func(name string) (string, bool)
	// Dir resolves relative file paths (the langgraph.json directory).
	Dir string
	// Custom is the Go Authenticate function. It runs where the
	// configuration has {"type": "custom"}, or last when it has none.
	Custom auth.AuthenticateFunc
}

// Limits and defaults.
const (
	MaxLeeway            = 60 * time.Second
	DefaultMaxTokenBytes = 8 << 10
	MinHMACSecretBytes   = 32
)

var (
	hmacAlgs       = []string{"HS256", "HS384", "HS512"}
	asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

// Build checks cfg and makes its chain. Any misconfiguration is an error
// (the server must refuse to start rather than run open). An identity
// provider that cannot be reached yet is not: it is logged, and its tokens
// get 503 until it answers. ctx bounds the first key fetches.
func Build(ctx context.Context, cfg *Config, opts BuildOptions) (*Chain, error) {
	if cfg == nil {
		return nil, cfgErr("", "no configuration")
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	if len(cfg.Authenticators) == 0 {
		return nil, cfgErr("authenticators", "is empty")
	}
	var cache *resultCache
	if c := cfg.Cache; c != nil {
		ttl, size := c.TTLSeconds, c.MaxSize
		if ttl == 0 {
			ttl = 300
		}
		if size == 0 {
			size = 10000
		}
		if ttl < 0 || ttl > 86400 {
			return nil, cfgErr("cache.ttl_seconds", "must be between 1 and 86400")
		}
		if size < 0 {
			return nil, cfgErr("cache.max_size", "must be positive")
		}
		cache = newCache(size, time.Duration(ttl)*time.Second, opts.Now)
	}
	b := &builder{opts: opts, cache: cache, seen: map[string]string{}, claimed: map[string]string{}}
	var links []Authenticator
	var names []string
	custom := false
	for i := range cfg.Authenticators {
		a := cfg.Authenticators[i] // a copy: Build does not change cfg
		path := fmt.Sprintf("authenticators[%d]", i)
		if a.Name == "" {
			a.Name = fmt.Sprintf("%s[%d]", a.Type, i)
		}
		var l Authenticator
		var err error
		switch a.Type {
		case "tokens":
			l, err = b.tokens(path, &a)
		case "jwt":
			l, err = b.jwt(ctx, path, &a, i)
		case "userinfo":
			l, err = b.userinfo(path, &a, i)
		case "custom":
			if custom {
				return nil, cfgErr(path, "only one custom authenticator can be configured")
			}
			if opts.Custom == nil {
				return nil, cfgErr(path, "type custom needs a Go Authenticate function (auth.path)")
			}
			custom = true
			l = b.custom(cfg.Cache, i)
		default:
			err = cfgErr(path+".type", "unknown type %q", a.Type)
		}
		if err != nil {
			return nil, err
		}
		if h, ok := l.(interface{ credentialHeader() string }); ok {
			if prev, taken := b.claimed[h.credentialHeader()]; taken {
				return nil, cfgErr(path, "is never reached: %s takes every credential in header %q; put it last", prev, h.credentialHeader())
			}
			if a.Type != "jwt" {
				b.claimed[h.credentialHeader()] = path
			}
		}
		links, names = append(links, l), append(names, a.Name)
	}
	if !custom && opts.Custom != nil {
		custom = true
		links, names = append(links, b.custom(cfg.Cache, len(links))), append(names, "custom")
	}
	if cfg.Cache != nil && len(cfg.Cache.CacheKeys) > 0 && !custom {
		return nil, cfgErr("cache.cache_keys", "applies only to a Go Authenticate function, and there is none")
	}
	chain := NewChain(links...)
	chain.cache, chain.names = cache, names
	return chain, nil
}

type builder struct {
	opts  BuildOptions
	cache *resultCache
	seen  map[string]string // header + issuer -> path, to refuse duplicates
	// claimed maps a header to the tokens or userinfo authenticator that
	// answers for every credential in it.
	claimed map[string]string
}

func (b *builder) custom(c *CacheConfig, link int) Authenticator {
	f := Func(b.opts.Custom)
	if b.cache != nil && c != nil && len(c.CacheKeys) > 0 {
		return &cachedFunc{fn: f, keys: c.CacheKeys, cache: b.cache, link: link}
	}
	return f
}

func (b *builder) header(path string, a *AuthenticatorConfig) (string, error) {
	h := a.Header
	if h == "" {
		return "Authorization", nil
	}
	for _, r := range h {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "", cfgErr(path+".header", "%q is not a header name", h)
		}
	}
	return http.CanonicalHeaderKey(h), nil
}

func (b *builder) env(path, name string) (string, error) {
	v, ok := b.opts.Getenv(name)
	if !ok || v == "" {
		return "", cfgErr(path, "environment variable %s is not set", name)
	}
	return v, nil
}

func (b *builder) file(path, name string) ([]byte, error) {
	if !filepath.IsAbs(name) && b.opts.Dir != "" {
		name = filepath.Join(b.opts.Dir, name)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, cfgErr(path, "%v", err)
	}
	return data, nil
}

func (b *builder) tokens(path string, a *AuthenticatorConfig) (Authenticator, error) {
	header, err := b.header(path, a)
	if err != nil {
		return nil, err
	}
	var data []byte
	var source string
	switch {
	case (a.File == "") == (a.Env == ""):
		return nil, cfgErr(path, "give exactly one of file or env")
	case a.File != "":
		source = a.File
		if data, err = b.file(path+".file", a.File); err != nil {
			return nil, err
		}
	default:
		source = "$" + a.Env
		v, err := b.env(path+".env", a.Env)
		if err != nil {
			return nil, err
		}
		data = []byte(v)
	}
	byHash, err := parseTokenList(source, data, b.opts.Logger)
	if err != nil {
		return nil, cfgErr(path, "%v", err)
	}
	return &tokens{name: a.Name, header: header, max: DefaultMaxTokenBytes, byHash: byHash}, nil
}

func (b *builder) seconds(path string, v, def, lo, hi int) (time.Duration, error) {
	if v == 0 {
		v = def
	}
	if v < lo || v > hi {
		return 0, cfgErr(path, "must be between %d and %d", lo, hi)
	}
	return time.Duration(v) * time.Second, nil
}

func (b *builder) maxBytes(path string, v int) (int, error) {
	if v == 0 {
		return DefaultMaxTokenBytes, nil
	}
	if v < 512 || v > 64<<10 {
		return 0, cfgErr(path, "must be between 512 and 65536")
	}
	return v, nil
}

func (b *builder) jwt(ctx context.Context, path string, a *AuthenticatorConfig, link int) (Authenticator, error) {
	header, err := b.header(path, a)
	if err != nil {
		return nil, err
	}
	if a.Issuer == "" {
		return nil, cfgErr(path+".issuer", "is required")
	}
	if prev, dup := b.seen[header+" "+a.Issuer]; dup {
		return nil, cfgErr(path+".issuer", "%s already verifies tokens of this issuer", prev)
	}
	b.seen[header+" "+a.Issuer] = path
	if len(a.Audience) == 0 || slices.Contains(a.Audience, "") {
		return nil, cfgErr(path+".audience", "is required (a non-empty string or array of strings)")
	}
	sources := 0
	for _, set := range []bool{a.JWKSURL != "", a.OIDCDiscovery, a.SecretEnv != "", a.SecretFile != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, cfgErr(path, "give exactly one key source: jwks_url, oidc_discovery, secret_env or secret_file")
	}
	hmac := a.SecretEnv != "" || a.SecretFile != ""
	algs := a.Algorithms
	if algs == nil {
		algs = []string{"RS256"}
		if hmac {
			algs = []string{"HS256"}
		}
	}
	if len(algs) == 0 {
		return nil, cfgErr(path+".algorithms", "is empty")
	}
	for _, alg := range algs {
		switch {
		case strings.EqualFold(alg, "none"):
			return nil, cfgErr(path+".algorithms", `"none" is never allowed`)
		case hmac && !slices.Contains(hmacAlgs, alg):
			return nil, cfgErr(path+".algorithms", "%q cannot be used with a shared secret (want %v)", alg, hmacAlgs)
		case !hmac && !slices.Contains(asymmetricAlgs, alg):
			return nil, cfgErr(path+".algorithms", "%q cannot be used with a JWKS (want %v; HMAC secrets never come from a JWKS)", alg, asymmetricAlgs)
		}
	}
	leeway := 60
	if a.LeewaySeconds != nil {
		leeway = *a.LeewaySeconds
	}
	if leeway < 0 || time.Duration(leeway)*time.Second > MaxLeeway {
		return nil, cfgErr(path+".leeway_seconds", "must be between 0 and 60")
	}
	maxBytes, err := b.maxBytes(path+".max_token_bytes", a.MaxTokenBytes)
	if err != nil {
		return nil, err
	}
	timeout, err := b.seconds(path+".timeout_seconds", a.TimeoutSeconds, 5, 1, 60)
	if err != nil {
		return nil, err
	}
	refresh, err := b.seconds(path+".jwks_refresh_seconds", a.RefreshSeconds, 3600, 60, 7*86400)
	if err != nil {
		return nil, err
	}
	refetch, err := b.seconds(path+".jwks_min_refetch_seconds", a.RefetchSeconds, 60, 1, 3600)
	if err != nil {
		return nil, err
	}
	stale, err := b.seconds(path+".jwks_max_stale_seconds", a.MaxStaleSeconds, 86400, 60, 30*86400)
	if err != nil {
		return nil, err
	}
	if stale < refresh {
		return nil, cfgErr(path+".jwks_max_stale_seconds", "must be at least jwks_refresh_seconds")
	}
	j := &jwtAuth{name: a.Name, header: header, issuer: a.Issuer, max: maxBytes,
		claims: newClaimMapper(a.Claims.withDefaults("sub")), log: b.opts.Logger}
	if err := checkClaims(path+".claims", a.Claims); err != nil {
		return nil, err
	}
	j.algs = algs
	j.validator = jwt.NewValidator(jwt.WithIssuer(a.Issuer),
		jwt.WithAudience(a.Audience...), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(time.Duration(leeway)*time.Second), jwt.WithTimeFunc(b.opts.Now))
	switch {
	case hmac:
		var secret []byte
		if a.SecretEnv != "" {
			v, err := b.env(path+".secret_env", a.SecretEnv)
			if err != nil {
				return nil, err
			}
			secret = []byte(v)
		} else {
			if secret, err = b.file(path+".secret_file", a.SecretFile); err != nil {
				return nil, err
			}
			secret = []byte(strings.TrimRight(string(secret), "\r\n"))
		}
		if len(secret) < MinHMACSecretBytes {
			return nil, cfgErr(path, "the HMAC secret is %d bytes; at least %d are required", len(secret), MinHMACSecretBytes)
		}
		j.secret = secret
	default:
		jwksURL := a.JWKSURL
		if jwksURL != "" && !isHTTPURL(jwksURL) {
			return nil, cfgErr(path+".jwks_url", "%q is not an http(s) URL", jwksURL)
		}
		if a.OIDCDiscovery && !isHTTPURL(a.Issuer) {
			return nil, cfgErr(path+".issuer", "OIDC discovery needs an http(s) issuer URL, got %q", a.Issuer)
		}
		ks, err := newKeySet(a.Issuer, jwksURL, algs, b.opts.HTTPClient, timeout, refresh, refetch, stale, b.opts.Now, b.opts.Logger)
		if err != nil {
			return nil, err
		}
		if !ks.update(ctx, false) {
			var mis *misconfigError
			if errors.As(ks.lastErr, &mis) {
				return nil, cfgErr(path, "%v", mis)
			}
			b.opts.Logger.Warn("authn: the issuer's keys are not available yet; its tokens get 503 until they are",
				"authenticator", a.Name, "issuer", a.Issuer, "error", ks.lastErr)
		}
		j.keys = ks
	}
	j.run = cached(b.cache, link, header, j.verify)
	return j, nil
}

func (b *builder) userinfo(path string, a *AuthenticatorConfig, link int) (Authenticator, error) {
	header, err := b.header(path, a)
	if err != nil {
		return nil, err
	}
	if !isHTTPURL(a.URL) {
		return nil, cfgErr(path+".url", "is required: the http(s) URL of the user-info endpoint")
	}
	timeout, err := b.seconds(path+".timeout_seconds", a.TimeoutSeconds, 5, 1, 60)
	if err != nil {
		return nil, err
	}
	maxBytes, err := b.maxBytes(path+".max_token_bytes", a.MaxTokenBytes)
	if err != nil {
		return nil, err
	}
	forward := a.ForwardHeader
	if forward == "" {
		forward = "Authorization"
	}
	static := http.Header{}
	for name, env := range a.HeadersFromEnv {
		v, err := b.env(path+".headers_from_env."+name, env)
		if err != nil {
			return nil, err
		}
		static.Set(name, v)
	}
	if err := checkClaims(path+".claims", a.Claims); err != nil {
		return nil, err
	}
	u := &userinfo{name: a.Name, header: header, url: a.URL, forward: forward, static: static,
		client: noRedirects(b.opts.HTTPClient), timeout: timeout, max: maxBytes,
		claims: newClaimMapper(a.Claims.withDefaults("sub")), log: b.opts.Logger}
	u.run = cached(b.cache, link, header, u.verify)
	return u, nil
}

func checkClaims(path string, c *ClaimsConfig) error {
	if c == nil {
		return nil
	}
	bad := func(p string) bool { return slices.Contains(strings.Split(p, "."), "") }
	if bad(c.Identity) && c.Identity != "" {
		return cfgErr(path+".identity", "%q is not a claim path", c.Identity)
	}
	if c.DisplayName != "" && bad(c.DisplayName) {
		return cfgErr(path+".display_name", "%q is not a claim path", c.DisplayName)
	}
	for _, p := range c.Permissions {
		if bad(p) {
			return cfgErr(path+".permissions", "%q is not a claim path", p)
		}
	}
	for name, p := range c.Extra {
		if name == "" || bad(p) {
			return cfgErr(path+".extra", "%q: %q is not a claim path", name, p)
		}
		if slices.Contains([]string{"identity", "display_name", "is_authenticated", "permissions"}, name) {
			return cfgErr(path+".extra", "%q is a standard user field", name)
		}
	}
	return nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
