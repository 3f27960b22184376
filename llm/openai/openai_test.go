package openai

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
	"github.com/google/go-cmp/cmp"
)

func collect(chunks *[]graph.Message) func(graph.Message) {
	return func(m graph.Message) { *chunks = append(*chunks, m) }
}

func TestStreamsTextAndSendsTheConversation(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sse(w, text("Hel"), text("lo, "), text("world"), finish("stop"), usageJSON(42, 3), done)
	})
	m := f.model(t, Options{}).BindTools([]llm.ToolSpec{{
		Name: "get_weather", Description: "Weather in a city",
		Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	}})
	ai := graph.AI("")
	ai.ToolCalls = []graph.ToolCall{{Name: "get_weather", Args: map[string]any{"city": "Paris"}, ID: "call_1"}}
	msgs := []graph.Message{
		graph.System("be brief"), graph.Human("weather in Paris?"), ai,
		graph.Tool("sunny", "call_1"), graph.AI("It is sunny."), graph.Human("thanks"),
	}
	var chunks []graph.Message
	reply, err := m.Stream(context.Background(), msgs, collect(&chunks))
	if err != nil {
		t.Fatal(err)
	}

	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	q := reqs[0]
	if q.method != "POST" || q.path != "/chat/completions" || q.auth != "Bearer sk-test" {
		t.Errorf("request %s %s auth %q", q.method, q.path, q.auth)
	}
	if q.body["model"] != "gpt-test" || q.body["stream"] != true {
		t.Errorf("model %v stream %v", q.body["model"], q.body["stream"])
	}
	if diff := cmp.Diff(map[string]any{"include_usage": true}, q.body["stream_options"]); diff != "" {
		t.Errorf("stream_options (-want +got):\n%s", diff)
	}
	wantMsgs := []any{
		map[string]any{"role": "system", "content": "be brief"},
		map[string]any{"role": "user", "content": "weather in Paris?"},
		map[string]any{"role": "assistant", "tool_calls": []any{map[string]any{
			"id": "call_1", "type": "function",
			"function": map[string]any{"name": "get_weather", "arguments": `{"city":"Paris"}`}}}},
		map[string]any{"role": "tool", "content": "sunny", "tool_call_id": "call_1"},
		map[string]any{"role": "assistant", "content": "It is sunny."},
		map[string]any{"role": "user", "content": "thanks"},
	}
	if diff := cmp.Diff(wantMsgs, q.body["messages"]); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	wantTools := []any{map[string]any{"type": "function", "function": map[string]any{
		"name": "get_weather", "description": "Weather in a city",
		"parameters": map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	}}}
	if diff := cmp.Diff(wantTools, q.body["tools"]); diff != "" {
		t.Errorf("tools (-want +got):\n%s", diff)
	}
	for _, k := range []string{"max_tokens", "max_completion_tokens", "temperature"} {
		if _, ok := q.body[k]; ok {
			t.Errorf("%s sent though not set", k)
		}
	}

	var sb strings.Builder
	for _, c := range chunks {
		if c.Type != graph.ChunkType || c.ID != reply.ID {
			t.Errorf("chunk %+v is not a chunk of reply %s", c, reply.ID)
		}
		sb.WriteString(c.Text())
	}
	if len(chunks) != 3 || sb.String() != "Hello, world" || reply.Text() != "Hello, world" {
		t.Errorf("%d chunks %q, reply %q", len(chunks), sb.String(), reply.Text())
	}
	if reply.Type != graph.AIType || !strings.HasPrefix(reply.ID, "run-") || len(reply.ToolCalls) != 0 {
		t.Errorf("reply %+v", reply)
	}
	wantUsage := map[string]any{"input_tokens": int64(42), "output_tokens": int64(3), "total_tokens": int64(45)}
	if diff := cmp.Diff(wantUsage, reply.UsageMetadata); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	wantMeta := map[string]any{"model_name": "gpt-test-2025", "finish_reason": "stop", "model_provider": "openai"}
	if diff := cmp.Diff(wantMeta, reply.ResponseMetadata); diff != "" {
		t.Errorf("response metadata (-want +got):\n%s", diff)
	}
}

func TestStreamsToolCallsAndParsesTheirArgs(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sse(w,
			chunkJSON(map[string]any{"role": "assistant", "content": nil}, nil),
			toolDelta(0, "call_a", "get_weather", ""),
			toolDelta(0, "", "", `{"ci`),
			toolDelta(0, "", "", `ty": "Paris"}`),
			toolDelta(1, "call_b", "get_time", `{"tz":`),
			toolDelta(1, "", "", ` "CET", "n": 2}`),
			finish("tool_calls"), usageJSON(10, 20), done)
	})
	var chunks []graph.Message
	reply, err := f.model(t, Options{}).Stream(context.Background(), []graph.Message{graph.Human("hi")}, collect(&chunks))
	if err != nil {
		t.Fatal(err)
	}
	want := []graph.ToolCall{
		{Name: "get_weather", Args: map[string]any{"city": "Paris"}, ID: "call_a", Type: "tool_call"},
		{Name: "get_time", Args: map[string]any{"tz": "CET", "n": float64(2)}, ID: "call_b", Type: "tool_call"},
	}
	if diff := cmp.Diff(want, reply.ToolCalls); diff != "" {
		t.Errorf("tool calls (-want +got):\n%s", diff)
	}
	if reply.Text() != "" || reply.ResponseMetadata["finish_reason"] != "tool_calls" {
		t.Errorf("reply %+v", reply)
	}
	var got []any
	for _, c := range chunks {
		if c.ID != reply.ID || c.Text() != "" {
			t.Errorf("chunk %+v", c)
		}
		got = append(got, c.ToolCallChunks...)
	}
	wantChunks := []any{
		map[string]any{"name": "get_weather", "args": "", "id": "call_a", "index": int64(0), "type": "tool_call_chunk"},
		map[string]any{"name": nil, "args": `{"ci`, "id": nil, "index": int64(0), "type": "tool_call_chunk"},
		map[string]any{"name": nil, "args": `ty": "Paris"}`, "id": nil, "index": int64(0), "type": "tool_call_chunk"},
		map[string]any{"name": "get_time", "args": `{"tz":`, "id": "call_b", "index": int64(1), "type": "tool_call_chunk"},
		map[string]any{"name": nil, "args": ` "CET", "n": 2}`, "id": nil, "index": int64(1), "type": "tool_call_chunk"},
	}
	if diff := cmp.Diff(wantChunks, got); diff != "" {
		t.Errorf("tool call chunks (-want +got):\n%s", diff)
	}
}

func TestEnvironmentGivesKeyAndBaseURL(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sse(w, text("ok"), finish("stop"), done)
	})
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	local, err := New("llama3", Options{LookupEnv: env(map[string]string{"OPENAI_BASE_URL": f.URL})})
	if err != nil {
		t.Fatalf("a local server needs no key: %v", err)
	}
	keyed, err := New("llama3", Options{LookupEnv: env(map[string]string{"OPENAI_BASE_URL": f.URL, "OPENAI_API_KEY": "sk-env",
		"OPENAI_ORG_ID": "org-1", "OPENAI_PROJECT_ID": "proj-1"})})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Model{local, keyed} {
		if _, err := m.Stream(context.Background(), []graph.Message{graph.Human("hi")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].auth != "" || reqs[1].auth != "Bearer sk-env" {
		t.Errorf("authorization headers: %+v", reqs)
	}
	for i, want := range [][2]string{{"", ""}, {"org-1", "proj-1"}} {
		if h := reqs[i].header; h.Get("OpenAI-Organization") != want[0] || h.Get("OpenAI-Project") != want[1] {
			t.Errorf("request %d: organization %q, project %q, want %q", i, h.Get("OpenAI-Organization"), h.Get("OpenAI-Project"), want)
		}
	}
	if _, err := New("gpt-4o", Options{LookupEnv: noEnv}); err == nil {
		t.Error("OpenAI's own API without a key was accepted")
	}
	if _, err := New("", Options{BaseURL: f.URL, LookupEnv: noEnv}); err == nil {
		t.Error("an empty model name was accepted")
	}
}

func TestSendsMaxTokensAndTemperature(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sse(w, text("ok"), finish("length"), done)
	})
	temp := 0.0
	m := f.model(t, Options{MaxTokens: 64, Temperature: &temp})
	reply, err := m.Stream(context.Background(), []graph.Message{graph.Human("hi")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := f.requests()[0].body
	if b["max_tokens"] != float64(64) || b["temperature"] != float64(0) {
		t.Errorf("max_tokens %v temperature %v", b["max_tokens"], b["temperature"])
	}
	if _, ok := b["tools"]; ok {
		t.Error("tools sent though none are bound")
	}
	if reply.ResponseMetadata["finish_reason"] != "length" || reply.UsageMetadata != nil {
		t.Errorf("reply %+v", reply)
	}

	// OpenAI's own API wants max_completion_tokens (built, not sent).
	own, err := New("gpt-test", Options{APIKey: "sk-test", MaxTokens: 64, LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := own.body([]graph.Message{graph.Human("hi")})
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if _, ok := p["max_tokens"]; p["max_completion_tokens"] != float64(64) || ok {
		t.Errorf("max_completion_tokens %v max_tokens %v", p["max_completion_tokens"], p["max_tokens"])
	}
}

func TestRejectsMessagesItCannotSend(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { t.Error("request sent") })
	_, err := f.model(t, Options{}).Stream(context.Background(),
		[]graph.Message{graph.Human("hi"), graph.Tool("result", "")}, nil)
	var le *llm.Error
	if !errors.As(err, &le) || le.Kind != "bad_request" {
		t.Fatalf("err = %v", err)
	}
}

func TestRetriesRateLimitAfterItsRetryAfter(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			apiError(w, 429, "rate_limit_exceeded", "slow down", "Retry-After", "0.2")
			return
		}
		sse(w, text("ok"), finish("stop"), done)
	})
	start := time.Now()
	reply, err := f.model(t, Options{}).Stream(context.Background(), []graph.Message{graph.Human("hi")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.requests()); n != 2 || reply.Text() != "ok" {
		t.Errorf("%d requests, reply %q", n, reply.Text())
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("retried after %v, before retry-after", d)
	}
}

func TestCancelStopsTheHTTPStream(t *testing.T) {
	ended := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sse(w, text("first"))
		select {
		case <-r.Context().Done():
			close(ended)
		case <-time.After(10 * time.Second):
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	_, err := f.model(t, Options{}).Stream(ctx, []graph.Message{graph.Human("hi")}, func(graph.Message) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	select {
	case <-ended:
	case <-time.After(2 * time.Second):
		t.Fatal("the server's request context did not end")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancel took %v", d)
	}
}
