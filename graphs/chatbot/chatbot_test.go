package chatbot

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/internal/fakeopenai"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/models"
)

func TestChatbotRemembersAndStreams(t *testing.T) {
	g, err := New(llm.Echo{})
	if err != nil {
		t.Fatal(err)
	}
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t1", Checkpointer: saver,
		StreamModes: []graph.StreamMode{graph.ModeMessages, graph.ModeValues}}
	var chunks strings.Builder
	var events int
	emit := func(ev graph.Event) error {
		events++
		if ev.Mode == graph.ModeMessages {
			pair := ev.Data.([]any)
			chunks.WriteString(pair[0].(graph.Message).Text())
			if md := pair[1].(map[string]any); md["langgraph_node"] != "chatbot" {
				t.Errorf("chunk metadata %v", md)
			}
		}
		return nil
	}
	input := map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi there"}}}
	if _, err := g.Stream(context.Background(), input, cfg, emit); err != nil {
		t.Fatal(err)
	}
	if chunks.String() != "You said: hi there" {
		t.Errorf("streamed %q", chunks.String())
	}
	state, err := g.Invoke(context.Background(), map[string]any{"messages": []any{map[string]any{"role": "user", "content": "again"}}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := graph.ToMessages(state["messages"])
	if len(msgs) != 4 || msgs[3].Text() != "You said: again" {
		t.Errorf("after two turns: %+v", msgs)
	}
}

func TestChatbotModelFromConfigurableWithCallerName(t *testing.T) {
	fake := fakeopenai.New(t, fakeopenai.Reply{Text: "Hello Alice!"})
	t.Setenv("ANTHROPIC_API_KEY", "")
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("AGENTGATE_MODEL", "")
	t.Setenv("OPENAI_BASE_URL", fake.URL())
	reg, err := models.NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewWithModels(reg)
	if err != nil {
		t.Fatal(err)
	}
	conf := map[string]any{
		"model": "openai:gpt-fake", "assistant_id": "a1", "graph_id": "chatbot",
		"langgraph_auth_user_id": "alice",
		"langgraph_auth_user":    map[string]any{"identity": "alice", "display_name": "Alice Liddell", "api_token": "secret"},
	}
	out, err := g.Invoke(context.Background(), graph.State{"messages": "hi"}, graph.RunConfig{Configurable: conf})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := graph.ToMessages(out["messages"])
	if len(msgs) != 2 || msgs[1].Text() != "Hello Alice!" {
		t.Fatalf("messages = %+v", msgs)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 || reqs[0]["model"] != "gpt-fake" {
		t.Fatalf("requests = %v", reqs)
	}
	want := [][2]string{{"system", "You are talking to Alice Liddell."}, {"user", "hi"}}
	if got := fake.Messages(0); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	if strings.Contains(fmt.Sprint(reqs[0]), "secret") {
		t.Error("the caller's extra fields reached the model")
	}

	// A bad spec is the run's error; without configurable.model the
	// default (openai:gpt-4.1-mini, as OPENAI_BASE_URL is set) is used.
	conf["model"] = "llama3"
	if _, err := g.Invoke(context.Background(), graph.State{"messages": "hi"}, graph.RunConfig{Configurable: conf}); err == nil ||
		!strings.Contains(err.Error(), "configurable.model") || !strings.Contains(err.Error(), "provider:model") {
		t.Errorf("bad spec: %v", err)
	}
	if spec, _ := reg.Default(); spec != models.DefaultOpenAI {
		t.Errorf("default = %s", spec)
	}
}
