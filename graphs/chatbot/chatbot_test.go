package chatbot

import (
	"context"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/llm"
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
