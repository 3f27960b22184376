package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

// jsonOf normalises v to its JSON-decoded form.
func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustCompile(t *testing.T, b *graph.Builder, opts ...graph.CompileOption) *graph.Graph {
	t.Helper()
	g, err := b.Compile(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// chatbot answers with the reversed text of the last message.
func chatbot(t *testing.T) *graph.Graph {
	b := graph.New().
		AddChannel("messages", graph.Messages()).
		AddNode("agent", func(ctx context.Context, s graph.State) (any, error) {
			ms := s["messages"].([]graph.Message)
			return graph.State{"messages": graph.AI("echo: " + ms[len(ms)-1].Text())}, nil
		}).
		AddEdge(graph.START, "agent").
		AddEdge("agent", graph.END)
	return mustCompile(t, b)
}

func TestChatbotInvoke(t *testing.T) {
	g := chatbot(t)
	out, err := g.Invoke(context.Background(), map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}}, graph.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ms := out["messages"].([]graph.Message)
	if len(ms) != 2 || ms[0].Type != "human" || ms[1].Type != "ai" || ms[1].Text() != "echo: hi" {
		t.Fatalf("messages = %+v", ms)
	}
	if ms[0].ID == "" || ms[1].ID == "" {
		t.Errorf("messages lack ids: %+v", ms)
	}
}

func TestChatbotThreadKeepsHistory(t *testing.T) {
	g := chatbot(t)
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t1", Checkpointer: saver}
	ctx := context.Background()
	for _, msg := range []string{"one", "two"} {
		if _, err := g.Invoke(ctx, map[string]any{"messages": msg}, cfg); err != nil {
			t.Fatal(err)
		}
	}
	st, err := g.GetState(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range st.Values["messages"].([]graph.Message) {
		texts = append(texts, m.Type+":"+m.Text())
	}
	want := []string{"human:one", "ai:echo: one", "human:two", "ai:echo: two"}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	hist, err := g.History(ctx, cfg, checkpoint.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, h := range hist {
		sources = append(sources, fmt.Sprintf("%s:%d", h.Metadata.Source(), h.Metadata.Step()))
	}
	// Newest first: each run makes input, __start__ and agent checkpoints.
	wantSrc := []string{"loop:4", "loop:3", "input:2", "loop:1", "loop:0", "input:-1"}
	if diff := cmp.Diff(wantSrc, sources); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if got := hist[2].Next; len(got) != 1 || got[0] != graph.START {
		t.Errorf("input checkpoint next = %v, want [__start__]", got)
	}
	if got := hist[1].Next; len(got) != 1 || got[0] != "agent" {
		t.Errorf("after __start__ next = %v, want [agent]", got)
	}
}

var _ = errors.New
var _ = strings.Contains
var _ atomic.Int32

func TestIdentityStaysOutOfCheckpointMetadata(t *testing.T) {
	g := chatbot(t)
	saver := checkpoint.NewMemory()
	cfg := graph.RunConfig{ThreadID: "t-id", Checkpointer: saver, Configurable: map[string]any{
		"langgraph_auth_user_id": "alice", "langgraph_auth_user": map[string]any{"identity": "alice", "github_token": "ghp_x"},
		"langgraph_auth_permissions": []any{"admin"}, "user_id": "alice", "graph_id": "chatbot",
	}}
	if _, err := g.Invoke(context.Background(), map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hi"}}}, cfg); err != nil {
		t.Fatal(err)
	}
	tuples, err := saver.List(context.Background(), checkpoint.Config{ThreadID: "t-id"}, checkpoint.ListOptions{})
	if err != nil || len(tuples) == 0 {
		t.Fatalf("no checkpoints: %v", err)
	}
	for _, tp := range tuples {
		for k := range tp.Metadata {
			if strings.HasPrefix(k, "langgraph_auth_") {
				t.Errorf("checkpoint %s metadata has %s", tp.Config.CheckpointID, k)
			}
		}
		if tp.Metadata["graph_id"] != "chatbot" || tp.Metadata["user_id"] != "alice" {
			t.Errorf("ordinary configurable keys missing: %v", tp.Metadata)
		}
	}
}
