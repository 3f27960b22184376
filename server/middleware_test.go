package server

import (
	"log/slog"
	"strings"
	"testing"
)

func TestCORSDefaults(t *testing.T) {
	ts := newTestServer(t, Options{})
	r := ts.ok(200, "OPTIONS", "/threads", nil,
		"Origin", "https://smith.langchain.com",
		"Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type, x-api-key")
	h := r.header
	if h.Get("Access-Control-Allow-Origin") != "*" ||
		h.Get("Access-Control-Allow-Private-Network") != "true" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") ||
		h.Get("Access-Control-Allow-Headers") != "content-type, x-api-key" ||
		h.Get("Access-Control-Max-Age") != "600" {
		t.Fatalf("preflight headers %v", h)
	}
	r = ts.ok(200, "POST", "/threads/search", map[string]any{}, "Origin", "http://localhost:3000")
	if r.header.Get("Access-Control-Allow-Origin") != "*" ||
		r.header.Get("Access-Control-Expose-Headers") != "content-location, x-pagination-total, x-pagination-next" {
		t.Fatalf("simple request headers %v", r.header)
	}
	// No Origin, no CORS headers.
	r = ts.ok(200, "GET", "/ok", nil)
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS header without Origin: %v", r.header)
	}
}

func TestCORSConfigured(t *testing.T) {
	ts := newTestServer(t, Options{HTTP: HTTPOptions{CORS: CORSOptions{
		AllowOrigins:     []string{"https://app.example.com"},
		AllowOriginRegex: `https://.*\.preview\.example\.com`,
		AllowMethods:     []string{"GET", "POST"},
		AllowHeaders:     []string{"authorization"},
		AllowCredentials: true,
		ExposeHeaders:    []string{"x-custom"},
		MaxAge:           60,
	}}})
	r := ts.ok(200, "OPTIONS", "/threads", nil, "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST")
	h := r.header
	if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || h.Get("Access-Control-Allow-Credentials") != "true" ||
		h.Get("Access-Control-Allow-Methods") != "GET, POST" || h.Get("Access-Control-Allow-Headers") != "authorization" ||
		h.Get("Access-Control-Max-Age") != "60" || h.Get("Vary") != "Origin" {
		t.Fatalf("preflight headers %v", h)
	}
	ts.ok(200, "OPTIONS", "/threads", nil, "Origin", "https://pr-1.preview.example.com", "Access-Control-Request-Method", "GET")
	ts.ok(400, "OPTIONS", "/threads", nil, "Origin", "https://evil.example.com", "Access-Control-Request-Method", "POST")
	ts.ok(400, "OPTIONS", "/threads", nil, "Origin", "https://app.example.com", "Access-Control-Request-Method", "DELETE")
	r = ts.ok(200, "GET", "/ok", nil, "Origin", "https://evil.example.com")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("disallowed origin got CORS headers: %v", r.header)
	}
	r = ts.ok(200, "GET", "/ok", nil, "Origin", "https://app.example.com")
	if r.header.Get("Access-Control-Expose-Headers") != "x-custom" {
		t.Fatalf("expose headers %v", r.header)
	}
}

func TestRequestID(t *testing.T) {
	ts := newTestServer(t, Options{})
	a := ts.ok(200, "GET", "/ok", nil).header.Get("X-Request-Id")
	b := ts.ok(200, "GET", "/ok", nil).header.Get("X-Request-Id")
	if a == "" || a == b {
		t.Fatalf("request ids %q %q", a, b)
	}
	if got := ts.ok(200, "GET", "/ok", nil, "X-Request-Id", "abc").header.Get("X-Request-Id"); got != "abc" {
		t.Fatalf("request id not echoed: %q", got)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(t.Context(), Options{}); err == nil {
		t.Fatal("no store accepted")
	}
}

func TestAccessLogAtDebug(t *testing.T) {
	logs := &syncBuffer{}
	ts := newTestServer(t, Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ts.ok(404, "GET", "/threads/00000000-0000-0000-0000-000000000001", nil, "X-Request-Id", "rid-1")
	l := logs.String()
	if !strings.Contains(l, "msg=request") || !strings.Contains(l, "status=404") || !strings.Contains(l, "request_id=rid-1") {
		t.Fatalf("access log: %s", l)
	}
	// At info level nothing is logged for a normal request.
	quiet := newTestServer(t, Options{})
	quiet.ok(200, "GET", "/ok", nil)
	if quiet.logs.String() != "" {
		t.Fatalf("info-level log: %s", quiet.logs)
	}
}
