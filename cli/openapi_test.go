package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openAPIDoc(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /openapi.json: %d %v", resp.StatusCode, err)
	}
	return doc
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestOpenAPISecurityFromConfig(t *testing.T) {
	cfg := writeConfig(t, `{"auth": {"path": "./security:Auth", "openapi": {
		"securitySchemes": {"OAuth2": {"type": "oauth2", "flows": {"implicit": {"authorizationUrl": "https://idp.example/auth", "scopes": {"me": "you"}}}}},
		"security": [{"OAuth2": ["me"]}],
		"paths": {"/threads/{thread_id}": {"GET": [{"OAuth2": []}]}, "/no/such/route": {"get": []}}}}}`)
	r := startProgram(t, Program{Auth: tokenAuth}, nil, "dev", "--memory", "--port", "0", "--config", cfg)
	doc := openAPIDoc(t, r.url)
	comps := doc["components"].(map[string]any)
	if got := jsonString(comps["securitySchemes"]); !strings.Contains(got, `"OAuth2":{"flows"`) {
		t.Errorf("securitySchemes = %s", got)
	}
	if got := jsonString(doc["security"]); got != `[{"OAuth2":["me"]}]` {
		t.Errorf("security = %s", got)
	}
	op := doc["paths"].(map[string]any)["/threads/{thread_id}"].(map[string]any)["get"].(map[string]any)
	if got := jsonString(op["security"]); got != `[{"OAuth2":[]}]` {
		t.Errorf("GET /threads/{thread_id} security = %s", got)
	}
	if !strings.Contains(r.stderr.String(), "/no/such/route") {
		t.Errorf("no warning about the unknown path:\n%s", r.stderr)
	}
}

func TestOpenAPISecurityOfBuiltinAuthenticators(t *testing.T) {
	r := start(t, nil, "dev", "--memory", "--port", "0", "--config", filepath.Join("..", "examples", "secured-chatbot"))
	doc := openAPIDoc(t, r.url)
	if got := jsonString(doc["components"].(map[string]any)["securitySchemes"]); got != `{"BearerAuth":{"scheme":"bearer","type":"http"}}` {
		t.Errorf("securitySchemes = %s", got)
	}
	if got := jsonString(doc["security"]); got != `[{"BearerAuth":[]}]` {
		t.Errorf("security = %s", got)
	}

	cfg := writeConfig(t, `{"auth": {"authenticators": [{"type": "tokens", "header": "x-api-key", "file": "keys.json"}], "policy": "owner"}}`)
	if err := os.WriteFile(filepath.Join(cfg, "keys.json"), []byte(`[{"token": "k-0123456789abcdef", "identity": "a"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	r = start(t, nil, "dev", "--memory", "--port", "0", "--config", cfg)
	doc = openAPIDoc(t, r.url)
	if got := jsonString(doc["components"].(map[string]any)["securitySchemes"]); got != `{"Header:X-Api-Key":{"in":"header","name":"X-Api-Key","type":"apiKey"}}` {
		t.Errorf("securitySchemes = %s", got)
	}
}

func TestBadOpenAPISecurityRefusesToStart(t *testing.T) {
	for _, bad := range []string{
		`{"security": {"BearerAuth": []}}`,
		`{"securitySchemes": []}`,
		`{"paths": {"/threads": {"post": [{"BearerAuth": "x"}]}}}`,
		`{"securitySchemas": {}}`,
	} {
		cfg := writeConfig(t, `{"auth": {"path": "./security:Auth", "openapi": `+bad+`}}`)
		code, stdout, stderr := runProgram(t, Program{Auth: tokenAuth}, nil, "dev", "--memory", "--port", "0", "--config", cfg)
		if code != exitError || stdout != "" || !strings.Contains(stderr, "auth.openapi") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", bad, code, stdout, stderr)
		}
	}
}
