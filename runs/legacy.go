package runs

import (
	"github.com/agentgate/agentgate/graph"
)

// legacyMessages renders the graph's message chunks in the legacy
// "messages" stream mode: messages/metadata the first time a message id
// is seen, messages/partial with the message accumulated so far on each
// chunk, and messages/complete with the finished message once a values
// event of the root graph holds it.
type legacyMessages struct {
	acc   map[string]*graph.Message
	order []string
	done  map[string]bool
}

type namedEvent struct {
	name string
	data any
}

func newLegacyMessages() *legacyMessages {
	return &legacyMessages{acc: map[string]*graph.Message{}, done: map[string]bool{}}
}

// chunk handles a messages event ([message, metadata]).
func (l *legacyMessages) chunk(data any) []namedEvent {
	pair, ok := data.([]any)
	if !ok || len(pair) != 2 {
		return nil
	}
	m, ok := pair[0].(graph.Message)
	if !ok || m.ID == "" {
		return nil
	}
	var out []namedEvent
	cur := l.acc[m.ID]
	if cur == nil {
		c := m
		cur = &c
		l.acc[m.ID] = cur
		l.order = append(l.order, m.ID)
		out = append(out, namedEvent{"messages/metadata", map[string]any{m.ID: map[string]any{"metadata": pair[1]}}})
	} else if a, ok := cur.Content.(string); ok {
		if b, ok := m.Content.(string); ok {
			cur.Content = a + b
		}
	}
	return append(out, namedEvent{"messages/partial", []any{*cur}})
}

// values handles a values event of the root graph.
func (l *legacyMessages) values(data any) []namedEvent {
	if len(l.acc) == 0 {
		return nil
	}
	st, ok := data.(map[string]any)
	if !ok {
		return nil
	}
	msgs, err := graph.ToMessages(st["messages"])
	if err != nil {
		return nil
	}
	var out []namedEvent
	for _, m := range msgs {
		if l.acc[m.ID] != nil && !l.done[m.ID] {
			l.done[m.ID] = true
			out = append(out, namedEvent{"messages/complete", []any{m}})
		}
	}
	return out
}
