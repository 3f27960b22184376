package authn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Config is the built-in authentication configuration (see schema.json and
// docs/authn.md): authenticators tried in order, and an optional cache.
type Config struct {
	Authenticators []AuthenticatorConfig `json:"authenticators"`
	Cache          *CacheConfig          `json:"cache,omitempty"`
}

// AuthenticatorConfig is one authenticator. Type selects which fields
// apply: "tokens", "jwt", "userinfo" or "custom" (the place of the Go
// Authenticate function given to Build).
type AuthenticatorConfig struct {
	Type string `json:"type"`
	// Name labels the authenticator in logs; default "<type>[<index>]".
	Name string `json:"name,omitempty"`
	// Header carries the credential: "authorization" (default; Bearer
	// scheme) or another header whose whole value is the credential, such
	// as "x-api-key".
	Header string `json:"header,omitempty"`

	// tokens: a JSON token list in a file or an environment variable.
	File string `json:"file,omitempty"`
	Env  string `json:"env,omitempty"`

	// jwt
	Issuer   string   `json:"issuer,omitempty"`
	Audience []string `json:"audience,omitempty"` // a string or an array in JSON
	// Exactly one key source: a JWKS URL, OIDC discovery from Issuer, or
	// an HMAC secret from an environment variable or a file.
	JWKSURL         string            `json:"jwks_url,omitempty"`
	OIDCDiscovery   bool              `json:"oidc_discovery,omitempty"`
	SecretEnv       string            `json:"secret_env,omitempty"`
	SecretFile      string            `json:"secret_file,omitempty"`
	Algorithms      []string          `json:"algorithms,omitempty"`
	LeewaySeconds   *int              `json:"leeway_seconds,omitempty"`
	MaxTokenBytes   int               `json:"max_token_bytes,omitempty"`
	RefreshSeconds  int               `json:"jwks_refresh_seconds,omitempty"`
	RefetchSeconds  int               `json:"jwks_min_refetch_seconds,omitempty"`
	MaxStaleSeconds int               `json:"jwks_max_stale_seconds,omitempty"`
	TimeoutSeconds  int               `json:"timeout_seconds,omitempty"` // every fetch (jwt, userinfo)
	Claims          *ClaimsConfig     `json:"claims,omitempty"`
	URL             string            `json:"url,omitempty"`              // userinfo
	HeadersFromEnv  map[string]string `json:"headers_from_env,omitempty"` // userinfo: header -> env var
	ForwardHeader   string            `json:"forward_header,omitempty"`   // userinfo: default Authorization (Bearer)
}

// CacheConfig bounds the authentication result cache.
type CacheConfig struct {
	// TTLSeconds is the longest a user is remembered (default 300); a
	// token's own expiry shortens it.
	TTLSeconds int `json:"ttl_seconds,omitempty"`
	// MaxSize is the most users remembered (default 10000).
	MaxSize int `json:"max_size,omitempty"`
	// CacheKeys lists request headers whose values key the cache for the
	// Go Authenticate function ("custom"); built-in authenticators key by
	// their credential.
	CacheKeys []string `json:"cache_keys,omitempty"`
}

// ConfigError is a configuration error at a key path such as
// "authenticators[1].claims.identity".
type ConfigError struct {
	Path string
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Path == "" {
		return "authn: " + e.Msg
	}
	return "authn: " + e.Path + ": " + e.Msg
}

func cfgErr(path, format string, args ...any) error {
	return &ConfigError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// ParseConfig decodes raw strictly: unknown keys, duplicate keys and wrong
// types are errors naming the key path. It does not check what only Build
// can (files, environment, consistency).
func ParseConfig(raw json.RawMessage) (*Config, error) {
	obj, err := object("", raw, "authenticators", "cache")
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	list, ok := obj["authenticators"]
	if !ok {
		return nil, cfgErr("authenticators", "is required")
	}
	var items []json.RawMessage
	if err := strict(list, &items); err != nil || items == nil {
		return nil, cfgErr("authenticators", "expected an array of objects")
	}
	for i, item := range items {
		a, err := parseAuthenticator(fmt.Sprintf("authenticators[%d]", i), item)
		if err != nil {
			return nil, err
		}
		cfg.Authenticators = append(cfg.Authenticators, *a)
	}
	if v, ok := obj["cache"]; ok {
		c := &CacheConfig{}
		co, err := object("cache", v, "ttl_seconds", "max_size", "cache_keys")
		if err != nil {
			return nil, err
		}
		if err := fields("cache", co, map[string]any{
			"ttl_seconds": &c.TTLSeconds, "max_size": &c.MaxSize, "cache_keys": &c.CacheKeys}); err != nil {
			return nil, err
		}
		cfg.Cache = c
	}
	return cfg, nil
}

// keysByType lists the keys each authenticator type accepts.
func keysByType() map[string][]string {
	return map[string][]string{
		"tokens": {"type", "name", "header", "file", "env"},
		"jwt": {"type", "name", "header", "issuer", "audience", "jwks_url", "oidc_discovery", "secret_env",
			"secret_file", "algorithms", "leeway_seconds", "max_token_bytes", "jwks_refresh_seconds",
			"jwks_min_refetch_seconds", "jwks_max_stale_seconds", "timeout_seconds", "claims"},
		"userinfo": {"type", "name", "header", "url", "headers_from_env", "forward_header", "timeout_seconds",
			"max_token_bytes", "claims"},
		"custom": {"type", "name"},
	}
}

func parseAuthenticator(path string, raw json.RawMessage) (*AuthenticatorConfig, error) {
	obj, err := object(path, raw)
	if err != nil {
		return nil, err
	}
	a := &AuthenticatorConfig{}
	t, ok := obj["type"]
	if !ok {
		return nil, cfgErr(path+".type", "is required (tokens, jwt, userinfo or custom)")
	}
	if err := strict(t, &a.Type); err != nil {
		return nil, cfgErr(path+".type", "expected a string")
	}
	known, ok := keysByType()[a.Type]
	if !ok {
		return nil, cfgErr(path+".type", "unknown type %q (want tokens, jwt, userinfo or custom)", a.Type)
	}
	if err := checkKeys(path, obj, known...); err != nil {
		return nil, err
	}
	var aud json.RawMessage
	var claims json.RawMessage
	targets := map[string]any{
		"type": &a.Type, "name": &a.Name, "header": &a.Header, "file": &a.File, "env": &a.Env,
		"issuer": &a.Issuer, "audience": &aud, "jwks_url": &a.JWKSURL, "oidc_discovery": &a.OIDCDiscovery,
		"secret_env": &a.SecretEnv, "secret_file": &a.SecretFile, "algorithms": &a.Algorithms,
		"leeway_seconds": &a.LeewaySeconds, "max_token_bytes": &a.MaxTokenBytes,
		"jwks_refresh_seconds": &a.RefreshSeconds, "jwks_min_refetch_seconds": &a.RefetchSeconds,
		"jwks_max_stale_seconds": &a.MaxStaleSeconds, "timeout_seconds": &a.TimeoutSeconds,
		"claims": &claims, "url": &a.URL, "headers_from_env": &a.HeadersFromEnv,
		"forward_header": &a.ForwardHeader,
	}
	if err := fields(path, obj, targets); err != nil {
		return nil, err
	}
	if aud != nil {
		var one string
		if strict(aud, &one) == nil {
			a.Audience = []string{one}
		} else if err := strict(aud, &a.Audience); err != nil {
			return nil, cfgErr(path+".audience", "expected a string or an array of strings")
		}
	}
	if claims != nil {
		if a.Claims, err = parseClaims(path+".claims", claims); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func parseClaims(path string, raw json.RawMessage) (*ClaimsConfig, error) {
	obj, err := object(path, raw, "identity", "display_name", "permissions", "extra")
	if err != nil {
		return nil, err
	}
	c := &ClaimsConfig{}
	var extra json.RawMessage
	if err := fields(path, obj, map[string]any{"identity": &c.Identity, "display_name": &c.DisplayName,
		"permissions": &c.Permissions, "extra": &extra}); err != nil {
		return nil, err
	}
	if _, ok := obj["permissions"]; ok && c.Permissions == nil {
		c.Permissions = []string{}
	}
	if extra == nil {
		return c, nil
	}
	var list []string
	if strict(extra, &list) == nil {
		c.Extra = map[string]string{}
		for _, p := range list {
			name := p[strings.LastIndex(p, ".")+1:]
			if _, dup := c.Extra[name]; dup {
				return nil, cfgErr(path+".extra", "two paths end in %q; use an object {name: path}", name)
			}
			c.Extra[name] = p
		}
		return c, nil
	}
	if err := strict(extra, &c.Extra); err != nil {
		return nil, cfgErr(path+".extra", "expected an array of claim paths or an object {name: path}")
	}
	return c, nil
}

// object decodes raw as an object, rejecting duplicate keys and, when
// known is given, keys not in it.
func object(path string, raw json.RawMessage, known ...string) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, cfgErr(path, "expected an object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, cfgErr(path, "%v", err)
	}
	obj := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, cfgErr(path, "%v", err)
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, cfgErr(join(path, key), "%v", err)
		}
		if _, dup := obj[key]; dup {
			return nil, cfgErr(join(path, key), "duplicate key")
		}
		obj[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, cfgErr(path, "%v", err)
	}
	if dec.More() {
		return nil, cfgErr(path, "trailing data after the object")
	}
	if known != nil {
		if err := checkKeys(path, obj, known...); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

func checkKeys(path string, obj map[string]json.RawMessage, known ...string) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return cfgErr(join(path, k), "unknown key (known: %s)", strings.Join(known, ", "))
		}
	}
	return nil
}

// fields decodes each present key of obj into its target, strictly.
func fields(path string, obj map[string]json.RawMessage, targets map[string]any) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t, ok := targets[k]
		if !ok {
			continue
		}
		if raw, ok := t.(*json.RawMessage); ok {
			*raw = obj[k]
			continue
		}
		if err := strict(obj[k], t); err != nil {
			return cfgErr(join(path, k), "expected %s", describe(t))
		}
	}
	return nil
}

func strict(raw json.RawMessage, v any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return fmt.Errorf("null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func describe(t any) string {
	switch t.(type) {
	case *string:
		return "a string"
	case *bool:
		return "a boolean"
	case *int, **int:
		return "an integer"
	case *[]string:
		return "an array of strings"
	case *map[string]string:
		return "an object of strings"
	}
	return "another type"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
