package agent

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph"
)

type cityArgs struct {
	City string `json:"city" jsonschema:"description=City name"`
}

type weather struct {
	City  string `json:"city"`
	TempC int    `json:"temp_c"`
}

// must returns a tool made by NewTool; tests' tools are valid.
func must(tool Tool, err error) Tool {
	if err != nil {
		panic(err)
	}
	return tool
}

func weatherTool(t *testing.T) Tool {
	return must(NewTool("get_weather", "Current weather in a city.",
		func(_ context.Context, in cityArgs) (weather, error) {
			return weather{City: in.City, TempC: 21}, nil
		}))
}

func stateWith(calls ...graph.ToolCall) graph.State {
	ai := graph.AI("")
	ai.ID = "ai-1"
	ai.ToolCalls = calls
	return graph.State{"messages": []graph.Message{{Type: graph.HumanType, Content: "hi", ID: "h-1"}, ai}}
}

func call(id, name string, args map[string]any) graph.ToolCall {
	return graph.ToolCall{ID: id, Name: name, Args: args, Type: "tool_call"}
}

func TestToolNodeSeveralCalls(t *testing.T) {
	// The two good calls wait for each other: they only finish when run
	// concurrently.
	var started atomic.Int32
	both := make(chan struct{})
	slow := must(NewTool("echo", "Echoes.", func(ctx context.Context, in cityArgs) (string, error) {
		if started.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
		case <-time.After(5 * time.Second):
			return "", errors.New("calls did not run concurrently")
		}
		return "echo " + in.City, nil
	}))
	failing := must(NewTool("fail", "Fails.", func(context.Context, cityArgs) (string, error) {
		return "", errors.New("the service is down")
	}))
	panicky := must(NewTool("panic", "Panics.", func(context.Context, cityArgs) (string, error) {
		panic("boom")
	}))
	node := ToolNode(weatherTool(t), slow, failing, panicky)
	out, err := node(context.Background(), stateWith(
		call("c1", "get_weather", map[string]any{"city": "Oslo"}),
		call("c2", "fail", map[string]any{"city": "x"}),
		call("c3", "nope", map[string]any{}),
		call("c4", "echo", map[string]any{"city": "a"}),
		call("c5", "echo", map[string]any{"city": "b"}),
		call("c6", "get_weather", map[string]any{"city": "Oslo", "town": "Oslo"}),
		call("c7", "panic", map[string]any{"city": "x"}),
	))
	if err != nil {
		t.Fatal(err)
	}
	msgs := out.(graph.State)["messages"].([]graph.Message)
	want := []struct{ id, name, status, content string }{
		{"c1", "get_weather", "success", `{"city":"Oslo","temp_c":21}`},
		{"c2", "fail", "error", "Error: the service is down\n Please fix your mistakes."},
		{"c3", "nope", "error", "Error: nope is not a valid tool, try one of [echo, fail, get_weather, panic]."},
		{"c4", "echo", "success", "echo a"},
		{"c5", "echo", "success", "echo b"},
		{"c6", "get_weather", "error", `unknown field "town"`},
		{"c7", "panic", "error", `tool "panic" panicked: boom`},
	}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages, want %d: %+v", len(msgs), len(want), msgs)
	}
	for i, w := range want {
		m := msgs[i]
		if m.Type != graph.ToolType || m.ToolCallID != w.id || m.Name != w.name || m.Status != w.status ||
			!strings.Contains(m.Text(), w.content) {
			t.Errorf("message %d = %+v, want %+v", i, m, w)
		}
	}
}

func TestToolNodeHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	running := make(chan struct{})
	blocking := must(NewTool("wait", "Waits.", func(ctx context.Context, _ struct{}) (string, error) {
		close(running)
		<-ctx.Done()
		return "", ctx.Err()
	}))
	done := make(chan error, 1)
	go func() {
		_, err := ToolNode(blocking)(ctx, stateWith(call("c1", "wait", nil)))
		done <- err
	}()
	<-running
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the node did not stop")
	}
}

func TestToolNodeNeedsAnAIMessage(t *testing.T) {
	node := ToolNode(weatherTool(t))
	for name, st := range map[string]graph.State{
		"empty": {"messages": []graph.Message{}},
		"human": {"messages": []graph.Message{graph.Human("hi")}},
	} {
		if _, err := node(context.Background(), st); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	dup := ToolNode(weatherTool(t), weatherTool(t))
	if _, err := dup(context.Background(), stateWith()); err == nil || !strings.Contains(err.Error(), "two tools") {
		t.Errorf("duplicate tools: err = %v", err)
	}
	// An AI message without tool calls adds nothing.
	out, err := node(context.Background(), stateWith())
	if err != nil || len(out.(graph.State)["messages"].([]graph.Message)) != 0 {
		t.Errorf("out = %v, %v", out, err)
	}
}
