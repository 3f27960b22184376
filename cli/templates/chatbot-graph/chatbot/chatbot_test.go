package chatbot

import (
	"context"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

func TestChatbotAnswers(t *testing.T) {
	g, err := Build(llm.Echo{})
	if err != nil {
		t.Fatal(err)
	}
	input := map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}}
	state, err := g.Invoke(context.Background(), input, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := graph.ToMessages(state["messages"])
	if len(msgs) != 2 || msgs[1].Text() != "You said: hi" {
		t.Errorf("messages = %+v", msgs)
	}
}
