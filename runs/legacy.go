package runs

import (
	"github.com/agentgate/agentgate/graph"
)

// legacyMessages renders the graph's message chunks in the legacy
// "messages" stream mode: messages/metadata the first time a message id
// is seen, messages/partial with the message accumulated so far on each
// chunk, and messages/complete with each message (once) when a values
// event of the root graph first holds it.
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

// values handles a values event of the root graph: as LangGraph does, the
// messages it holds that were not completed yet (by id), whether streamed
// in chunks or not (the human input, tool results), go out together in one
// messages/complete event.
func (l *legacyMessages) values(data any) []namedEvent {
	st, ok := data.(map[string]any)
	if !ok || st["messages"] == nil {
		return nil
	}
	msgs, err := graph.ToMessages(st["messages"])
	if err != nil {
		return nil
	}
	var done []any
	for _, m := range msgs {
		if m.ID != "" && !l.done[m.ID] {
			l.done[m.ID] = true
			done = append(done, m)
		}
	}
	if len(done) == 0 {
		return nil
	}
	return []namedEvent{{"messages/complete", done}}
}
