// Package llm holds the chat model interface that agentgate's built-in
// graphs use, and an echo model that needs no API key.
package llm

import (
	"context"
	"fmt"
	"strings"

	"github.com/agentgate/agentgate/graph"
	"github.com/google/uuid"
)

// ChatModel answers a conversation. Stream calls onChunk with each piece of
// the reply as it is produced (chunks share the reply's id) and returns the
// whole reply.
type ChatModel interface {
	Stream(ctx context.Context, messages []graph.Message, onChunk func(graph.Message)) (graph.Message, error)
}

// Echo repeats the last human message back, one word at a time. It is the
// default model of the built-in chatbot and of tests.
type Echo struct {
	// Prefix starts every reply; "" means "You said: ".
	Prefix string
}

// Stream implements ChatModel.
func (e Echo) Stream(ctx context.Context, messages []graph.Message, onChunk func(graph.Message)) (graph.Message, error) {
	prefix := e.Prefix
	if prefix == "" {
		prefix = "You said: "
	}
	last := ""
	for i := len(messages) - 1; i >= 0; i-- {
		if messages[i].Type == graph.HumanType {
			last = messages[i].Text()
			break
		}
	}
	reply := graph.AI(prefix + last)
	reply.ID = "run-" + uuid.NewString()
	for _, tok := range tokens(reply.Text()) {
		if err := ctx.Err(); err != nil {
			return graph.Message{}, err
		}
		if onChunk != nil {
			onChunk(graph.Message{Type: graph.ChunkType, ID: reply.ID, Content: tok})
		}
	}
	return reply, nil
}

// tokens splits s into words, each with the spaces that follow it, so that
// the pieces concatenate back to s.
func tokens(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		j := i
		for j < len(s) && s[j] == ' ' {
			j++
		}
		out = append(out, s[:j])
		s = s[j:]
	}
	return out
}

// ToolSpec describes a tool a model may call: its name, what it does, and
// the JSON Schema of its arguments (an object schema).
type ToolSpec struct {
	Name        string
	Description string
	Parameters  map[string]any
}

// ToolBinder is a ChatModel that can be offered tools, as LangChain's
// bind_tools: the returned model may answer with AI messages carrying
// ToolCalls. The receiver is not changed.
type ToolBinder interface {
	ChatModel
	BindTools(tools []ToolSpec) ChatModel
}

// Error is a provider's failure as a run error: Kind is what went wrong
// ("authentication", "rate_limit", "server", "bad_request", "stream"),
// Status the HTTP status (0 for none) and RetryAfter the provider's advice
// (0 for none). Retryable errors were already retried within the bound.
type Error struct {
	Provider   string
	Kind       string
	Status     int
	RetryAfter float64 // seconds
	Message    string
	Err        error
}

func (e *Error) Error() string {
	s := e.Provider + " " + e.Kind + " error"
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
