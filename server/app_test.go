package server

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/storage/memory"
)

// appMux is a custom routes handler: its routes first, then the API.
func appMux(api http.Handler, routes map[string]http.HandlerFunc) http.Handler {
	mux := http.NewServeMux()
	for p, h := range routes {
		mux.HandleFunc(p, h)
	}
	mux.Handle("/", api)
	return mux
}

func TestAppRoutesTakePrecedence(t *testing.T) {
	ts := newTestServer(t, Options{App: func(api http.Handler) http.Handler {
		return appMux(api, map[string]http.HandlerFunc{
			"GET /hello": func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hi") },
			"GET /ok":    func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "mine") },
		})
	}})
	if r := ts.ok(200, "GET", "/hello", nil); string(r.body) != "hi" {
		t.Fatalf("/hello: %s", r.body)
	}
	if r := ts.ok(200, "GET", "/ok", nil); string(r.body) != "mine" {
		t.Fatalf("/ok: %s", r.body)
	}
	var info map[string]any
	ts.ok(200, "GET", "/info", nil).json(t, &info)
	if info["version"] != "0.0.0-test" {
		t.Fatalf("/info: %v", info)
	}
	if r := ts.ok(404, "GET", "/nope", nil); r.detail(t) == "" {
		t.Fatal("404 without detail")
	}
}

func TestAppWrapsEveryRequest(t *testing.T) {
	ts := newTestServer(t, Options{App: func(api http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Custom", "yes")
			api.ServeHTTP(w, r)
		})
	}})
	r := ts.ok(200, "GET", "/info", nil)
	if r.header.Get("X-Custom") != "yes" || r.header.Get("X-Request-Id") == "" {
		t.Fatalf("headers %v", r.header)
	}
}

func TestAppInterceptsAPIRequest(t *testing.T) {
	ts := newTestServer(t, Options{App: func(api http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" && r.URL.Path == "/threads" {
				http.Error(w, "threads are read-only here", http.StatusForbidden)
				return
			}
			api.ServeHTTP(w, r)
		})
	}})
	if r := ts.ok(403, "POST", "/threads", map[string]any{}); !strings.Contains(string(r.body), "read-only") {
		t.Fatalf("body %s", r.body)
	}
	ts.ok(200, "POST", "/threads/search", map[string]any{})
}

func TestAppStreamsFlushedChunks(t *testing.T) {
	next := make(chan struct{})
	ts := newTestServer(t, Options{App: func(api http.Handler) http.Handler {
		return appMux(api, map[string]http.HandlerFunc{
			"GET /stream": func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				for i := range 3 {
					_, _ = io.WriteString(w, "chunk"+string(rune('0'+i))+"\n")
					if err := http.NewResponseController(w).Flush(); err != nil {
						t.Error(err)
						return
					}
					if i < 2 {
						select {
						case <-next: // the client read this chunk
						case <-time.After(10 * time.Second):
							t.Error("client did not read the chunk")
							return
						}
					}
				}
			},
		})
	}})
	res, err := ts.http.Client().Get(ts.http.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		if err != nil || line != "chunk"+string(rune('0'+i))+"\n" {
			t.Fatalf("chunk %d: %q %v", i, line, err)
		}
		if i < 2 {
			next <- struct{}{} // the next chunk is written only now
		}
	}
}

func TestAppPanicAnswers500(t *testing.T) {
	ts := newTestServer(t, Options{App: func(api http.Handler) http.Handler {
		return appMux(api, map[string]http.HandlerFunc{
			"GET /boom": func(w http.ResponseWriter, r *http.Request) { panic("boom") },
			"GET /late": func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "partial")
				http.NewResponseController(w).Flush()
				panic("late boom")
			},
		})
	}})
	if r := ts.ok(500, "GET", "/boom", nil); r.detail(t) != internalDetail {
		t.Fatalf("body %s", r.body)
	}
	if !strings.Contains(ts.logs.String(), "panic in custom routes") || !strings.Contains(ts.logs.String(), "boom") {
		t.Fatalf("logs %s", ts.logs.String())
	}
	ts.ok(200, "GET", "/info", nil)
	// A panic after the response started cuts it short: no clean end.
	res, err := ts.http.Client().Get(ts.http.URL + "/late")
	if err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err == nil {
		t.Fatal("response after a late panic ended cleanly")
	}
	ts.ok(200, "GET", "/info", nil)
}

// An attacker reaching the API through the custom routes handler still
// needs credentials, whatever path or route the wrapper adds.
func TestAppKeepsAPIAuthentication(t *testing.T) {
	e := tutorialAuth(t)
	ts := newTestServer(t, Options{Authenticator: e, Authorizer: e, App: func(api http.Handler) http.Handler {
		return appMux(api, map[string]http.HandlerFunc{
			"GET /public": func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "public") },
			// Forwards to the API under another path.
			"POST /proxy/search": func(w http.ResponseWriter, r *http.Request) {
				r2 := r.Clone(r.Context())
				r2.URL.Path = "/threads/search"
				api.ServeHTTP(w, r2)
			},
		})
	}})
	alice := []string{"Authorization", "Bearer tok-alice"}
	ts.createThread(map[string]any{"k": "v"}, alice...)
	ts.ok(200, "GET", "/public", nil)
	for _, p := range []string{"/threads/search", "/proxy/search"} {
		ts.ok(401, "POST", p, map[string]any{})
		ts.ok(401, "POST", p, map[string]any{}, "Authorization", "Bearer forged")
		var bob []map[string]any
		ts.ok(200, "POST", p, map[string]any{}, "Authorization", "Bearer tok-bob").json(t, &bob)
		if len(bob) != 0 {
			t.Fatalf("%s: bob sees alice's threads: %v", p, bob)
		}
		var mine []map[string]any
		ts.ok(200, "POST", p, map[string]any{}, alice...).json(t, &mine)
		if len(mine) != 1 {
			t.Fatalf("%s: alice sees %d threads", p, len(mine))
		}
	}
}

func TestAppNilHandlerRefused(t *testing.T) {
	st := memory.New()
	defer st.Close()
	_, err := New(t.Context(), Options{Store: st, App: func(http.Handler) http.Handler { return nil }})
	if err == nil {
		t.Fatal("nil App handler accepted")
	}
}

// TestAppRoutesGetCORS: routes the app answers itself get the CORS
// headers and preflights the API's routes get, and API requests through
// the app get them once.
func TestAppRoutesGetCORS(t *testing.T) {
	ts := newTestServer(t, Options{
		HTTP: HTTPOptions{CORS: CORSOptions{AllowOrigins: []string{"https://app.example"}}},
		App: func(api http.Handler) http.Handler {
			return appMux(api, map[string]http.HandlerFunc{
				"GET /custom/hello": func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hi") },
			})
		}})
	origin := []string{"Origin", "https://app.example"}
	r := ts.ok(200, "GET", "/custom/hello", nil, origin...)
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "https://app.example" || string(r.body) != "hi" {
		t.Errorf("custom route: Access-Control-Allow-Origin %q, body %s", got, r.body)
	}
	r = ts.ok(200, "OPTIONS", "/custom/hello", nil, append(origin, "Access-Control-Request-Method", "GET")...)
	if r.header.Get("Access-Control-Allow-Methods") == "" {
		t.Errorf("preflight of a custom route: %v", r.header)
	}
	ts.ok(400, "OPTIONS", "/custom/hello", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "GET")
	if r = ts.ok(200, "GET", "/custom/hello", nil, "Origin", "https://evil.example"); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign origin allowed: %v", r.header)
	}
	r = ts.ok(200, "GET", "/info", nil, origin...)
	if got := r.header.Values("Access-Control-Allow-Origin"); len(got) != 1 || len(r.header.Values("Vary")) != 1 {
		t.Errorf("API through the app: Access-Control-Allow-Origin %q, Vary %q", got, r.header.Values("Vary"))
	}
}
