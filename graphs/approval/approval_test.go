package approval

import (
	"context"
	"testing"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

func TestInterruptThenResume(t *testing.T) {
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := graph.RunConfig{ThreadID: "t1", Checkpointer: checkpoint.NewMemory()}
	res, err := g.Stream(context.Background(), map[string]any{"messages": []any{map[string]any{"role": "user", "content": "deploy"}}}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "interrupted" || len(res.Interrupts) != 1 {
		t.Fatalf("first run: status %q, interrupts %+v", res.Status, res.Interrupts)
	}
	cfg.Command = &graph.Command{Resume: "yes"}
	res, err = g.Stream(context.Background(), nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := graph.ToMessages(res.Values["messages"])
	if res.Status != "success" || len(msgs) != 2 || msgs[1].Text() != `Decision on "deploy": yes` {
		t.Fatalf("resumed: status %q, messages %+v", res.Status, msgs)
	}
}
