package openai

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fake is a local Chat Completions server. handle answers attempt n
// (0-based) of the test's requests.
type fake struct {
	*httptest.Server
	handle func(w http.ResponseWriter, r *http.Request, n int)

	mu   sync.Mutex
	reqs []seen
}

// seen is a request the fake received.
type seen struct {
	method, path, auth string
	header             http.Header
	body               map[string]any
}

func newFake(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *fake {
	t.Helper()
	f := &fake{handle: handle}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("request body is not JSON: %v: %s", err, b)
		}
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, seen{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Clone(), body})
		f.mu.Unlock()
		f.handle(w, r, n)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// noEnv is an empty environment.
func noEnv(string) (string, bool) { return "", false }

// model returns a Model on f with key "sk-test" and opts' other settings.
func (f *fake) model(t *testing.T, opts Options) *Model {
	t.Helper()
	opts.BaseURL = f.URL
	if opts.APIKey == "" {
		opts.APIKey = "sk-test"
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = noEnv
	}
	m, err := New("gpt-test", opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sse writes Server-Sent Events: each event is a "data:" line.
func sse(w http.ResponseWriter, events ...string) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
	}
	for _, e := range events {
		fmt.Fprintf(w, "data: %s\n\n", e)
	}
	w.(http.Flusher).Flush()
}

const done = "[DONE]"

// chunk is a chat.completion.chunk with one choice holding delta.
func chunkJSON(delta map[string]any, finish any) string {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
		"model": "gpt-test-2025", "usage": nil,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": nil}},
	})
	return string(b)
}

func text(s string) string { return chunkJSON(map[string]any{"content": s}, nil) }

func finish(reason string) string { return chunkJSON(map[string]any{}, reason) }

// toolDelta is a delta of the tool call at index; id and name only in its
// first piece, as OpenAI sends them.
func toolDelta(index int, id, name, args string) string {
	fn := map[string]any{"arguments": args}
	tc := map[string]any{"index": index, "function": fn}
	if id != "" {
		tc["id"], tc["type"], fn["name"] = id, "function", name
	}
	return chunkJSON(map[string]any{"tool_calls": []any{tc}}, nil)
}

// usageJSON is the final chunk that include_usage asks for.
func usageJSON(in, out int) string {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
		"model": "gpt-test-2025", "choices": []any{},
		"usage": map[string]any{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
	})
	return string(b)
}

// apiError writes an OpenAI JSON error.
func apiError(w http.ResponseWriter, status int, typ, msg string, header ...string) {
	for i := 0; i+1 < len(header); i += 2 {
		w.Header().Set(header[i], header[i+1])
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": nil, "code": nil}})
}
