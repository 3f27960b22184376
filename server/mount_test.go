package server

import (
	"strings"
	"testing"

	"github.com/agentgate/agentgate/storage/memory"
)

// TestMountPrefix: everything answers under the prefix and nothing outside
// it, and the locations the server hands out carry the prefix.
func TestMountPrefix(t *testing.T) {
	ts := newTestServer(t, Options{UI: uiBundles(), HTTP: HTTPOptions{MountPrefix: "/api/v1"}})
	ts.ok(200, "GET", "/api/v1/ok", nil)
	for _, p := range []string{"/ok", "/threads/search", "/api/ok", "/api/v1x/ok", "/api/v1"} {
		if r := ts.do("GET", p, nil); r.status != 404 || !strings.Contains(string(r.body), `"detail"`) {
			t.Errorf("GET %s: %d %s", p, r.status, r.body)
		}
	}
	var th struct {
		ThreadID string `json:"thread_id"`
	}
	ts.ok(200, "POST", "/api/v1/threads", map[string]any{}).json(t, &th)
	r := ts.ok(200, "POST", "/api/v1/threads/"+th.ThreadID+"/runs/wait", map[string]any{"assistant_id": "agent", "input": map[string]any{}})
	cl := r.header.Get("Content-Location")
	if !strings.HasPrefix(cl, "/api/v1/threads/"+th.ThreadID+"/runs/") || r.header.Get("Location") != cl+"/join" {
		t.Errorf("runs/wait: Content-Location %q, Location %q", cl, r.header.Get("Location"))
	}
	ts.ok(200, "GET", strings.TrimSuffix(r.header.Get("Location"), "/join"), nil) // the run, found through it

	r = ts.ok(200, "POST", "/api/v1/runs/stream", map[string]any{"assistant_id": "agent", "input": map[string]any{}})
	if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "/api/v1/runs/") || !strings.HasSuffix(loc, "/stream") {
		t.Errorf("runs/stream Location %q", loc)
	}
	if !strings.Contains(string(r.body), "event: values") {
		t.Errorf("stream body %s", r.body)
	}

	var doc struct {
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
	}
	ts.ok(200, "GET", "/api/v1/openapi.json", nil).json(t, &doc)
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Errorf("openapi servers %+v", doc.Servers)
	}
	if body := string(ts.ok(200, "GET", "/api/v1/docs", nil).body); !strings.Contains(body, `data-url="openapi.json"`) {
		t.Errorf("docs page does not load openapi.json relatively: %.300s", body)
	}
	if card := string(ts.ok(200, "GET", "/api/v1/.well-known/agent-card.json?assistant_id=agent", nil).body); !strings.Contains(card, `/api/v1/a2a/`) {
		t.Errorf("agent card url: %s", card)
	}
	if html := string(ts.ok(200, "POST", "/api/v1/ui/agent-alias", map[string]any{"name": "w"}).body); !strings.Contains(html, `/api/v1/ui/agent-alias/entrypoint.js"`) {
		t.Errorf("ui html: %s", html)
	}
	ts.ok(200, "GET", "/api/v1/ui/agent-alias/entrypoint.js", nil)
}

func TestMountPrefixRefusesBadPrefixes(t *testing.T) {
	for _, p := range []string{"api", "/api/"} {
		st := memory.New()
		t.Cleanup(func() { _ = st.Close() })
		if _, err := New(t.Context(), Options{Store: st, Graphs: testGraphs(t), HTTP: HTTPOptions{MountPrefix: p}}); err == nil ||
			!strings.Contains(err.Error(), "MountPrefix") {
			t.Errorf("MountPrefix %q: err = %v", p, err)
		}
	}
}
