package agent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/agentgate/agentgate/graph"
)

// maxParallelTools bounds the tool calls ToolNode runs at once.
const maxParallelTools = 8

// ToolNode returns a node that runs the tool calls of the last AI message
// of the state's "messages" (concurrently, at most 8 at a time) and adds
// one tool message per call, in the calls' order. As LangGraph's ToolNode
// with handle_tool_errors, a failing call, an unknown tool or bad arguments
// give a tool message with status "error" and the error as content, not a
// failed run; only a cancelled ctx fails the node.
func ToolNode(tools ...Tool) graph.NodeFunc {
	byName, err := index(tools)
	return toolsNode(func(context.Context) (map[string]Tool, error) { return byName, err })
}

// index maps tools by name, refusing nil tools and duplicate names.
func index(tools []Tool) (map[string]Tool, error) {
	byName := make(map[string]Tool, len(tools))
	for i, t := range tools {
		if t == nil {
			return nil, fmt.Errorf("agent: tool %d is nil", i)
		}
		name := t.Spec().Name
		if _, dup := byName[name]; dup {
			return nil, fmt.Errorf("agent: two tools are named %q", name)
		}
		byName[name] = t
	}
	return byName, nil
}

// lastAI returns the last message of the state, which must be an AI
// message.
func lastAI(state graph.State) (graph.Message, error) {
	msgs, err := graph.ToMessages(state["messages"])
	if err != nil {
		return graph.Message{}, err
	}
	if len(msgs) == 0 {
		return graph.Message{}, errors.New("agent: no messages: the tool node needs an AI message with tool calls")
	}
	last := msgs[len(msgs)-1]
	if last.Type != graph.AIType && last.Type != graph.ChunkType {
		return graph.Message{}, fmt.Errorf("agent: the last message is a %q message, not an AI message with tool calls", last.Type)
	}
	return last, nil
}

// hasToolCalls reports whether the last message is an AI message that
// calls tools.
func hasToolCalls(state graph.State) bool {
	ai, err := lastAI(state)
	return err == nil && len(ai.ToolCalls) > 0
}

// runCalls runs calls with a bounded number at once; a call not started
// when ctx ends gets ctx's error as its message.
func runCalls(ctx context.Context, byName map[string]Tool, calls []graph.ToolCall) []graph.Message {
	out := make([]graph.Message, len(calls))
	sem := make(chan struct{}, maxParallelTools)
	var wg sync.WaitGroup
	for i, c := range calls {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			out[i] = errorMessage(c, ctx.Err())
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = callTool(ctx, byName, c)
		}()
	}
	wg.Wait()
	return out
}

// callTool runs one call and returns its tool message; a panicking tool is
// an error message too.
func callTool(ctx context.Context, byName map[string]Tool, c graph.ToolCall) (msg graph.Message) {
	defer func() {
		if r := recover(); r != nil {
			msg = errorMessage(c, fmt.Errorf("tool %q panicked: %v", c.Name, r))
		}
	}()
	t, ok := byName[c.Name]
	if !ok {
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		sort.Strings(names)
		return toolMessage(c, fmt.Sprintf("Error: %s is not a valid tool, try one of [%s].", c.Name, strings.Join(names, ", ")), "error")
	}
	if err := ctx.Err(); err != nil {
		return errorMessage(c, err)
	}
	res, err := callTraced(ctx, t, c)
	if err != nil {
		return errorMessage(c, err)
	}
	text, err := content(res)
	if err != nil {
		return errorMessage(c, err)
	}
	return toolMessage(c, text, "success")
}

func toolMessage(c graph.ToolCall, text, status string) graph.Message {
	return graph.Message{Type: graph.ToolType, Content: text, Name: c.Name, ToolCallID: c.ID, Status: status}
}

// errorMessage is LangGraph's tool error message.
func errorMessage(c graph.ToolCall, err error) graph.Message {
	return toolMessage(c, fmt.Sprintf("Error: %v\n Please fix your mistakes.", err), "error")
}
