package myagent

import (
	"context"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

// scripted is a model for the test: its first answer calls text_stats, its
// second repeats the tool's result.
type scripted struct{}

func (scripted) BindTools([]llm.ToolSpec) llm.ChatModel { return scripted{} }

func (scripted) Stream(_ context.Context, msgs []graph.Message, _ func(graph.Message)) (graph.Message, error) {
	last := msgs[len(msgs)-1]
	if last.Type == graph.ToolType {
		return graph.AI("The text has " + last.Text()), nil
	}
	call := graph.ToolCall{ID: "call_1", Name: "text_stats", Args: map[string]any{"text": last.Text()}}
	return graph.Message{Type: graph.AIType, ToolCalls: []graph.ToolCall{call}}, nil
}

func TestAgentCallsTheTool(t *testing.T) {
	g, err := Build(scripted{})
	if err != nil {
		t.Fatal(err)
	}
	input := map[string]any{"messages": []any{map[string]any{"role": "user", "content": "two words"}}}
	state, err := g.Invoke(context.Background(), input, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := graph.ToMessages(state["messages"])
	if len(msgs) != 4 || msgs[2].Type != graph.ToolType {
		t.Fatalf("messages = %+v", msgs)
	}
	if got := msgs[3].Text(); !strings.Contains(got, `"words":2`) || !strings.Contains(got, `"characters":9`) {
		t.Errorf("answer %q", got)
	}
}
