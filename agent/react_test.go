package agent

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/llm"
)

// scripted is a fake chat model that can be bound to tools: it answers
// with its replies in order, streaming each as chunks, and records what it
// was asked and which tools it was offered.
type scripted struct {
	mu      sync.Mutex
	replies []graph.Message
	asked   [][]graph.Message
	tools   []llm.ToolSpec
}

func (s *scripted) BindTools(tools []llm.ToolSpec) llm.ChatModel {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tools = tools
	return s
}

func (s *scripted) Stream(ctx context.Context, msgs []graph.Message, onChunk func(graph.Message)) (graph.Message, error) {
	s.mu.Lock()
	s.asked = append(s.asked, msgs)
	if len(s.replies) == 0 {
		s.mu.Unlock()
		return graph.Message{}, errors.New("scripted model: no more replies")
	}
	r := s.replies[0]
	s.replies = s.replies[1:]
	s.mu.Unlock()
	for _, w := range strings.SplitAfter(r.Text(), " ") {
		if w != "" {
			onChunk(graph.Message{Type: graph.ChunkType, ID: r.ID, Content: w})
		}
	}
	for i, c := range r.ToolCalls {
		onChunk(graph.Message{Type: graph.ChunkType, ID: r.ID, Content: "",
			ToolCallChunks: []any{map[string]any{"index": i, "id": c.ID, "name": c.Name, "args": "{}"}}})
	}
	return r, ctx.Err()
}

// askedLen is how many times the model was asked.
func (s *scripted) askedLen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.asked)
}

// noTools is a chat model that cannot be bound to tools.
type noTools struct{}

func (noTools) Stream(context.Context, []graph.Message, func(graph.Message)) (graph.Message, error) {
	return graph.AI("hello"), nil
}

func aiCalling(id string, calls ...graph.ToolCall) graph.Message {
	m := graph.AI("Let me check. ")
	m.ID = id
	m.ToolCalls = calls
	return m
}

func aiText(id, text string) graph.Message {
	m := graph.AI(text)
	m.ID = id
	return m
}

// types lists the messages' types, with tool calls shown as "ai(tools)".
func types(msgs []graph.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Type
		if len(m.ToolCalls) > 0 {
			out[i] += "(tools)"
		}
	}
	return out
}

func TestReactLoop(t *testing.T) {
	model := &scripted{replies: []graph.Message{
		aiCalling("ai-1", call("call-1", "get_weather", map[string]any{"city": "Oslo"})),
		aiText("ai-2", "It is 21 degrees in Oslo."),
	}}
	g, err := NewReact(model, []Tool{weatherTool(t)}, ReactOptions{SystemPrompt: "Be brief.", Name: "weather_agent"})
	if err != nil {
		t.Fatal(err)
	}
	var chunks []string
	var nodes []string
	res, err := g.Stream(context.Background(), graph.State{"messages": "What's the weather in Oslo?"},
		graph.RunConfig{StreamModes: []graph.StreamMode{graph.ModeMessages, graph.ModeUpdates}},
		func(ev graph.Event) error {
			switch ev.Mode {
			case graph.ModeMessages:
				pair := ev.Data.([]any)
				m := pair[0].(graph.Message)
				if m.Type == graph.ChunkType {
					chunks = append(chunks, m.ID+":"+m.Text())
				}
			case graph.ModeUpdates:
				for k := range ev.Data.(map[string]any) {
					nodes = append(nodes, k)
				}
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	msgs := res.Values["messages"].([]graph.Message)
	if got, want := strings.Join(types(msgs), " "), "human ai(tools) tool ai"; got != want {
		t.Fatalf("messages = %s, want %s", got, want)
	}
	if tm := msgs[2]; tm.ToolCallID != "call-1" || tm.Name != "get_weather" || tm.Text() != `{"city":"Oslo","temp_c":21}` {
		t.Errorf("tool message = %+v", tm)
	}
	if msgs[3].Text() != "It is 21 degrees in Oslo." || msgs[3].Name != "weather_agent" {
		t.Errorf("final = %+v", msgs[3])
	}
	if got, want := strings.Join(nodes, " "), "agent tools agent"; got != want {
		t.Errorf("updates from %s, want %s", got, want)
	}
	wantChunks := []string{"ai-1:Let ", "ai-1:me ", "ai-1:check. ", "ai-1:", "ai-2:It ", "ai-2:is ", "ai-2:21 ", "ai-2:degrees ", "ai-2:in ", "ai-2:Oslo."}
	if strings.Join(chunks, "|") != strings.Join(wantChunks, "|") {
		t.Errorf("chunks = %q, want %q", chunks, wantChunks)
	}
	// The model was offered the tool and always got the system prompt
	// first; the prompt is not stored.
	if len(model.tools) != 1 || model.tools[0].Name != "get_weather" || model.tools[0].Parameters["type"] != "object" {
		t.Errorf("bound tools = %+v", model.tools)
	}
	if len(model.asked) != 2 {
		t.Fatalf("model asked %d times", len(model.asked))
	}
	for i, asked := range model.asked {
		if asked[0].Type != graph.SystemType || asked[0].Text() != "Be brief." {
			t.Errorf("call %d starts with %+v", i, asked[0])
		}
	}
	if got := strings.Join(types(model.asked[1]), " "); got != "system human ai(tools) tool" {
		t.Errorf("second call saw %s", got)
	}
	if d := g.Draw(); len(d.Nodes) == 0 {
		t.Error("no drawing")
	}
}

func TestReactNeedsToolBinder(t *testing.T) {
	if _, err := NewReact(noTools{}, []Tool{weatherTool(t)}, ReactOptions{}); err == nil ||
		!strings.Contains(err.Error(), "ToolBinder") {
		t.Errorf("err = %v", err)
	}
	if _, err := NewReact(nil, nil, ReactOptions{}); err == nil {
		t.Error("nil model accepted")
	}
	if _, err := NewReact(&scripted{}, []Tool{weatherTool(t), weatherTool(t)}, ReactOptions{}); err == nil {
		t.Error("duplicate tools accepted")
	}
	// Without tools any chat model will do, and the run ends after it.
	g, err := NewReact(noTools{}, nil, ReactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Invoke(context.Background(), graph.State{"messages": "hi"}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(types(out["messages"].([]graph.Message)), " "); got != "human ai" {
		t.Errorf("messages = %s", got)
	}
}

func TestReactRecursionLimit(t *testing.T) {
	model := &scripted{}
	for i := range 20 {
		id := string(rune('a' + i))
		model.replies = append(model.replies, aiCalling("ai-"+id, call("c-"+id, "get_weather", map[string]any{"city": "x"})))
	}
	g, err := NewReact(model, []Tool{weatherTool(t)}, ReactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Invoke(context.Background(), graph.State{"messages": "loop"}, graph.RunConfig{RecursionLimit: 5})
	var re *graph.RecursionError
	if !errors.As(err, &re) || re.Limit != 5 {
		t.Fatalf("err = %v, want a RecursionError", err)
	}
	if n := model.askedLen(); n > 4 {
		t.Errorf("model asked %d times under a limit of 5 steps", n)
	}
}

// approvalRun starts a ReAct run that stops before its tool call.
func approvalRun(t *testing.T, ran *atomic.Int32) (*graph.Graph, *scripted, graph.RunConfig) {
	t.Helper()
	counted := must(NewTool("get_weather", "Current weather in a city.",
		func(_ context.Context, in cityArgs) (weather, error) {
			ran.Add(1)
			return weather{City: in.City, TempC: 21}, nil
		}))
	model := &scripted{replies: []graph.Message{
		aiCalling("ai-1", call("call-1", "get_weather", map[string]any{"city": "Oslo"})),
		aiText("ai-2", "Done."),
	}}
	g, err := NewReact(model, []Tool{counted}, ReactOptions{InterruptBeforeTools: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg := graph.RunConfig{ThreadID: "t1", Checkpointer: checkpoint.NewMemory()}
	res, err := g.Stream(context.Background(), graph.State{"messages": "Weather in Oslo?"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "interrupted" || len(res.Next) != 1 || res.Next[0] != ToolsNode || len(res.Interrupts) != 1 {
		t.Fatalf("result = %+v", res)
	}
	v := res.Interrupts[0].Value.(map[string]any)
	calls, _ := v["tool_calls"].([]graph.ToolCall)
	if len(calls) != 1 || calls[0].ID != "call-1" || calls[0].Args["city"] != "Oslo" {
		t.Errorf("interrupt value = %+v", v)
	}
	if ran.Load() != 0 {
		t.Error("the tool ran before approval")
	}
	return g, model, cfg
}

func TestReactInterruptBeforeToolsApproved(t *testing.T) {
	var ran atomic.Int32
	g, _, cfg := approvalRun(t, &ran)
	out, err := g.Invoke(context.Background(), graph.Command{Resume: map[string]any{"approve": true}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	msgs := out["messages"].([]graph.Message)
	if got := strings.Join(types(msgs), " "); got != "human ai(tools) tool ai" {
		t.Fatalf("messages = %s", got)
	}
	if ran.Load() != 1 || msgs[2].Status != "success" || !strings.Contains(msgs[2].Text(), `"temp_c":21`) {
		t.Errorf("tool ran %d times; message %+v", ran.Load(), msgs[2])
	}
}

func TestReactInterruptBeforeToolsDenied(t *testing.T) {
	var ran atomic.Int32
	g, model, cfg := approvalRun(t, &ran)
	out, err := g.Invoke(context.Background(),
		graph.Command{Resume: map[string]any{"approve": false, "reason": "not now"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	msgs := out["messages"].([]graph.Message)
	if got := strings.Join(types(msgs), " "); got != "human ai(tools) tool ai" {
		t.Fatalf("messages = %s", got)
	}
	tm := msgs[2]
	if ran.Load() != 0 || tm.ToolCallID != "call-1" || tm.Status != "error" || tm.Text() != "denied by the user: not now" {
		t.Errorf("tool ran %d times; message %+v", ran.Load(), tm)
	}
	// The model saw the denial.
	last := model.asked[len(model.asked)-1]
	if last[len(last)-1].Text() != "denied by the user: not now" {
		t.Errorf("model's last input = %+v", last[len(last)-1])
	}
}

func TestApprovalAnswers(t *testing.T) {
	for _, tc := range []struct {
		v      any
		ok     bool
		reason string
	}{
		{true, true, ""},
		{false, false, ""},
		{map[string]any{"approve": true}, true, ""},
		{map[string]any{"approve": false, "reason": "no"}, false, "no"},
		{"yes", false, ""},
		{nil, false, ""},
		{map[string]any{"other": 1}, false, ""},
	} {
		ok, reason := approved(tc.v)
		if ok != tc.ok || reason != tc.reason {
			t.Errorf("approved(%v) = %v, %q", tc.v, ok, reason)
		}
	}
}
