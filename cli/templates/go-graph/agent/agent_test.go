package agent

import (
	"context"
	"testing"

	"github.com/agentgate/agentgate/graph"
)

func TestRespond(t *testing.T) {
	input := map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}}
	state, err := Graph.Invoke(context.Background(), input, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := graph.ToMessages(state["messages"])
	if len(msgs) != 2 || msgs[1].Text() != "Message 1 was: hi" {
		t.Errorf("messages = %+v", msgs)
	}
}
