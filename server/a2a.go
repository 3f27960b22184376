package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/a2aproject/a2a-go/a2a"
	"github.com/a2aproject/a2a-go/a2asrv"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// A2A (Agent2Agent protocol 0.3, JSON-RPC transport) on top of the runs
// API: a message is a run of the assistant on the thread its contextId
// names, and the task id is the run id. a2a-go's JSON-RPC handler parses
// and answers each request; it drives an a2aCall bound to the caller's
// request, so every step is authorized as the plain API authorizes it.

// a2aProtocolVersion is the A2A version of a2a-go v0.3.x and of the
// agent card.
const a2aProtocolVersion = "0.3.0"

// agentCardPattern is the well-known path of agent cards (A2A 0.3).
const agentCardPattern = "/.well-known/agent-card.json"

// a2aRoutes are the A2A endpoints (langgraph.json http.disable_a2a).
func a2aRoutes() []Route {
	const A, T = "assistants", "threads"
	return []Route{
		{Method: "POST", Pattern: "/a2a/{assistant_id}", Resource: A, Action: "read", Then: []RouteEvent{
			{T, "read", "tasks/get, or a message whose contextId is set"},
			{T, "create", "a message without contextId, or whose thread does not exist"},
			{T, "create_run", "message/send or message/stream"},
			{A, "read", "message/send or message/stream, and the assistant is not a graph's system assistant"},
		}, Protected: true, Handler: (*Server).handleA2A,
			Summary: "A2A JSON-RPC: message/send, message/stream (SSE), tasks/get", Body: "A2ARequest", Response: "A2AResponse"},
		{Method: "GET", Pattern: agentCardPattern, Resource: A, Action: "read", Protected: true, Handler: (*Server).agentCard,
			Summary: "A2A agent card of an assistant", Response: "AgentCard", Query: []string{"assistant_id"}},
	}
}

// a2aAssistant authorizes assistants:read and reads the assistant; A2A
// needs its graph to keep a "messages" state key.
func (s *Server) a2aAssistant(r *http.Request, raw string) (storage.Assistant, error) {
	id, err := s.assistantID(raw)
	if err != nil {
		return storage.Assistant{}, err
	}
	scope, err := s.authorize(r, &auth.AssistantsRead{AssistantID: id})
	if err != nil {
		return storage.Assistant{}, err
	}
	a, err := s.store.Assistants().Get(r.Context(), scope, id)
	if err != nil {
		return storage.Assistant{}, assistantErr(err, id)
	}
	g := s.graphs[a.GraphID]
	if g == nil {
		return storage.Assistant{}, notFound(fmt.Sprintf("Graph '%s' not found", a.GraphID))
	}
	if !slices.Contains(g.Channels(), "messages") {
		return storage.Assistant{}, &rpcError{kind: a2a.ErrUnsupportedOperation,
			detail: fmt.Sprintf("A2A needs a 'messages' state key; graph '%s' has none", a.GraphID)}
	}
	return a, nil
}

// agentCard is GET /.well-known/agent-card.json?assistant_id=...
func (s *Server) agentCard(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("assistant_id")
	if id == "" {
		return invalid("Invalid value for 'assistant_id': required")
	}
	a, err := s.a2aAssistant(r, id)
	var re *rpcError
	if errors.As(err, &re) {
		return invalid(re.detail)
	}
	if err != nil {
		return err
	}
	desc := deref(a.Description)
	if desc == "" {
		desc = fmt.Sprintf("Assistant %s (graph %s)", a.Name, a.GraphID)
	}
	text := []string{"text/plain"}
	return writeJSON(w, a2a.AgentCard{
		Name: a.Name, Description: desc, URL: requestBase(r) + s.at("/a2a/"+a.AssistantID),
		Version: strconv.Itoa(a.Version), ProtocolVersion: a2aProtocolVersion,
		PreferredTransport: a2a.TransportProtocolJSONRPC,
		Capabilities:       a2a.AgentCapabilities{Streaming: true},
		DefaultInputModes:  text, DefaultOutputModes: text,
		Skills: []a2a.AgentSkill{{ID: a.GraphID + "-main", Name: a.Name, Description: desc,
			Tags: []string{"assistant", a.GraphID}, InputModes: text, OutputModes: text}},
	})
}

// requestBase is the scheme and host the client used (X-Forwarded-Proto
// and -Host behind a proxy).
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = h
	}
	return scheme + "://" + host
}

// handleA2A is POST /a2a/{assistant_id}. Errors after authentication are
// JSON-RPC errors (HTTP 200), never data.
func (s *Server) handleA2A(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	if err := checkJSONDepth(body); err != nil {
		return err // 422, like every route (as 413 for size)
	}
	w.Header().Set("Content-Type", "application/json")
	c := &a2aCall{s: s, w: w, r: r}
	if c.a, err = s.a2aAssistant(r, r.PathValue("assistant_id")); err != nil {
		c.err = c.toRPC(err, a2a.ErrInvalidParams)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	a2asrv.NewJSONRPCHandler(c).ServeHTTP(w, r)
	return nil
}

// a2aCall serves one A2A request as its caller (a2asrv.RequestHandler).
type a2aCall struct {
	s   *Server
	w   http.ResponseWriter
	r   *http.Request
	a   storage.Assistant
	err error // the assistant could not be used: every method answers it
}

// req is the caller's request with the handler's context.
func (c *a2aCall) req(ctx context.Context) *http.Request {
	if ctx == c.r.Context() {
		return c.r
	}
	return c.r.WithContext(ctx)
}

// rpcError is an error of a JSON-RPC response: kind (an a2a error) picks
// the code, detail goes to data.error.
type rpcError struct {
	kind   error
	detail string
}

func (e *rpcError) Error() string { return e.detail }
func (e *rpcError) Unwrap() error { return e.kind }

// toRPC maps an error of the plain API to an A2A error by the status the
// plain API would answer: missing is the kind for 404. Internal causes
// are logged, never shown.
func (c *a2aCall) toRPC(err error, missing error) error {
	var re *rpcError
	if errors.As(err, &re) {
		return re
	}
	if errors.Is(err, errRunGone) {
		return &rpcError{kind: a2a.ErrTaskNotFound, detail: "The task's run was deleted"}
	}
	status, detail, _, internal := errorResponse(err)
	if internal {
		c.s.log.ErrorContext(c.r.Context(), "A2A request failed", "path", c.r.URL.Path, "status", status, "error", err)
	}
	kind := a2a.ErrServerError // 401, 403, 409, 503: refused, see data
	switch {
	case status == http.StatusNotFound:
		kind = missing
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity || status == http.StatusRequestEntityTooLarge:
		kind = a2a.ErrInvalidParams
	case status >= 500 && status != http.StatusServiceUnavailable:
		kind = a2a.ErrInternalError
	}
	return &rpcError{kind: kind, detail: detail}
}

// keepAlive writes JSON whitespace while message/send waits, so proxies
// keep the connection; the response's status is then 200 (as it is for
// JSON-RPC errors).
func (c *a2aCall) keepAlive() error {
	_ = http.NewResponseController(c.w).SetWriteDeadline(time.Now().Add(3 * c.s.beat))
	if _, err := c.w.Write([]byte("\n")); err != nil {
		return err
	}
	if err := http.NewResponseController(c.w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// OnSendMessage is message/send: the run's task once it ended (at once
// with configuration.blocking false).
func (c *a2aCall) OnSendMessage(ctx context.Context, p *a2a.MessageSendParams) (a2a.SendMessageResult, error) {
	if c.err != nil {
		return nil, c.err
	}
	r := c.req(ctx)
	st, err := c.start(r, p)
	if err != nil {
		return nil, c.toRPC(err, a2a.ErrInvalidParams)
	}
	defer c.s.runs.Forget(st.h)
	if p.Config != nil && p.Config.Blocking != nil && !*p.Config.Blocking {
		return st.submitted(), nil
	}
	result, err := c.s.runResult(ctx, r, st.scope, st.run, st.h, c.keepAlive)
	if err != nil {
		return nil, c.toRPC(err, a2a.ErrTaskNotFound)
	}
	return c.ended(r, st, result), nil
}

// OnSendMessageStream is message/stream: the submitted task, working,
// the reply as an artifact, then the final status.
func (c *a2aCall) OnSendMessageStream(ctx context.Context, p *a2a.MessageSendParams) iter.Seq2[a2a.Event, error] {
	return func(yield func(a2a.Event, error) bool) {
		if c.err != nil {
			yield(nil, c.err)
			return
		}
		r := c.req(ctx)
		st, err := c.start(r, p)
		if err != nil {
			yield(nil, c.toRPC(err, a2a.ErrInvalidParams))
			return
		}
		defer c.s.runs.Forget(st.h)
		task := st.submitted()
		if !yield(task, nil) || !yield(a2a.NewStatusUpdateEvent(task, a2a.TaskStateWorking, nil), nil) {
			return
		}
		result, err := c.s.runResult(ctx, r, st.scope, st.run, st.h, func() error { return nil })
		if err != nil {
			yield(nil, c.toRPC(err, a2a.ErrTaskNotFound))
			return
		}
		end := c.ended(r, st, result)
		for _, art := range end.Artifacts {
			if !yield(&a2a.TaskArtifactUpdateEvent{TaskID: end.ID, ContextID: end.ContextID, Artifact: art, LastChunk: true}, nil) {
				return
			}
		}
		yield(&a2a.TaskStatusUpdateEvent{TaskID: end.ID, ContextID: end.ContextID, Status: end.Status, Final: true}, nil)
	}
}

// OnGetTask is tasks/get: the run (threads:read, as the caller), with the
// reply taken from its thread's state once it ended.
func (c *a2aCall) OnGetTask(ctx context.Context, q *a2a.TaskQueryParams) (*a2a.Task, error) {
	if c.err != nil {
		return nil, c.err
	}
	r := c.req(ctx)
	id, ok := canonicalUUID(string(q.ID))
	if !ok {
		return nil, &rpcError{kind: a2a.ErrTaskNotFound, detail: fmt.Sprintf("Task %s not found", q.ID)}
	}
	threadID := ""
	if ctxID, _ := q.Metadata["contextId"].(string); ctxID != "" {
		if threadID, ok = canonicalUUID(ctxID); !ok {
			return nil, &rpcError{kind: a2a.ErrInvalidParams, detail: "contextId must be a UUID (it names a thread)"}
		}
	}
	sc, run, err := c.s.lookupRun(r, threadID, id)
	if err != nil {
		return nil, c.toRPC(err, a2a.ErrTaskNotFound)
	}
	if run.AssistantID != c.a.AssistantID {
		return nil, &rpcError{kind: a2a.ErrTaskNotFound, detail: fmt.Sprintf("Task %s not found", q.ID)}
	}
	var result []byte
	if terminal(run.Status) {
		result = c.s.fallbackResult(r, sc, run)
	}
	return taskOf(run, result, nil), nil
}

// The methods below are not offered (the agent card says so).

func (c *a2aCall) OnCancelTask(context.Context, *a2a.TaskIDParams) (*a2a.Task, error) {
	return nil, c.unsupported(a2a.ErrUnsupportedOperation)
}

func (c *a2aCall) OnResubscribeToTask(context.Context, *a2a.TaskIDParams) iter.Seq2[a2a.Event, error] {
	return func(yield func(a2a.Event, error) bool) { yield(nil, c.unsupported(a2a.ErrUnsupportedOperation)) }
}

func (c *a2aCall) OnGetTaskPushConfig(context.Context, *a2a.GetTaskPushConfigParams) (*a2a.TaskPushConfig, error) {
	return nil, c.unsupported(a2a.ErrPushNotificationNotSupported)
}

func (c *a2aCall) OnListTaskPushConfig(context.Context, *a2a.ListTaskPushConfigParams) ([]*a2a.TaskPushConfig, error) {
	return nil, c.unsupported(a2a.ErrPushNotificationNotSupported)
}

func (c *a2aCall) OnSetTaskPushConfig(context.Context, *a2a.TaskPushConfig) (*a2a.TaskPushConfig, error) {
	return nil, c.unsupported(a2a.ErrPushNotificationNotSupported)
}

func (c *a2aCall) OnDeleteTaskPushConfig(context.Context, *a2a.DeleteTaskPushConfigParams) error {
	return c.unsupported(a2a.ErrPushNotificationNotSupported)
}

func (c *a2aCall) OnGetExtendedAgentCard(context.Context) (*a2a.AgentCard, error) {
	return nil, c.unsupported(a2a.ErrAuthenticatedExtendedCardNotConfigured)
}

// unsupported answers an unsupported method, or the assistant's error.
func (c *a2aCall) unsupported(kind error) error {
	if c.err != nil {
		return c.err
	}
	return kind
}
