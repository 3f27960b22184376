// Package apisuite holds what the LangGraph API suite's server needs
// beyond its graphs: App, a Go port of the behaviour of the suite's custom
// routes (tests/graphs/http.mts), checked by "custom routes" tests.
package apisuite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// StreamDelay separates the chunks of GET /custom/streaming.
const StreamDelay = 20 * time.Millisecond

// App returns the suite's custom routes in front of api (Program.HTTP):
//   - every response carries x-js-middleware: true, API routes too;
//   - a request with an "interrupt" query parameter is answered
//     {"status":"interrupted"} without reaching any route;
//   - GET /custom/my-route, /runs/afakeroute, /custom/error (400),
//     /custom/streaming, /custom/client; POST /custom/webhook stores its
//     payload, GET /custom/webhook-payload returns it (404 before);
//   - anything else goes to api (unknown paths: its 404).
func App(api http.Handler) http.Handler {
	a := &app{api: api}
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.HandleFunc("GET /custom/my-route", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-custom-output", r.Header.Get("x-custom-input"))
		writeJSON(w, http.StatusOK, map[string]any{"foo": "bar"})
	})
	mux.HandleFunc("GET /runs/afakeroute", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"foo": "afakeroute"})
	})
	mux.HandleFunc("GET /custom/error", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "Bad request"})
	})
	mux.HandleFunc("GET /custom/streaming", streaming)
	mux.HandleFunc("POST /custom/webhook", a.storeWebhook)
	mux.HandleFunc("GET /custom/webhook-payload", a.webhookPayload)
	mux.HandleFunc("GET /custom/client", a.client)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("interrupt") {
			writeJSON(w, http.StatusOK, map[string]any{"status": "interrupted"})
			return
		}
		w.Header().Set("x-js-middleware", "true")
		mux.ServeHTTP(w, r)
	})
}

// app keeps the last webhook payload.
type app struct {
	api     http.Handler
	mu      sync.Mutex
	payload json.RawMessage
}

func (a *app) storeWebhook(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "invalid JSON: " + err.Error()})
		return
	}
	a.mu.Lock()
	a.payload = raw
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"status": "success"})
}

func (a *app) webhookPayload(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	p := a.payload
	a.mu.Unlock()
	if p == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "no webhook received yet"})
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// streaming writes four lines, each flushed on its own.
func streaming(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rc := http.NewResponseController(w)
	for i := range 4 {
		if i > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(StreamDelay):
			}
		}
		fmt.Fprintf(w, "Count: %d\n", i)
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// client runs agent_simple statelessly through the API handler itself
// (POST /runs/wait in-process) and answers {"result": <its values>}.
func (a *app) client(w http.ResponseWriter, r *http.Request) {
	body, _ := json.Marshal(map[string]any{"assistant_id": "agent_simple",
		"input": map[string]any{"messages": []any{map[string]any{"role": "human", "content": "input"}}}})
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "/runs/wait", bytes.NewReader(body))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"detail": err.Error()})
		return
	}
	req.RequestURI, req.Host, req.RemoteAddr = "/runs/wait", r.Host, r.RemoteAddr
	req.Header.Set("Content-Type", "application/json")
	if v := r.Header.Get("Authorization"); v != "" {
		req.Header.Set("Authorization", v)
	}
	rec := httptest.NewRecorder()
	a.api.ServeHTTP(rec, req)
	var result any
	if err := json.Unmarshal(rec.Body.Bytes(), &result); err != nil || rec.Code != http.StatusOK {
		writeJSON(w, http.StatusBadGateway, map[string]any{"detail": fmt.Sprintf("POST /runs/wait: %d %s", rec.Code, rec.Body.String())})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": result})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
