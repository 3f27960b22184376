package graph

import (
	"fmt"
	"slices"

	"github.com/google/uuid"
)

// The "events" stream mode: records shaped like LangChain's astream_events
// (version v2), as the LangGraph servers stream them, for what this runtime
// knows of a run:
//
//   - on_chain_start / on_chain_end of the graph (name: the graph's name,
//     run_id: the run's id) with data.input and data.output (the values);
//   - on_chain_start / on_chain_stream / on_chain_end of each node (name:
//     the node, tags ["graph:step:N"], metadata: the langgraph_* keys of
//     "messages" events, parent_ids: the graph's run id) with data.input
//     (the state the node got) and data.output / data.chunk (its update);
//   - on_chat_model_start / on_chat_model_stream / on_chat_model_end for
//     each message a node streams with StreamChunk (a model's reply), with
//     data.chunk for each chunk and data.output the accumulated message;
//     parent_ids are the graph's and the node's run ids.
//
// Nodes of subgraphs are reported with the root graph as their parent.
// LangChain's internal runnables (channel writers, branches) are not
// reported; the LangGraph servers hide them too ("langsmith:hidden").

// modelRun is a model whose reply a task streams (one message id).
type modelRun struct {
	runID string
	name  string
	acc   Message
}

func (l *loop) eventsOn() bool { return l.emitFn != nil && l.modes[ModeEvents] }

// graphRunID is the run id of the graph's on_chain_* events.
func (l *loop) graphRunID() string {
	if l.cfg.RunID != "" {
		return l.cfg.RunID
	}
	if l.eventsID == "" {
		l.eventsID = uuid.NewString()
	}
	return l.eventsID
}

func (l *loop) emitEvent(event, name, runID string, tags []string, md map[string]any, data map[string]any, parents []string) {
	if tags == nil {
		tags = []string{}
	}
	if md == nil {
		md = map[string]any{}
	}
	if parents == nil {
		parents = []string{}
	}
	l.emit(ModeEvents, map[string]any{"event": event, "name": name, "run_id": runID, "tags": tags,
		"metadata": md, "data": data, "parent_ids": parents})
}

// graphMeta is the metadata of the graph's own events.
func (l *loop) graphMeta() map[string]any {
	md := map[string]any{}
	for k, v := range l.cfg.Metadata {
		md[k] = v
	}
	if l.cfg.ThreadID != "" {
		md["thread_id"] = l.cfg.ThreadID
	}
	if l.cfg.RunID != "" {
		md["run_id"] = l.cfg.RunID
	}
	return md
}

func (l *loop) emitGraphStart(input any) {
	if !l.eventsOn() || l.ns != "" {
		return
	}
	if input == nil {
		input = map[string]any{}
	}
	l.emitEvent("on_chain_start", l.g.name, l.graphRunID(), nil, l.graphMeta(), map[string]any{"input": input}, nil)
}

func (l *loop) emitGraphEnd(output State) {
	if !l.eventsOn() || l.ns != "" {
		return
	}
	l.emitEvent("on_chain_end", l.g.name, l.graphRunID(), nil, l.graphMeta(), map[string]any{"output": output}, nil)
}

func nodeTags(t *task) []string { return []string{fmt.Sprintf("graph:step:%d", t.step)} }

func (l *loop) emitNodeStart(t *task) {
	if !l.eventsOn() || t.name == START {
		return
	}
	t.mu.Lock()
	t.eventsRunID = uuid.NewString()
	t.mu.Unlock()
	l.emitEvent("on_chain_start", t.name, t.eventsRunID, nodeTags(t), l.messageMeta(t),
		map[string]any{"input": t.input}, []string{l.graphRunID()})
}

// emitNodeEnd ends the task's model streams, then the node.
func (l *loop) emitNodeEnd(t *task) {
	if !l.eventsOn() || t.name == START {
		return
	}
	t.mu.Lock()
	runID, models := t.eventsRunID, slices.Clone(t.modelRuns)
	t.mu.Unlock()
	if runID == "" {
		return
	}
	md, parents := l.messageMeta(t), []string{l.graphRunID()}
	for _, m := range models {
		l.emitEvent("on_chat_model_end", m.name, m.runID, nodeTags(t), md,
			map[string]any{"output": m.acc, "input": map[string]any{"messages": [][]Message{inputMessages(t)}}},
			append(slices.Clone(parents), runID))
	}
	if t.err != nil || t.interrupted {
		// astream_events reports no end for a failed or interrupted node.
		return
	}
	out := t.update(l.g)
	l.emitEvent("on_chain_stream", t.name, runID, nodeTags(t), md, map[string]any{"chunk": out}, parents)
	l.emitEvent("on_chain_end", t.name, runID, nodeTags(t), md, map[string]any{"input": t.input, "output": out}, parents)
}

// emitModelChunk reports a chunk a node streams: the first of a message
// starts a chat model run.
func (l *loop) emitModelChunk(t *task, chunk Message) {
	if !l.eventsOn() {
		return
	}
	t.mu.Lock()
	runID := t.eventsRunID
	var m *modelRun
	for _, r := range t.modelRuns {
		if r.acc.ID == chunk.ID {
			m = r
		}
	}
	started := m == nil
	if started {
		name, _ := chunk.ResponseMetadata["model_name"].(string)
		if name == "" {
			name = "ChatModel"
		}
		m = &modelRun{runID: uuid.NewString(), name: name, acc: chunk}
		t.modelRuns = append(t.modelRuns, m)
	} else if a, ok := m.acc.Content.(string); ok {
		if b, ok := chunk.Content.(string); ok {
			m.acc.Content = a + b
		}
	}
	t.mu.Unlock()
	md := l.messageMeta(t)
	parents := []string{l.graphRunID()}
	if runID != "" {
		parents = append(parents, runID)
	}
	if started {
		l.emitEvent("on_chat_model_start", m.name, m.runID, nodeTags(t), md,
			map[string]any{"input": map[string]any{"messages": [][]Message{inputMessages(t)}}}, parents)
	}
	l.emitEvent("on_chat_model_stream", m.name, m.runID, nodeTags(t), md, map[string]any{"chunk": chunk}, parents)
}

// inputMessages are the messages in the task's input state (the model's
// prompt as far as the runtime can tell).
func inputMessages(t *task) []Message {
	for _, v := range t.input {
		if ms, ok := v.([]Message); ok {
			return ms
		}
	}
	return []Message{}
}
