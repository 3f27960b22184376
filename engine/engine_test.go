package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/engine"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

type denyAll struct{}

func (denyAll) Authorize(context.Context, auth.Value) (storage.Scope, error) {
	return storage.Scope{}, auth.Forbidden("no")
}

func newEngine(t *testing.T, st storage.Store, opts engine.Options) *engine.Engine {
	t.Helper()
	g, err := chatbot.New(llm.Echo{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Store, opts.Graphs, opts.Authorizer = st, map[string]*graph.Graph{"agent": g}, denyAll{}
	e, err := engine.New(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestSystemAssistant: the graph's system assistant is registered once and
// exempt from assistants:read; an assistant that merely claims to be one
// (another id, or the system id re-created without created_by=system) is
// not.
func TestSystemAssistant(t *testing.T) {
	st := memory.New()
	defer st.Close()
	e := newEngine(t, st, engine.Options{})
	id := engine.SystemAssistantID("agent")
	if id != "fe096781-5601-53d2-b2f6-0d3403f7e9ca" {
		t.Fatalf("system assistant id %s", id)
	}
	if a, ok := e.SystemAssistant(t.Context(), id); !ok || a.GraphID != "agent" {
		t.Fatalf("SystemAssistant = %+v, %v", a, ok)
	}
	fake, err := st.Assistants().Create(t.Context(), storage.System(), storage.AssistantCreate{GraphID: "agent",
		Metadata: map[string]any{"created_by": "system"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.SystemAssistant(t.Context(), fake.AssistantID); ok {
		t.Fatal("a user assistant with created_by=system passed as a system assistant")
	}
	if err := st.Assistants().Delete(t.Context(), storage.System(), id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Assistants().Create(t.Context(), storage.System(), storage.AssistantCreate{AssistantID: id,
		GraphID: "agent", Metadata: map[string]any{"owner": "mallory"}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.SystemAssistant(t.Context(), id); ok {
		t.Fatal("a re-created assistant with the system id passed as a system assistant")
	}
	if !storage.IsGuarded(e.Store()) {
		t.Fatal("the engine's store is not guarded")
	}
}

// TestSweeperRuns: the engine's sweeper deletes expired threads by itself.
func TestSweeperRuns(t *testing.T) {
	st := memory.New()
	defer st.Close()
	newEngine(t, st, engine.Options{SweepInterval: 10 * time.Millisecond})
	th, err := st.Threads().Create(t.Context(), storage.System(), storage.ThreadCreate{
		TTL: &storage.ThreadTTL{Strategy: "delete", Minutes: 0.0001}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := st.Threads().Get(t.Context(), storage.System(), th.ThreadID); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired thread was never swept")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestGraphConfigs: LANGGRAPH_CONFIG's entry for a graph is its system
// assistant's config, with "context" split off as the assistant's context
// (as the LangGraph servers register it).
func TestGraphConfigs(t *testing.T) {
	st := memory.New()
	defer st.Close()
	newEngine(t, st, engine.Options{GraphConfigs: map[string]map[string]any{
		"agent": {"configurable": map[string]any{"model": "m1"}, "recursion_limit": float64(7), "context": map[string]any{"user": "u"}},
		"other": {"configurable": map[string]any{"ignored": true}},
	}})
	a, err := st.Assistants().Get(t.Context(), storage.System(), engine.SystemAssistantID("agent"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(a.Config), "map[configurable:map[model:m1] recursion_limit:7]"; got != want {
		t.Errorf("config = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(a.Context), "map[user:u]"; got != want {
		t.Errorf("context = %s, want %s", got, want)
	}
}
