package anthropic

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

// asJSON round-trips v through JSON, so it compares with a decoded body.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func parseJSON(t *testing.T, s string) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("bad test JSON: %v", err)
	}
	return out
}

func TestStreamsTextAndSendsTheRequest(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		textReply(w, "Hello", ", ", "world", "!")
	})
	m := f.model(Options{})
	var chunks []graph.Message
	reply, err := m.Stream(context.Background(), []graph.Message{
		graph.System("Be brief."),
		graph.Human("hi"),
		graph.AI("hello"),
		graph.Human("greet the world"),
	}, func(c graph.Message) { chunks = append(chunks, c) })
	if err != nil {
		t.Fatal(err)
	}

	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	h := reqs[0].Header
	// API version 2026-10-21 takes the key as a bearer token.
	if got := h.Get("Authorization"); got != "Bearer test-key" {
		t.Errorf("Authorization = %q", got)
	}
	if got := h.Get("Anthropic-Version"); got != "2026-10-21" {
		t.Errorf("anthropic-version = %q", got)
	}
	want := parseJSON(t, `{
		"model": "claude-test",
		"max_tokens": 4096,
		"stream": true,
		"system": [{"type": "text", "text": "Be brief."}],
		"messages": [
			{"role": "user", "content": [{"type": "text", "text": "hi"}]},
			{"role": "assistant", "content": [{"type": "text", "text": "hello"}]},
			{"role": "user", "content": [{"type": "text", "text": "greet the world"}]}
		]
	}`)
	if d := cmp.Diff(want, asJSON(t, reqs[0].Body)); d != "" {
		t.Errorf("request body (-want +got):\n%s", d)
	}

	var sb strings.Builder
	for _, c := range chunks {
		if c.Type != graph.ChunkType || c.ID != reply.ID {
			t.Errorf("chunk %+v does not belong to reply %q", c, reply.ID)
		}
		sb.WriteString(c.Text())
	}
	if len(chunks) != 4 || sb.String() != "Hello, world!" {
		t.Errorf("%d chunks joined to %q", len(chunks), sb.String())
	}
	if reply.Type != graph.AIType || reply.ID != "msg_text" || reply.Content != "Hello, world!" {
		t.Errorf("reply = %+v", reply)
	}
	wantUsage := map[string]any{"input_tokens": 25, "output_tokens": 15, "total_tokens": 40}
	if d := cmp.Diff(wantUsage, reply.UsageMetadata); d != "" {
		t.Errorf("usage (-want +got):\n%s", d)
	}
	wantMeta := map[string]any{"model_name": testModelName, "stop_reason": "end_turn", "model_provider": "anthropic"}
	if d := cmp.Diff(wantMeta, reply.ResponseMetadata); d != "" {
		t.Errorf("response metadata (-want +got):\n%s", d)
	}
}

func TestOptionsReachTheRequest(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { textReply(w, "ok") })
	temp := 0.25
	m := f.model(Options{MaxTokens: 100, Temperature: &temp})
	if _, err := m.Stream(context.Background(), []graph.Message{graph.Human("hi")}, nil); err != nil {
		t.Fatal(err)
	}
	plain := f.model(Options{})
	if _, err := plain.Stream(context.Background(), []graph.Message{graph.Human("hi")}, nil); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if b := reqs[0].Body; b["max_tokens"] != 100.0 || b["temperature"] != 0.25 {
		t.Errorf("max_tokens = %v, temperature = %v", b["max_tokens"], b["temperature"])
	}
	if _, ok := reqs[1].Body["temperature"]; ok {
		t.Errorf("temperature sent though unset")
	}
	if _, ok := reqs[1].Body["tools"]; ok {
		t.Errorf("tools sent though none bound")
	}
}

func TestNewReadsOnlyItsEnvironmentVariables(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { textReply(w, "ok") })
	env := map[string]string{"ANTHROPIC_API_KEY": "env-key", "ANTHROPIC_BASE_URL": f.srv.URL}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	m, err := New("claude-test", Options{LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Stream(context.Background(), []graph.Message{graph.Human("hi")}, nil); err != nil {
		t.Fatal(err)
	}
	m, err = New("claude-test", Options{APIKey: "explicit", LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Stream(context.Background(), []graph.Message{graph.Human("hi")}, nil); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].Header.Get("Authorization") != "Bearer env-key" || reqs[1].Header.Get("Authorization") != "Bearer explicit" {
		t.Fatalf("keys sent: %v", reqs)
	}

	if _, err := New("claude-test", Options{LookupEnv: noEnv}); err == nil {
		t.Error("New without an API key succeeded")
	}
	if _, err := New("", Options{APIKey: "k", LookupEnv: noEnv}); err == nil {
		t.Error("New without a model succeeded")
	}
}

var weatherTool = llm.ToolSpec{
	Name:        "get_weather",
	Description: "Current weather in a city.",
	Parameters: map[string]any{
		"type":                 "object",
		"properties":           map[string]any{"location": map[string]any{"type": "string"}},
		"required":             []any{"location"},
		"additionalProperties": false,
	},
}

// toolReply streams "Let me check." and a get_weather call whose args come
// in pieces, with cache usage.
func toolReply(w http.ResponseWriter) {
	s := startSSE(w)
	s.messageStart("msg_tool", `{"input_tokens":20,"cache_read_input_tokens":10,"cache_creation_input_tokens":5,"output_tokens":1}`)
	s.textStart(0)
	s.textDelta(0, "Let me ")
	s.textDelta(0, "check.")
	s.blockStop(0)
	s.toolStart(1, "toolu_01", "get_weather")
	s.jsonDelta(1, "")
	s.jsonDelta(1, `{"location":`)
	s.ping()
	s.jsonDelta(1, ` "San Fra`)
	s.jsonDelta(1, `ncisco, CA"}`)
	s.blockStop(1)
	s.messageDelta("tool_use", 40)
	s.messageStop()
}

func TestToolsBoundAndToolCallsStreamed(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { toolReply(w) })
	m := f.model(Options{}).BindTools([]llm.ToolSpec{weatherTool})
	conv := []graph.Message{
		graph.System("Use tools."),
		graph.Human("Weather in SF and NY?"),
		{Type: graph.AIType, Content: "Checking both.", ToolCalls: []graph.ToolCall{
			{Name: "get_weather", Args: map[string]any{"location": "SF"}, ID: "toolu_a"},
			{Name: "get_weather", Args: map[string]any{"location": "NY"}, ID: "toolu_b"},
		}},
		graph.Tool("sunny", "toolu_a"),
		{Type: graph.ToolType, Content: "station offline", ToolCallID: "toolu_b", Status: "error"},
		graph.Human("And San Francisco again?"),
	}
	var chunks []graph.Message
	reply, err := m.Stream(context.Background(), conv, func(c graph.Message) { chunks = append(chunks, c) })
	if err != nil {
		t.Fatal(err)
	}

	body := f.requests()[0].Body
	wantMsgs := parseJSON(t, `[
		{"role": "user", "content": [{"type": "text", "text": "Weather in SF and NY?"}]},
		{"role": "assistant", "content": [
			{"type": "text", "text": "Checking both."},
			{"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"location": "SF"}},
			{"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {"location": "NY"}}
		]},
		{"role": "user", "content": [
			{"type": "tool_result", "tool_use_id": "toolu_a", "content": [{"type": "text", "text": "sunny"}]},
			{"type": "tool_result", "tool_use_id": "toolu_b", "is_error": true, "content": [{"type": "text", "text": "station offline"}]},
			{"type": "text", "text": "And San Francisco again?"}
		]}
	]`)
	if d := cmp.Diff(wantMsgs, body["messages"]); d != "" {
		t.Errorf("messages (-want +got):\n%s", d)
	}
	wantTools := parseJSON(t, `[{
		"name": "get_weather",
		"description": "Current weather in a city.",
		"input_schema": {
			"type": "object",
			"properties": {"location": {"type": "string"}},
			"required": ["location"],
			"additionalProperties": false
		}
	}]`)
	if d := cmp.Diff(wantTools, body["tools"]); d != "" {
		t.Errorf("tools (-want +got):\n%s", d)
	}

	// Chunks: two text pieces, the tool call's start, three args pieces.
	var text, args strings.Builder
	var tcc []any
	for _, c := range chunks {
		if c.ID != reply.ID || c.Type != graph.ChunkType {
			t.Errorf("chunk %+v does not belong to reply %q", c, reply.ID)
		}
		text.WriteString(c.Text())
		for _, x := range c.ToolCallChunks {
			tcc = append(tcc, x)
			args.WriteString(x.(map[string]any)["args"].(string))
		}
	}
	if text.String() != "Let me check." || args.String() != `{"location": "San Francisco, CA"}` {
		t.Errorf("chunks joined to text %q, args %q", text.String(), args.String())
	}
	wantFirst := map[string]any{"name": "get_weather", "args": "", "id": "toolu_01", "index": int64(1), "type": "tool_call_chunk"}
	wantNext := map[string]any{"name": nil, "args": `{"location":`, "id": nil, "index": int64(1), "type": "tool_call_chunk"}
	if len(tcc) != 4 || !cmp.Equal(tcc[0], wantFirst) || !cmp.Equal(tcc[1], wantNext) {
		t.Errorf("tool call chunks = %v", tcc)
	}

	wantCalls := []graph.ToolCall{{Name: "get_weather", Args: map[string]any{"location": "San Francisco, CA"}, ID: "toolu_01", Type: "tool_call"}}
	if d := cmp.Diff(wantCalls, reply.ToolCalls); d != "" {
		t.Errorf("tool calls (-want +got):\n%s", d)
	}
	wantContent := []any{
		map[string]any{"type": "text", "text": "Let me check."},
		map[string]any{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": map[string]any{"location": "San Francisco, CA"}},
	}
	if d := cmp.Diff(wantContent, reply.Content); d != "" {
		t.Errorf("content (-want +got):\n%s", d)
	}
	if reply.Text() != "Let me check." || reply.ResponseMetadata["stop_reason"] != "tool_use" {
		t.Errorf("reply = %+v", reply)
	}
	wantUsage := map[string]any{
		"input_tokens": 35, "output_tokens": 40, "total_tokens": 75,
		"input_token_details": map[string]any{"cache_read": 10, "cache_creation": 5},
	}
	if d := cmp.Diff(wantUsage, reply.UsageMetadata); d != "" {
		t.Errorf("usage (-want +got):\n%s", d)
	}

	// The reply goes back as one assistant turn, its tool call sent once.
	_, msgs, err := convertMessages([]graph.Message{graph.Human("q"), reply, graph.Tool("foggy", "toolu_01")})
	if err != nil {
		t.Fatal(err)
	}
	wantBack := parseJSON(t, `[
		{"type": "text", "text": "Let me check."},
		{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "San Francisco, CA"}}
	]`)
	if d := cmp.Diff(wantBack, asJSON(t, msgs[1]).(map[string]any)["content"]); d != "" {
		t.Errorf("reply sent back (-want +got):\n%s", d)
	}
}

func TestBindToolsLeavesTheModelAlone(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { textReply(w, "ok") })
	m := f.model(Options{})
	_ = m.BindTools([]llm.ToolSpec{weatherTool})
	if _, err := m.Stream(context.Background(), []graph.Message{graph.Human("hi")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.requests()[0].Body["tools"]; ok {
		t.Error("BindTools changed its receiver")
	}
	bad := m.BindTools([]llm.ToolSpec{{Name: "x", Parameters: map[string]any{"type": "string"}}})
	_, err := bad.Stream(context.Background(), []graph.Message{graph.Human("hi")}, nil)
	var le *llm.Error
	if !errors.As(err, &le) || le.Kind != KindBadRequest || len(f.requests()) != 1 {
		t.Errorf("non-object tool schema: err = %v, %d requests", err, len(f.requests()))
	}
}

func TestCancelClosesTheStream(t *testing.T) {
	closed := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		s := startSSE(w)
		s.messageStart("msg_slow", `{"input_tokens":1,"output_tokens":1}`)
		s.textStart(0)
		s.textDelta(0, "Once upon")
		select {
		case <-r.Context().Done(): // the client hung up
			close(closed)
		case <-time.After(10 * time.Second):
			t.Error("fake: connection still open 10s after the first chunk")
		}
	})
	m := f.model(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	_, err := m.Stream(ctx, []graph.Message{graph.Human("tell a story")}, func(graph.Message) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("the fake never saw its connection close")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel took %v", d)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests after cancel, want 1", n)
	}
}
