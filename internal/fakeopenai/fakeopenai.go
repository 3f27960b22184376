// Package fakeopenai is a local Chat Completions server for tests: it
// answers each request with the next scripted reply, streamed as OpenAI
// streams, and keeps the request bodies. Point OPENAI_BASE_URL at URL().
package fakeopenai

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Reply is one scripted answer: text, or tool calls.
type Reply struct {
	Text      string
	ToolCalls []ToolCall
}

// ToolCall is a call the fake model makes; Args is a JSON object.
type ToolCall struct {
	ID, Name, Args string
}

// Server is the fake endpoint.
type Server struct {
	srv     *httptest.Server
	mu      sync.Mutex
	replies []Reply
	bodies  []map[string]any
}

// New starts a server answering with replies in order; a request beyond
// them fails the test. It stops when the test ends.
func New(t testing.TB, replies ...Reply) *Server {
	t.Helper()
	s := &Server{replies: replies}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("fakeopenai: request is not JSON: %s", b)
		}
		s.mu.Lock()
		n := len(s.bodies)
		s.bodies = append(s.bodies, body)
		s.mu.Unlock()
		if n >= len(replies) {
			t.Errorf("fakeopenai: request %d, but only %d replies are scripted", n+1, len(replies))
			http.Error(w, `{"error": {"message": "no more replies", "type": "server_error"}}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range events(body["model"], replies[n]) {
			fmt.Fprintf(w, "data: %s\n\n", e)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API root, as OPENAI_BASE_URL takes it.
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// Requests returns the bodies received so far.
func (s *Server) Requests() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.bodies...)
}

// Messages returns the messages of request i as (role, content) pairs.
func (s *Server) Messages(i int) [][2]string {
	reqs := s.Requests()
	if i >= len(reqs) {
		return nil
	}
	msgs, _ := reqs[i]["messages"].([]any)
	out := make([][2]string, 0, len(msgs))
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		role, _ := mm["role"].(string)
		content, _ := mm["content"].(string)
		out = append(out, [2]string{role, content})
	}
	return out
}

// events streams r as chat.completion.chunk events.
func events(model any, r Reply) []string {
	var out []string
	if r.Text != "" || len(r.ToolCalls) == 0 {
		out = append(out, chunk(model, map[string]any{"role": "assistant", "content": r.Text}, nil))
	}
	for i, c := range r.ToolCalls {
		out = append(out, chunk(model, map[string]any{"tool_calls": []any{map[string]any{
			"index": i, "id": c.ID, "type": "function",
			"function": map[string]any{"name": c.Name, "arguments": c.Args}}}}, nil))
	}
	finish := "stop"
	if len(r.ToolCalls) > 0 {
		finish = "tool_calls"
	}
	return append(out, chunk(model, map[string]any{}, finish))
}

func chunk(model any, delta map[string]any, finish any) string {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": nil}},
	})
	return string(b)
}

// Tokens starts a server that answers every request (without keeping it)
// with tokens as separate content deltas, flushing each one and waiting
// every between them; sent(i) is called right before token i is written.
// For latency benchmarks.
func Tokens(t testing.TB, tokens []string, every time.Duration, sent func(i int)) *Server {
	t.Helper()
	s := &Server{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fl, _ := w.(http.Flusher)
		fmt.Fprintf(w, "data: %s\n\n", chunk("fake", map[string]any{"role": "assistant", "content": ""}, nil))
		for i, tok := range tokens {
			if i > 0 && every > 0 {
				time.Sleep(every)
			}
			b := chunk("fake", map[string]any{"content": tok}, nil)
			sent(i)
			fmt.Fprintf(w, "data: %s\n\n", b)
			if fl != nil {
				fl.Flush()
			}
		}
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", chunk("fake", map[string]any{}, "stop"))
	}))
	t.Cleanup(s.srv.Close)
	return s
}
