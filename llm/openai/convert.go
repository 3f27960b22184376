package openai

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/agentgate/agentgate/graph"
)

// toParams converts graph messages to Chat Completions messages.
func toParams(messages []graph.Message) ([]message, error) {
	out := make([]message, 0, len(messages))
	for i, m := range messages {
		text := m.Text()
		switch m.Type {
		case graph.SystemType:
			out = append(out, message{Role: "system", Content: text})
		case graph.HumanType:
			out = append(out, message{Role: "user", Content: text, Name: m.Name})
		case graph.AIType, graph.ChunkType:
			a := message{Role: "assistant", Name: m.Name}
			if text != "" || len(m.ToolCalls) == 0 {
				a.Content = text
			}
			for _, tc := range m.ToolCalls {
				args := tc.Args
				if args == nil {
					args = map[string]any{}
				}
				b, err := json.Marshal(args)
				if err != nil {
					return nil, fmt.Errorf("message %d: tool call %q: %w", i, tc.Name, err)
				}
				a.ToolCalls = append(a.ToolCalls, toolCall{ID: tc.ID, Type: "function",
					Function: callFunction{Name: tc.Name, Arguments: string(b)}})
			}
			out = append(out, a)
		case graph.ToolType:
			if m.ToolCallID == "" {
				return nil, fmt.Errorf("message %d: tool message without tool_call_id", i)
			}
			out = append(out, message{Role: "tool", Content: text, ToolCallID: m.ToolCallID})
		default:
			return nil, fmt.Errorf("message %d: cannot send a %q message", i, m.Type)
		}
	}
	return out, nil
}

// toolAcc gathers one tool call's pieces.
type toolAcc struct {
	id, name string
	args     strings.Builder
}

// accumulator folds chunks into the final reply.
type accumulator struct {
	id      string
	text    strings.Builder
	refusal strings.Builder
	tools   map[int64]*toolAcc
	model   string
	finish  string
	usage   map[string]any
}

func newAccumulator(id string) *accumulator {
	return &accumulator{id: id, tools: map[int64]*toolAcc{}}
}

// add folds in one chunk and returns the messages to hand to onChunk.
func (a *accumulator) add(c chunk) []graph.Message {
	if c.Model != "" {
		a.model = c.Model
	}
	if c.Usage != nil {
		u := c.Usage
		a.usage = map[string]any{
			"input_tokens":  u.PromptTokens,
			"output_tokens": u.CompletionTokens,
			"total_tokens":  u.TotalTokens,
		}
		if n := u.PromptTokensDetails.CachedTokens; n > 0 {
			a.usage["input_token_details"] = map[string]any{"cache_read": n}
		}
		if n := u.CompletionTokensDetails.ReasoningTokens; n > 0 {
			a.usage["output_token_details"] = map[string]any{"reasoning": n}
		}
	}
	var out []graph.Message
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue // only one choice is asked for
		}
		if ch.FinishReason != "" {
			a.finish = ch.FinishReason
		}
		d := ch.Delta
		a.refusal.WriteString(d.Refusal)
		if d.Content != "" {
			a.text.WriteString(d.Content)
			out = append(out, graph.Message{Type: graph.ChunkType, ID: a.id, Content: d.Content})
		}
		if len(d.ToolCalls) == 0 {
			continue
		}
		chunks := make([]any, 0, len(d.ToolCalls))
		for _, tc := range d.ToolCalls {
			t := a.tools[tc.Index]
			if t == nil {
				t = &toolAcc{}
				a.tools[tc.Index] = t
			}
			// Names and ids come whole, in the call's first delta.
			if t.id == "" {
				t.id = tc.ID
			}
			if t.name == "" {
				t.name = tc.Function.Name
			}
			t.args.WriteString(tc.Function.Arguments)
			chunks = append(chunks, map[string]any{
				"name":  nilIfEmpty(tc.Function.Name),
				"args":  tc.Function.Arguments,
				"id":    nilIfEmpty(tc.ID),
				"index": tc.Index,
				"type":  "tool_call_chunk",
			})
		}
		out = append(out, graph.Message{Type: graph.ChunkType, ID: a.id, Content: "", ToolCallChunks: chunks})
	}
	return out
}

// message is the whole reply; tool call arguments must be JSON objects.
func (a *accumulator) message() (graph.Message, error) {
	m := graph.Message{
		Type:    graph.AIType,
		ID:      a.id,
		Content: a.text.String(),
		ResponseMetadata: map[string]any{
			"model_name":     a.model,
			"finish_reason":  a.finish,
			"model_provider": "openai",
		},
		UsageMetadata: a.usage,
	}
	if r := a.refusal.String(); r != "" {
		m.AdditionalKwargs = map[string]any{"refusal": r}
	}
	idx := make([]int64, 0, len(a.tools))
	for i := range a.tools {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	for _, i := range idx {
		t := a.tools[i]
		args := map[string]any{}
		if s := strings.TrimSpace(t.args.String()); s != "" {
			if err := json.Unmarshal([]byte(s), &args); err != nil {
				return graph.Message{}, fmt.Errorf("tool call %q: arguments are not a JSON object: %w", t.name, err)
			}
			if args == nil { // "null"
				args = map[string]any{}
			}
		}
		m.ToolCalls = append(m.ToolCalls, graph.ToolCall{Name: t.name, Args: args, ID: t.id, Type: "tool_call"})
	}
	return m, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
