package server

import (
	"log/slog"
	"testing"
)

// requestLines returns the "request" lines of a JSON log.
func requestLines(t *testing.T, logs *syncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range readJSONLines(t, logs.String()) {
		if l["msg"] == "request" {
			out = append(out, l)
		}
	}
	return out
}

func jsonLogServer(t *testing.T, level slog.Level, opts Options) (*testServer, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
	return newTestServer(t, opts), logs
}

func TestRequestLogLine(t *testing.T) {
	e := auditEnforcer(t)
	ts, logs := jsonLogServer(t, slog.LevelInfo, Options{Authenticator: e, Authorizer: e})
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	r := ts.ok(200, "POST", "/threads", map[string]any{}, "Authorization", "Bearer "+aliceToken, "Traceparent", tp)
	ts.ok(401, "GET", "/threads/x", nil, "Traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")
	ts.ok(200, "GET", "/ok", nil)
	lines := requestLines(t, logs)
	if len(lines) != 2 {
		t.Fatalf("%d request lines, want 2 (/ok left out):\n%s", len(lines), logs.String())
	}
	l := lines[0]
	if l["level"] != "INFO" || l["method"] != "POST" || l["route"] != "/threads" || l["status"] != float64(200) ||
		l["identity"] != "alice" || l["request_id"] != r.header.Get("X-Request-Id") ||
		l["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("line %v", l)
	}
	if d, ok := l["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms %v", l["duration_ms"])
	}
	if _, ok := l["headers"]; ok {
		t.Error("headers logged at info level")
	}
	l = lines[1]
	if l["route"] != "/threads/{thread_id}" || l["status"] != float64(401) || l["identity"] != "" || l["trace_id"] != "" {
		t.Errorf("line %v", l)
	}
	noSecrets(t, "request log", logs.String())
}

func TestRequestLogSampling(t *testing.T) {
	ts, logs := jsonLogServer(t, slog.LevelInfo, Options{RequestLog: RequestLogOptions{SkipRate: 1}})
	for range 5 {
		ts.ok(200, "GET", "/info", nil)
	}
	ts.ok(404, "GET", "/threads/6f1d1e5e-0000-4000-8000-000000000003", nil)
	ts.ok(404, "GET", "/nowhere", nil)
	lines := requestLines(t, logs)
	if len(lines) != 2 || lines[0]["status"] != float64(404) || lines[1]["route"] != "/" {
		t.Fatalf("sampling 0 must log only errors: %v", lines)
	}

	ts, logs = jsonLogServer(t, slog.LevelInfo, Options{RequestLog: RequestLogOptions{Health: true}})
	ts.ok(200, "GET", "/ok", nil)
	ts.ok(200, "GET", "/info", nil)
	if lines := requestLines(t, logs); len(lines) != 2 || lines[0]["route"] != "/ok" {
		t.Fatalf("health on: %v", lines)
	}

	ts, logs = jsonLogServer(t, slog.LevelInfo, Options{RequestLog: RequestLogOptions{Off: true}})
	ts.ok(404, "GET", "/nowhere", nil)
	if lines := requestLines(t, logs); len(lines) != 0 {
		t.Fatalf("off: %v", lines)
	}
}

func TestRequestLogRedactsHeadersAtDebug(t *testing.T) {
	ts, logs := jsonLogServer(t, slog.LevelDebug, Options{HTTP: HTTPOptions{
		ConfigurableHeaders: HeaderFilter{Excludes: []string{"x-internal-*"}}}})
	ts.ok(200, "GET", "/info", nil, "Authorization", "Bearer "+aliceToken, "Cookie", "session="+bobToken,
		"X-Api-Key", carolAPIKey, "X-Internal-Note", extraSecret, "X-Visible", "shown")
	lines := requestLines(t, logs)
	if len(lines) != 1 {
		t.Fatalf("lines %v", lines)
	}
	h, _ := lines[0]["headers"].(map[string]any)
	for _, k := range []string{"authorization", "cookie", "x-api-key", "x-internal-note"} {
		if h[k] != redacted {
			t.Errorf("%s: %v", k, h[k])
		}
	}
	if h["x-visible"] != "shown" {
		t.Errorf("x-visible: %v", h["x-visible"])
	}
	noSecrets(t, "request log", logs.String())
}

func TestTraceID(t *testing.T) {
	for tp, want := range map[string]string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01":       "4bf92f3577b34da6a3ce929d0e0e4736",
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra": "4bf92f3577b34da6a3ce929d0e0e4736",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra": "",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01":       "",
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01":       "",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01":       "",
		"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01":        "",
		"": "",
	} {
		if got := traceID(tp); got != want {
			t.Errorf("traceID(%q) = %q, want %q", tp, got, want)
		}
	}
}
