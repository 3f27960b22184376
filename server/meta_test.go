package server

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestOK(t *testing.T) {
	ts := newTestServer(t, Options{})
	var body map[string]any
	ts.ok(200, "GET", "/ok", nil).json(t, &body)
	if body["ok"] != true {
		t.Fatalf("body %v", body)
	}
	ts.ok(200, "GET", "/ok?check_db=1", nil)
	ts.ok(422, "GET", "/ok?check_db=maybe", nil)
}

func TestOKCheckDBFailure(t *testing.T) {
	ts := newTestServer(t, Options{})
	_ = ts.srv.store.Close()
	r := ts.ok(500, "GET", "/ok?check_db=1", nil)
	if d := r.detail(t); d != "Database check failed" {
		t.Fatalf("detail %q", d)
	}
	if !strings.Contains(ts.logs.String(), "closed") {
		t.Fatalf("cause not logged: %s", ts.logs)
	}
	ts.ok(200, "GET", "/ok", nil)
}

func TestInfo(t *testing.T) {
	ts := newTestServer(t, Options{Version: "1.2.3"})
	var info struct {
		Version string          `json:"version"`
		Flags   map[string]bool `json:"flags"`
	}
	r := ts.ok(200, "GET", "/info", nil)
	r.json(t, &info)
	if info.Version != "1.2.3" || !info.Flags["assistants"] || !info.Flags["crons"] {
		t.Fatalf("info %+v", info)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content-type %q", ct)
	}
	if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(r.body)) {
		t.Fatalf("content-length %q for %d bytes", cl, len(r.body))
	}
}

func TestOpenAPI(t *testing.T) {
	ts := newTestServer(t, Options{})
	var doc struct {
		OpenAPI    string                    `json:"openapi"`
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	ts.ok(200, "GET", "/openapi.json", nil).json(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	for _, rt := range ts.srv.Routes() {
		if doc.Paths[rt.Pattern][strings.ToLower(rt.Method)] == nil {
			t.Errorf("%s %s missing from openapi.json", rt.Method, rt.Pattern)
		}
	}
	if !strings.Contains(string(doc.Components.Schemas["AssistantCreate"]), `"enum":["agent","other"]`) {
		t.Errorf("graph_id enum missing: %s", doc.Components.Schemas["AssistantCreate"])
	}
	// Every $ref resolves.
	b := ts.ok(200, "GET", "/openapi.json", nil).body
	for _, m := range strings.Split(string(b), `"$ref":"#/components/schemas/`)[1:] {
		name := m[:strings.IndexByte(m, '"')]
		if doc.Components.Schemas[name] == nil {
			t.Errorf("dangling $ref %s", name)
		}
	}
}

func TestDocs(t *testing.T) {
	ts := newTestServer(t, Options{})
	r := ts.ok(200, "GET", "/docs", nil)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "openapi.json") {
		t.Fatalf("docs: %s %s", r.header.Get("Content-Type"), r.body)
	}
}

func TestDisableMeta(t *testing.T) {
	ts := newTestServer(t, Options{HTTP: HTTPOptions{Disable: DisableOptions{Meta: true, Store: true}}})
	ts.ok(200, "GET", "/ok", nil)
	ts.ok(404, "GET", "/info", nil)
	ts.ok(404, "GET", "/openapi.json", nil)
	ts.ok(404, "POST", "/store/items/search", map[string]any{})
	ts.ok(200, "POST", "/threads/search", map[string]any{})
}

func TestDisableGroups(t *testing.T) {
	ts := newTestServer(t, Options{HTTP: HTTPOptions{Disable: DisableOptions{Assistants: true, Threads: true}}})
	ts.ok(404, "POST", "/assistants/search", map[string]any{})
	ts.ok(404, "GET", "/assistants/agent", nil)
	ts.ok(404, "POST", "/threads", map[string]any{})
	ts.ok(404, "GET", "/threads/00000000-0000-0000-0000-000000000001/state", nil)
	ts.ok(204, "PUT", "/store/items", map[string]any{"namespace": []string{"a"}, "key": "k", "value": map[string]any{}})
	var info struct {
		Flags map[string]bool `json:"flags"`
	}
	ts.ok(200, "GET", "/info", nil).json(t, &info)
	if info.Flags["assistants"] {
		t.Fatalf("flags %v", info.Flags)
	}
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	ts.ok(200, "GET", "/openapi.json", nil).json(t, &doc)
	if doc.Paths["/threads"] != nil || doc.Paths["/store/items"] == nil {
		t.Fatalf("openapi paths of disabled groups: %v", doc.Paths)
	}
}
