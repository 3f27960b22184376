package server

import (
	"net/http"
	"strings"
	"testing"
)

func uiBundles() map[string]UIBundle {
	return map[string]UIBundle{"agent-alias": {Global: "__LGUI_agent_alias", Files: []UIFile{
		{Name: "entrypoint.js", Body: []byte(`var __LGUI_agent_alias=(()=>{})();`)},
		{Name: "entrypoint.css", Body: []byte(`.w{color:red}`)},
	}}}
}

func TestUIServesBundles(t *testing.T) {
	o := ownerAuth{}
	ts := newTestServer(t, Options{Authenticator: o, Authorizer: o, UI: uiBundles()})
	host := strings.TrimPrefix(ts.http.URL, "http://")
	alice := []string{"X-User", "alice", "Accept", "text/html"}

	r := ts.ok(200, "POST", "/ui/agent-alias", map[string]any{"name": "weather-component"}, alice...)
	want := `<link rel="stylesheet" href="http://` + host + `/ui/agent-alias/entrypoint.css" />` + "\n" +
		`<script src="http://` + host + `/ui/agent-alias/entrypoint.js" onload='__LGUI_agent_alias.render("weather-component", "{{shadowRootId}}")'></script>`
	if string(r.body) != want {
		t.Errorf("component HTML:\n%s\nwant\n%s", r.body, want)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	// A name that would break out of the attribute is escaped.
	r = ts.ok(200, "POST", "/ui/agent-alias", map[string]any{"name": `x'><img src=y onerror=alert(1)>`}, alice...)
	if strings.Contains(string(r.body), "<img") || strings.Count(string(r.body), "'") != 2 {
		t.Errorf("unescaped name: %s", r.body)
	}

	// Credentials are required; the answer is the same for every user.
	ts.ok(401, "POST", "/ui/agent-alias", map[string]any{"name": "weather-component"})
	ts.ok(200, "POST", "/ui/agent-alias", map[string]any{"name": "weather-component"}, "X-User", "bob")
	r = ts.ok(404, "POST", "/ui/non-existent", map[string]any{"name": "none"}, alice...)
	if !strings.Contains(string(r.body), `"detail"`) {
		t.Errorf("404 body %s", r.body)
	}
	ts.ok(422, "POST", "/ui/agent-alias", map[string]any{}, alice...)

	// Files: no credentials needed, typed, unknown ones 404.
	r = ts.ok(200, "GET", "/ui/agent-alias/entrypoint.js", nil)
	if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "javascript") || string(r.body) != `var __LGUI_agent_alias=(()=>{})();` {
		t.Errorf("entrypoint.js: %q %s", ct, r.body)
	}
	if r = ts.ok(200, "GET", "/ui/agent-alias/entrypoint.css", nil); !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Errorf("entrypoint.css Content-Type %q", r.header.Get("Content-Type"))
	}
	ts.ok(404, "GET", "/ui/agent-alias/other.js", nil)
	ts.ok(404, "GET", "/ui/non-existent/entrypoint.js", nil)
}

func TestUIHostsOtherThanLoopbackAreSchemeRelative(t *testing.T) {
	for host, want := range map[string]string{
		"localhost:2024": "http://localhost:2024", "127.0.0.1": "http://127.0.0.1", "[::1]:80": "http://[::1]:80",
		"agents.example.com": "//agents.example.com", "localhost.evil.com:1": "//localhost.evil.com:1",
	} {
		r, _ := http.NewRequest("POST", "/ui/a", nil)
		r.Host = host
		if got := uiBase(r); got != want {
			t.Errorf("%s: %s, want %s", host, got, want)
		}
	}
}

func TestUIDisabled(t *testing.T) {
	ts := newTestServer(t, Options{UI: uiBundles(), HTTP: HTTPOptions{Disable: DisableOptions{UI: true}}})
	ts.ok(404, "POST", "/ui/agent-alias", map[string]any{"name": "weather-component"})
	ts.ok(404, "GET", "/ui/agent-alias/entrypoint.js", nil)
}

func TestUIInOpenAPI(t *testing.T) {
	ts := newTestServer(t, Options{UI: uiBundles()})
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	ts.ok(200, "GET", "/openapi.json", nil).json(t, &doc)
	post := doc.Paths["/ui/{name}"]["post"].Responses
	if _, no := post["204"]; post["200"].Content["text/html"] == nil || post["401"].Content == nil || no {
		t.Errorf("POST /ui/{name} responses: %+v", post)
	}
	if get := doc.Paths["/ui/{name}/{file}"]["get"].Responses; get["200"].Content["text/javascript"] == nil {
		t.Errorf("GET /ui/{name}/{file} responses: %+v", get)
	}
}
