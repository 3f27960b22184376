package agent

import (
	"context"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/graph"
)

func TestAgentReadsTheTokenFromConfig(t *testing.T) {
	user := &auth.User{Identity: "alice", Extra: map[string]any{"github_token": "ghp_12345"}}
	for name, u := range map[string]any{"map": user.Map(), "struct": user} {
		state, err := Graph.Invoke(context.Background(), map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}},
			graph.RunConfig{Configurable: map[string]any{"langgraph_auth_user": u}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		msgs, _ := graph.ToMessages(state["messages"])
		if got := msgs[len(msgs)-1].Text(); !strings.Contains(got, "as alice") || strings.Contains(got, "ghp_") {
			t.Errorf("%s: reply %q", name, got)
		}
	}
	if _, err := Graph.Invoke(context.Background(), map[string]any{"messages": []any{}}, graph.RunConfig{}); err == nil {
		t.Error("a run without a user's token succeeded")
	}
}
