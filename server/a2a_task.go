package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/a2aproject/a2a-go/a2a"

	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/storage"
)

// a2aStart is a message's run, created as the caller.
type a2aStart struct {
	scope storage.Scope // threads:create_run
	run   storage.Run
	msg   *a2a.Message
	h     *runs.Handoff // the run's result in process, when it started here; Forget it
}

// start turns a message into a run on its context's thread: the text
// parts become a human message, or the answer to the thread's pending
// interrupt (input-required).
func (c *a2aCall) start(r *http.Request, p *a2a.MessageSendParams) (*a2aStart, error) {
	if p == nil || p.Message == nil {
		return nil, &rpcError{kind: a2a.ErrInvalidParams, detail: "params.message is required"}
	}
	text, err := messageText(p.Message)
	if err != nil {
		return nil, err
	}
	threadID, interrupted, err := c.thread(r, p.Message.ContextID)
	if err != nil {
		return nil, err
	}
	b := runCreateBody{AssistantID: c.a.AssistantID, Metadata: map[string]any{"a2a_message_id": p.Message.ID}}
	if interrupted {
		b.Command = &commandBody{Resume: text}
	} else {
		b.Input = map[string]any{"messages": []any{map[string]any{"role": "human", "content": text}}}
	}
	prep, err := c.s.prepareRun(r, threadID, &b)
	if err != nil {
		return nil, err
	}
	h := c.s.runs.Expect(prep.create.RunID)
	run, err := c.s.insert(r, prep)
	if err != nil {
		c.s.runs.Forget(h)
		return nil, err
	}
	msg := *p.Message
	msg.TaskID, msg.ContextID = a2a.TaskID(run.RunID), run.ThreadID
	return &a2aStart{scope: prep.scope, run: run, msg: &msg, h: h}, nil
}

// thread finds the thread contextID names (threads:read) or creates it
// (threads:create); no contextID is a new thread. A thread the caller
// cannot see is "not found", whether it exists or not.
func (c *a2aCall) thread(r *http.Request, contextID string) (id string, interrupted bool, err error) {
	if contextID != "" {
		var ok bool
		if id, ok = canonicalUUID(contextID); !ok {
			return "", false, &rpcError{kind: a2a.ErrInvalidParams, detail: "contextId must be a UUID (it names a thread)"}
		}
		t, err := c.s.readThread(r, id)
		if err == nil {
			return id, t.Status == storage.StatusInterrupted, nil
		}
		if status, _, _, _ := errorResponse(err); status != http.StatusNotFound {
			return "", false, err
		}
	}
	t, err := c.s.newThread(r, threadCreateBody{ThreadID: id, GraphID: c.a.GraphID})
	if err != nil {
		if status, _, _, _ := errorResponse(err); status == http.StatusConflict {
			// Another user's thread: said like a missing one.
			return "", false, &rpcError{kind: a2a.ErrInvalidParams, detail: fmt.Sprintf("Context %s not found", contextID)}
		}
		return "", false, err
	}
	return t.ThreadID, false, nil
}

// messageText joins the text parts of m; other parts are refused.
func messageText(m *a2a.Message) (string, error) {
	var texts []string
	for _, p := range m.Parts {
		tp, ok := p.(a2a.TextPart)
		if !ok {
			return "", &rpcError{kind: a2a.ErrUnsupportedContentType, detail: "only text parts are supported"}
		}
		texts = append(texts, tp.Text)
	}
	if len(texts) == 0 {
		return "", &rpcError{kind: a2a.ErrInvalidParams, detail: "the message has no text part"}
	}
	return strings.Join(texts, "\n"), nil
}

// submitted is the task of a run just created.
func (st *a2aStart) submitted() *a2a.Task {
	return taskOf(st.run, nil, st.msg)
}

// ended is the task of a run that ended with result (its wait body); the
// run is read again for its final status.
func (c *a2aCall) ended(r *http.Request, st *a2aStart, result []byte) *a2a.Task {
	run := st.run
	if cur, err := c.s.store.Runs().Get(r.Context(), st.scope, run.ThreadID, run.RunID); err == nil {
		run = cur
	} else {
		run.Status = storage.RunSuccess // unreadable (deleted meanwhile): the result decides
	}
	return taskOf(run, result, st.msg)
}

// taskOf is the A2A task of run: its state from the run's status and, once
// it ended, from result (a wait body: values, "__error__" or
// "__interrupt__"); the reply is the last AI message's text.
func taskOf(run storage.Run, result []byte, sent *a2a.Message) *a2a.Task {
	t := &a2a.Task{ID: a2a.TaskID(run.RunID), ContextID: run.ThreadID}
	if sent != nil {
		t.History = []*a2a.Message{sent}
	}
	ts := run.UpdatedAt
	if ts.IsZero() {
		ts = time.Now()
	}
	t.Status.Timestamp = &ts
	var body map[string]any
	_ = json.Unmarshal(result, &body)
	agent := func(text string) *a2a.Message {
		return a2a.NewMessageForTask(a2a.MessageRoleAgent, t, a2a.TextPart{Text: text})
	}
	switch {
	case run.Status == storage.RunPending:
		t.Status.State = a2a.TaskStateSubmitted
	case run.Status == storage.RunRunning:
		t.Status.State = a2a.TaskStateWorking
	case run.Status == storage.RunInterrupted:
		t.Status.State = a2a.TaskStateCanceled
	case body[runs.ErrorKey] != nil || run.Status == storage.RunError || run.Status == storage.RunTimeout:
		t.Status.State = a2a.TaskStateFailed
		t.Status.Message = agent(errorText(body[runs.ErrorKey], run.Status))
	case body[runs.InterruptKey] != nil:
		t.Status.State = a2a.TaskStateInputRequired
		t.Status.Message = agent(interruptText(body[runs.InterruptKey]))
	default:
		t.Status.State = a2a.TaskStateCompleted
		if text := lastAIText(body["messages"]); text != "" {
			t.Artifacts = []*a2a.Artifact{{ID: a2a.ArtifactID(run.RunID), Name: "Assistant Response",
				Parts: a2a.ContentParts{a2a.TextPart{Text: text}}}}
		}
	}
	return t
}

// lastAIText is the text of the last AI message with text in a state's
// messages.
func lastAIText(v any) string {
	list, _ := v.([]any)
	for i := len(list) - 1; i >= 0; i-- {
		m, _ := list[i].(map[string]any)
		typ, _ := m["type"].(string)
		role, _ := m["role"].(string)
		if typ != "ai" && typ != "AIMessageChunk" && role != "assistant" && role != "ai" {
			continue
		}
		if text := contentText(m["content"]); text != "" {
			return text
		}
	}
	return ""
}

// contentText is a message content's text: a string, or the text blocks
// of a list.
func contentText(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case []any:
		var b strings.Builder
		for _, blk := range c {
			switch x := blk.(type) {
			case string:
				b.WriteString(x)
			case map[string]any:
				if t, _ := x["type"].(string); t == "text" {
					s, _ := x["text"].(string)
					b.WriteString(s)
				}
			}
		}
		return b.String()
	}
	return ""
}

// interruptText says what the graph asks: the string values of its
// interrupts, else their JSON.
func interruptText(v any) string {
	list, _ := v.([]any)
	var out []string
	for _, it := range list {
		m, _ := it.(map[string]any)
		if s, ok := m["value"].(string); ok {
			out = append(out, s)
			continue
		}
		b, err := json.Marshal(m["value"])
		if err == nil {
			out = append(out, string(b))
		}
	}
	if len(out) == 0 {
		return "The agent needs more input."
	}
	return strings.Join(out, "\n")
}

// errorText is "Name: message" of a run's error body.
func errorText(v any, status string) string {
	m, _ := v.(map[string]any)
	name, _ := m["error"].(string)
	msg, _ := m["message"].(string)
	switch {
	case name != "" && msg != "":
		return name + ": " + msg
	case msg != "":
		return msg
	case status == storage.RunTimeout:
		return "The run timed out."
	}
	return "The run failed."
}
