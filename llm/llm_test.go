package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/graph"
)

func TestEchoStreamsTheReplyInPieces(t *testing.T) {
	var chunks []graph.Message
	reply, err := Echo{}.Stream(context.Background(),
		[]graph.Message{graph.Human("first"), graph.AI("ok"), graph.Human("hello  big world")},
		func(m graph.Message) { chunks = append(chunks, m) })
	if err != nil {
		t.Fatal(err)
	}
	if reply.Text() != "You said: hello  big world" || reply.Type != graph.AIType || reply.ID == "" {
		t.Fatalf("reply = %+v", reply)
	}
	var sb strings.Builder
	for _, c := range chunks {
		if c.ID != reply.ID || c.Type != "AIMessageChunk" {
			t.Errorf("chunk %+v does not belong to the reply", c)
		}
		sb.WriteString(c.Text())
	}
	if sb.String() != reply.Text() || len(chunks) != 5 {
		t.Errorf("%d chunks joined to %q", len(chunks), sb.String())
	}
}

func TestEchoStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Echo{}).Stream(ctx, []graph.Message{graph.Human("hi")}, nil); err == nil {
		t.Fatal("cancelled stream returned no error")
	}
}
