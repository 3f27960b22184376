// Package llm holds the chat model interface that agentgate's built-in
// graphs use, and an echo model that needs no API key.
package llm

import (
	"context"
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
