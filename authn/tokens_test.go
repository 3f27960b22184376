package authn

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

func TestTokensFromFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	bobSum := sha256.Sum256([]byte("bob-secret-token-0123456789"))
	list := fmt.Sprintf(`{"tokens":[
		{"token":"alice-secret-token-0123456789","identity":"alice","display_name":"Alice","permissions":["threads:write"],"extra":{"org":"acme"}},
		{"sha256":%q,"identity":"bob"}]}`, hex.EncodeToString(bobSum[:]))
	if err := os.WriteFile(filepath.Join(dir, "tokens.json"), []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SERVICE_KEYS": `[{"token":"svc-key-abcdefghijklmnop","identity":"svc"}]`}
	chain := mustBuild(t, `{"authenticators":[
		{"type":"tokens","file":"tokens.json"},
		{"type":"tokens","header":"x-api-key","env":"SERVICE_KEYS"}]}`,
		BuildOptions{Dir: dir, Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})

	u, err := chain.Authenticate(t.Context(), bearer("alice-secret-token-0123456789"))
	if status(t, u, err) != 200 || u.Identity != "alice" || u.DisplayName != "Alice" ||
		!reflect.DeepEqual(u.Permissions, []string{"threads:write"}) || u.Extra["org"] != "acme" {
		t.Fatalf("alice: %+v %v", u, err)
	}
	u.Extra["org"] = "changed" // must not change the table
	u.Permissions[0] = "changed"
	if u, _ := chain.Authenticate(t.Context(), bearer("alice-secret-token-0123456789")); u.Extra["org"] != "acme" || u.Permissions[0] != "threads:write" {
		t.Fatal("a caller changed the stored user")
	}
	if u, err := chain.Authenticate(t.Context(), bearer("bob-secret-token-0123456789")); status(t, u, err) != 200 || u.Identity != "bob" || u.DisplayName != "bob" {
		t.Fatalf("bob by digest: %+v %v", u, err)
	}
	apiKey := &auth.Request{Headers: http.Header{"X-Api-Key": {"svc-key-abcdefghijklmnop"}}}
	if u, err := chain.Authenticate(t.Context(), apiKey); status(t, u, err) != 200 || u.Identity != "svc" {
		t.Fatalf("x-api-key: %+v %v", u, err)
	}
	for name, r := range map[string]*auth.Request{
		"unknown bearer":         bearer("alice-secret-token-012345678"),
		"unknown api key":        {Headers: http.Header{"X-Api-Key": {"nope"}}},
		"api key as bearer":      bearer("svc-key-abcdefghijklmnop"),
		"bearer token as apikey": {Headers: http.Header{"X-Api-Key": {"alice-secret-token-0123456789"}}},
		"oversized":              bearer(strings.Repeat("a", 9000)),
	} {
		if s := code(t, chain, r); s != 401 {
			t.Errorf("%s: %d", name, s)
		}
	}
}

// The authenticator keeps digests only: no field anywhere holds a token.
func TestTokensKeepOnlyDigests(t *testing.T) {
	const secret = "alice-secret-token-0123456789"
	chain := mustBuild(t, `{"authenticators":[{"type":"tokens","env":"T"}]}`, BuildOptions{
		Getenv: func(string) (string, bool) { return `[{"token":"` + secret + `","identity":"alice"}]`, true }})
	var walk func(v reflect.Value, depth int)
	walk = func(v reflect.Value, depth int) {
		if depth > 8 {
			return
		}
		switch v.Kind() {
		case reflect.String:
			if strings.Contains(v.String(), secret) {
				t.Fatal("a token is stored in clear")
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), depth+1)
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), depth+1)
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i), depth+1)
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				walk(it.Key(), depth+1)
				walk(it.Value(), depth+1)
			}
		}
	}
	walk(reflect.ValueOf(chain), 0)
}

func TestTokensBuildErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("empty.json", `{"tokens":[]}`)
	write("dup.json", `[{"token":"aaaaaaaaaaaaaaaaaaaa","identity":"a"},{"token":"aaaaaaaaaaaaaaaaaaaa","identity":"b"}]`)
	write("noid.json", `[{"token":"aaaaaaaaaaaaaaaaaaaa"}]`)
	write("both.json", `[{"token":"aaaaaaaaaaaaaaaaaaaa","sha256":"00","identity":"a"}]`)
	write("badsum.json", `[{"sha256":"xyz","identity":"a"}]`)
	write("unknown.json", `[{"token":"aaaaaaaaaaaaaaaaaaaa","identity":"a","role":"x"}]`)
	write("syntax.json", `[{"token":"super-secret-value-1234",`)
	for name, a := range map[string]string{
		"no source":     `{"type":"tokens"}`,
		"two sources":   `{"type":"tokens","file":"x","env":"Y"}`,
		"missing file":  `{"type":"tokens","file":"missing.json"}`,
		"missing env":   `{"type":"tokens","env":"NOPE"}`,
		"empty list":    `{"type":"tokens","file":"empty.json"}`,
		"duplicate":     `{"type":"tokens","file":"dup.json"}`,
		"no identity":   `{"type":"tokens","file":"noid.json"}`,
		"token and sum": `{"type":"tokens","file":"both.json"}`,
		"bad sha256":    `{"type":"tokens","file":"badsum.json"}`,
		"unknown field": `{"type":"tokens","file":"unknown.json"}`,
		"bad JSON":      `{"type":"tokens","file":"syntax.json"}`,
		"bad header":    `{"type":"tokens","file":"dup.json","header":"x api key"}`,
	} {
		_, err := buildJSON(t, `{"authenticators":[`+a+`]}`, BuildOptions{Dir: dir})
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "super-secret") || strings.Contains(err.Error(), "aaaaaaaa") {
			t.Errorf("%s: the error quotes a token: %v", name, err)
		}
	}
}
