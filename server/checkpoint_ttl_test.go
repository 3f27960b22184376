package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

// TestCheckpointerTTL: with a default thread TTL (langgraph.json
// checkpointer.ttl), threads created without a ttl get it; keep_latest
// keeps the thread and its latest checkpoint, delete deletes the thread.
func TestCheckpointerTTL(t *testing.T) {
	chat, err := chatbot.New(llm.Echo{})
	if err != nil {
		t.Fatal(err)
	}
	const minutes = 0.005 // 300 ms
	for _, strategy := range []string{"keep_latest", "delete"} {
		t.Run(strategy, func(t *testing.T) {
			st := memory.NewWith(memory.Options{ThreadTTL: &storage.ThreadTTL{Strategy: strategy, Minutes: minutes}})
			ts := newTestServer(t, Options{Store: st, Graphs: map[string]Graph{"chatbot": chat}, SweepInterval: 50 * time.Millisecond,
				Metrics: MetricsOptions{Open: true}})
			var th struct {
				ThreadID string         `json:"thread_id"`
				TTL      map[string]any `json:"ttl"`
			}
			ts.ok(200, "POST", "/threads", map[string]any{}).json(t, &th)
			var got map[string]any
			ts.ok(200, "GET", "/threads/"+th.ThreadID+"?include=ttl", nil).json(t, &got)
			if ttl, _ := got["ttl"].(map[string]any); ttl["strategy"] != strategy || ttl["ttl"] != minutes {
				t.Fatalf("thread ttl = %v", got["ttl"])
			}
			for _, text := range []string{"one", "two"} {
				ts.ok(200, "POST", "/threads/"+th.ThreadID+"/runs/wait", map[string]any{"assistant_id": "chatbot",
					"input": map[string]any{"messages": []any{map[string]any{"type": "human", "content": text}}}})
			}
			ctx := context.Background()
			deadline := time.Now().Add(5 * time.Second)
			for {
				_, err := st.Threads().Get(ctx, storage.System(), th.ThreadID)
				saver, serr := st.Checkpointer(ctx, storage.System(), th.ThreadID)
				n := -1
				if serr == nil {
					hist, _ := saver.List(ctx, checkpoint.Config{ThreadID: th.ThreadID}, checkpoint.ListOptions{})
					n = len(hist)
				}
				swept := func(what string) { // counted right after the sweep
					t.Helper()
					want := `agentgate_sweep_removed_total{what="` + what + `"} 1`
					for end := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
						body := string(ts.ok(200, "GET", "/metrics", nil).body)
						if strings.Contains(body, want) {
							return
						}
						if time.Now().After(end) {
							t.Errorf("/metrics lacks %s:\n%s", want, body)
							return
						}
					}
				}
				switch {
				case strategy == "delete" && err != nil:
					swept("threads_deleted")
					return
				case strategy == "keep_latest" && err == nil && n == 1:
					swept("threads_pruned")
					var state map[string]any
					ts.ok(200, "GET", "/threads/"+th.ThreadID+"/state", nil).json(t, &state)
					if msgs, _ := state["values"].(map[string]any)["messages"].([]any); len(msgs) != 4 {
						t.Errorf("state after pruning: %v", state["values"])
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 5 s: thread err %v, %d checkpoints", err, n)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
