package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm/openai"
)

// chatServer is a local Chat Completions endpoint: the first request is
// answered with a streamed tool call, later ones with streamed text. It
// keeps the request bodies.
type chatServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newChatServer(t *testing.T) *chatServer {
	s := &chatServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/chat/completions" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("request is not JSON: %s", b)
		}
		s.mu.Lock()
		n := len(s.bodies)
		s.bodies = append(s.bodies, body)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		var events []string
		if n == 0 {
			events = []string{
				delta(map[string]any{"role": "assistant", "content": nil}, nil),
				toolCallDelta("call_oslo", "get_weather", `{"ci`),
				toolCallDelta("", "", `ty": "Oslo"}`),
				delta(map[string]any{}, "tool_calls"),
			}
		} else {
			events = []string{
				delta(map[string]any{"role": "assistant", "content": "It is "}, nil),
				delta(map[string]any{"content": "21 degrees in Oslo."}, nil),
				delta(map[string]any{}, "stop"),
			}
		}
		for _, e := range append(events, "[DONE]") {
			fmt.Fprintf(w, "data: %s\n\n", e)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *chatServer) requests() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.bodies...)
}

// delta is a chat.completion.chunk with one choice.
func delta(d map[string]any, finish any) string {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-test",
		"choices": []any{map[string]any{"index": 0, "delta": d, "finish_reason": finish, "logprobs": nil}},
	})
	return string(b)
}

// toolCallDelta is a piece of tool call 0; id and name come first only.
func toolCallDelta(id, name, args string) string {
	fn := map[string]any{"arguments": args}
	tc := map[string]any{"index": 0, "function": fn}
	if id != "" {
		tc["id"], tc["type"], fn["name"] = id, "function", name
	}
	return delta(map[string]any{"tool_calls": []any{tc}}, nil)
}

func TestReactWithOpenAIProvider(t *testing.T) {
	srv := newChatServer(t)
	model, err := openai.New("gpt-test", openai.Options{
		BaseURL: srv.URL, APIKey: "sk-test", MaxRetries: -1,
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewReact(model, []Tool{weatherTool(t)}, ReactOptions{SystemPrompt: "You report the weather."})
	if err != nil {
		t.Fatal(err)
	}
	var chunks int
	res, err := g.Stream(context.Background(), graph.State{"messages": "Weather in Oslo?"},
		graph.RunConfig{StreamModes: []graph.StreamMode{graph.ModeMessages}},
		func(ev graph.Event) error {
			if m := ev.Data.([]any)[0].(graph.Message); m.Type == graph.ChunkType {
				chunks++
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	msgs := res.Values["messages"].([]graph.Message)
	if got := strings.Join(types(msgs), " "); got != "human ai(tools) tool ai" {
		t.Fatalf("messages = %s", got)
	}
	if c := msgs[1].ToolCalls[0]; c.ID != "call_oslo" || c.Name != "get_weather" || c.Args["city"] != "Oslo" {
		t.Errorf("tool call = %+v", c)
	}
	if msgs[2].ToolCallID != "call_oslo" || msgs[2].Text() != `{"city":"Oslo","temp_c":21}` {
		t.Errorf("tool message = %+v", msgs[2])
	}
	if msgs[3].Text() != "It is 21 degrees in Oslo." {
		t.Errorf("final = %q", msgs[3].Text())
	}
	if chunks < 4 {
		t.Errorf("%d chunks streamed", chunks)
	}

	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	// The tool and its derived schema went to the server.
	tools, _ := reqs[0]["tools"].([]any)
	if len(tools) != 1 {
		t.Fatalf("tools = %v", reqs[0]["tools"])
	}
	fn := tools[0].(map[string]any)["function"].(map[string]any)
	params := fn["parameters"].(map[string]any)
	if fn["name"] != "get_weather" || params["type"] != "object" || fmt.Sprint(params["required"]) != "[city]" {
		t.Errorf("function = %v", fn)
	}
	// The second request carries the system prompt, the call and its answer.
	sent := reqs[1]["messages"].([]any)
	var roles []string
	for _, m := range sent {
		roles = append(roles, m.(map[string]any)["role"].(string))
	}
	if got := strings.Join(roles, " "); got != "system user assistant tool" {
		t.Fatalf("roles = %s", got)
	}
	if tm := sent[3].(map[string]any); tm["tool_call_id"] != "call_oslo" || tm["content"] != `{"city":"Oslo","temp_c":21}` {
		t.Errorf("tool message sent = %v", tm)
	}
}
