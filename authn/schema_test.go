package authn

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

type schemaDoc struct {
	Properties map[string]json.RawMessage `json:"properties"`
	Defs       map[string]struct {
		Properties map[string]json.RawMessage `json:"properties"`
	} `json:"$defs"`
	Examples []json.RawMessage `json:"examples"`
}

func keysOf(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The schema and ParseConfig accept the same keys.
func TestSchemaMatchesParser(t *testing.T) {
	var doc schemaDoc
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	check := func(what string, got []string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: schema has %v, the parser %v", what, got, want)
		}
	}
	check("top level", keysOf(doc.Properties), "authenticators", "cache")
	for typ, keys := range keysByType() {
		check(typ, keysOf(doc.Defs[typ].Properties), slices.Clone(keys)...)
	}
	check("claims", keysOf(doc.Defs["claims"].Properties), "identity", "display_name", "permissions", "extra")
	check("cache", keysOf(doc.Defs["cache"].Properties), "ttl_seconds", "max_size", "cache_keys")
}

// Every example in the schema parses and builds (with its environment
// variables and files present, and no network).
func TestSchemaExamplesBuild(t *testing.T) {
	var doc schemaDoc
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Examples) < 4 {
		t.Fatalf("%d examples", len(doc.Examples))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "service-tokens.json"), []byte(`{"tokens":[{"token":"svc-0123456789abcdef","identity":"svc"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	noNet := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("no network in tests") })}
	env := func(k string) (string, bool) {
		if k == "AGENTGATE_API_KEYS" {
			return `[{"token":"key-0123456789abcdef","identity":"svc"}]`, true
		}
		return strings.Repeat("s", 32), true
	}
	custom := func(context.Context, *auth.Request) (*auth.User, error) { return nil, ErrNoCredentials }
	for i, ex := range doc.Examples {
		cfg, err := ParseConfig(ex)
		if err != nil {
			t.Errorf("example %d: %v", i, err)
			continue
		}
		opts := BuildOptions{HTTPClient: noNet, Getenv: env, Dir: dir, Logger: quietLogger()}
		if slices.ContainsFunc(cfg.Authenticators, func(a AuthenticatorConfig) bool { return a.Type == "custom" }) {
			opts.Custom = custom
		}
		if _, err := Build(t.Context(), cfg, opts); err != nil {
			t.Errorf("example %d: %v", i, err)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
