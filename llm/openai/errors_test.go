package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

func TestErrorsMapToLLMErrors(t *testing.T) {
	status := func(code int, typ, msg string, header ...string) func(http.ResponseWriter, *http.Request, int) {
		return func(w http.ResponseWriter, r *http.Request, n int) { apiError(w, code, typ, msg, header...) }
	}
	cases := []struct {
		name       string
		handle     func(http.ResponseWriter, *http.Request, int)
		retries    int
		kind       string
		status     int
		retryAfter float64
		message    string
		requests   int
		streamed   string
	}{
		{name: "401", handle: status(401, "invalid_request_error", "Incorrect API key provided"),
			kind: "authentication", status: 401, message: "Incorrect API key provided", requests: 1},
		{name: "403", handle: status(403, "permission_error", "Project lacks access"),
			kind: "authentication", status: 403, message: "Project lacks access", requests: 1},
		{name: "400", handle: status(400, "invalid_request_error", "messages: bad role"),
			kind: "bad_request", status: 400, message: "bad role", requests: 1},
		{name: "404", handle: status(404, "invalid_request_error", "The model `nope` does not exist"),
			kind: "bad_request", status: 404, message: "does not exist", requests: 1},
		{name: "422", handle: status(422, "invalid_request_error", "unprocessable"),
			kind: "bad_request", status: 422, message: "unprocessable", requests: 1},
		{name: "429 beyond retries", retries: 1,
			handle: status(429, "rate_limit_exceeded", "Rate limit reached", "Retry-After", "0.01"),
			kind:   "rate_limit", status: 429, retryAfter: 0.01, message: "Rate limit reached", requests: 2},
		{name: "500 beyond retries",
			handle: status(500, "server_error", "The server had an error", "Retry-After-Ms", "1"),
			kind:   "server", status: 500, message: "server had an error", requests: 3},
		{name: "503 without a JSON body", retries: -1,
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(503)
				fmt.Fprint(w, "<html>Service Unavailable</html>")
			},
			kind: "server", status: 503, requests: 1},
		{name: "malformed chunk",
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				sse(w, text("Hi"), `{"id": "chatcmpl-1", "choices": [`, done)
			},
			kind: "stream", requests: 1, streamed: "Hi"},
		{name: "error event in the stream",
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				sse(w, text("Hi"), `{"error": {"message": "overloaded", "type": "server_error"}}`)
			},
			kind: "stream", message: "overloaded", requests: 1, streamed: "Hi"},
		{name: "closed before DONE",
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				sse(w, text("Hi"), text(" there"), finish("stop"))
			},
			kind: "stream", message: "[DONE]", requests: 1, streamed: "Hi there"},
		{name: "connection cut mid-stream",
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				sse(w, text("Hi"))
				panic(http.ErrAbortHandler)
			},
			kind: "stream", requests: 1, streamed: "Hi"},
		{name: "tool arguments not JSON",
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				sse(w, toolDelta(0, "call_1", "f", `{"a": `), finish("tool_calls"), done)
			},
			kind: "stream", message: "not a JSON object", requests: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, c.handle)
			var chunks []graph.Message
			_, err := f.model(t, Options{MaxRetries: c.retries}).Stream(context.Background(),
				[]graph.Message{graph.Human("hi")}, collect(&chunks))
			var le *llm.Error
			if !errors.As(err, &le) {
				t.Fatalf("err = %v (%T), want *llm.Error", err, err)
			}
			if le.Provider != "openai" || le.Kind != c.kind || le.Status != c.status || le.RetryAfter != c.retryAfter {
				t.Errorf("got %s/%s status %d retry-after %v, want %s status %d retry-after %v",
					le.Provider, le.Kind, le.Status, le.RetryAfter, c.kind, c.status, c.retryAfter)
			}
			if !strings.Contains(le.Message, c.message) {
				t.Errorf("message %q lacks %q", le.Message, c.message)
			}
			if n := len(f.requests()); n != c.requests {
				t.Errorf("%d requests, want %d", n, c.requests)
			}
			var sb strings.Builder
			for _, ch := range chunks {
				sb.WriteString(ch.Text())
			}
			if sb.String() != c.streamed {
				t.Errorf("streamed %q, want %q", sb.String(), c.streamed)
			}
			t.Log(err)
		})
	}
}

func TestUnreachableServerIsAServerError(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	m := f.model(t, Options{MaxRetries: -1})
	f.Close()
	_, err := m.Stream(context.Background(), []graph.Message{graph.Human("hi")}, nil)
	var le *llm.Error
	if !errors.As(err, &le) || le.Kind != "server" || le.Status != 0 {
		t.Fatalf("err = %v", err)
	}
}
