package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/storage"
)

// runCreateBody is RunCreateStateful / RunCreateStateless (§4.6).
type runCreateBody struct {
	AssistantID       string          `json:"assistant_id"`
	Input             any             `json:"input"`
	Command           *commandBody    `json:"command"`
	Metadata          map[string]any  `json:"metadata"`
	Config            map[string]any  `json:"config"`
	Context           map[string]any  `json:"context"`
	CheckpointID      string          `json:"checkpoint_id"`
	Checkpoint        *checkpointBody `json:"checkpoint"`
	InterruptBefore   json.RawMessage `json:"interrupt_before"`
	InterruptAfter    json.RawMessage `json:"interrupt_after"`
	StreamMode        json.RawMessage `json:"stream_mode"`
	StreamSubgraphs   bool            `json:"stream_subgraphs"`
	StreamResumable   bool            `json:"stream_resumable"`
	FeedbackKeys      []string        `json:"feedback_keys"`
	Webhook           string          `json:"webhook"`
	MultitaskStrategy string          `json:"multitask_strategy"`
	IfNotExists       string          `json:"if_not_exists"`
	OnCompletion      string          `json:"on_completion"`
	OnDisconnect      string          `json:"on_disconnect"`
	AfterSeconds      float64         `json:"after_seconds"`
	Durability        string          `json:"durability"`
	CheckpointDuring  *bool           `json:"checkpoint_during"`
}

type commandBody struct {
	Update json.RawMessage `json:"update"`
	Resume any             `json:"resume"`
	Goto   any             `json:"goto"`
}

type checkpointBody struct {
	CheckpointID string `json:"checkpoint_id"`
}

// toGraph converts the wire command; update may be an object or a list of
// [key, value] pairs.
func (c *commandBody) toGraph() (*graph.Command, error) {
	if c == nil {
		return nil, nil
	}
	out := &graph.Command{Resume: c.Resume, Goto: c.Goto}
	if len(c.Update) > 0 && string(c.Update) != "null" {
		var m map[string]any
		if err := json.Unmarshal(c.Update, &m); err != nil {
			var pairs [][2]any
			if err := json.Unmarshal(c.Update, &pairs); err != nil {
				return nil, invalid("Invalid value for 'command.update': must be an object or a list of [key, value] pairs")
			}
			m = map[string]any{}
			for _, p := range pairs {
				k, ok := p[0].(string)
				if !ok {
					return nil, invalid("Invalid value for 'command.update': keys must be strings")
				}
				m[k] = p[1]
			}
		}
		out.Update = m
	}
	return out, nil
}

// nodeList reads "*" or a list of node names (nil when absent).
func nodeList(field string, raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, invalid(fmt.Sprintf("Invalid value for '%s': must be \"*\" or a list of node names", field))
	}
	return list, nil
}

var streamModes = []string{"values", "messages", "messages-tuple", "updates", "events", "debug", "custom", "tasks", "checkpoints", "tools"}

// streamModeList reads a mode or a list of modes; the default is values.
func streamModeList(raw json.RawMessage) ([]string, error) {
	var list []string
	if len(raw) > 0 && string(raw) != "null" {
		var one string
		if json.Unmarshal(raw, &one) == nil {
			list = []string{one}
		} else if err := json.Unmarshal(raw, &list); err != nil {
			return nil, invalid("Invalid value for 'stream_mode': must be a stream mode or a list of them")
		}
	}
	for _, m := range list {
		if err := oneOf("stream_mode", m, streamModes...); err != nil {
			return nil, err
		}
	}
	if len(list) == 0 {
		list = []string{"values"}
	}
	return list, nil
}

// runKind says what a create route answers.
type runKind int

const (
	runCreate runKind = iota
	runStream
	runWait
)

// prepared is a validated run creation, authorized and ready to insert.
type prepared struct {
	create             storage.RunCreate
	scope              storage.Scope
	threadID           string
	stateless          bool
	cancelOnDisconnect bool
}

// parsedRun is a validated run creation body.
type parsedRun struct {
	assistantID   string
	cmd           *graph.Command
	before, after []string
	modes         []string
	durability    string
	checkpointID  string
}

// parse validates b (422, or 400 where the Python server says so).
// checkWebhook validates a webhook ("" is none): absolute, or relative
// ("/path", delivered in-process) when the server has custom routes.
func checkWebhook(raw string, local bool) error {
	check := runs.CheckWebhookURL
	if local && runs.LocalWebhook(raw) {
		check = runs.CheckLocalWebhook
	}
	if raw == "" {
		return nil
	}
	if err := check(raw); err != nil {
		return httpErr(http.StatusBadRequest, err.Error())
	}
	return nil
}

func (s *Server) parse(b *runCreateBody, stateless bool) (p parsedRun, err error) {
	if b.AssistantID == "" {
		return p, invalid("Invalid value for 'assistant_id': required")
	}
	if p.assistantID, err = s.assistantID(b.AssistantID); err != nil {
		// The Python server's status with the JS server's text, which
		// the JS SDK's users match on.
		return p, invalid(fmt.Sprintf("No assistant found for %q. Make sure the assistant ID is for a valid assistant or a valid graph ID.", b.AssistantID))
	}
	if p.cmd, err = b.Command.toGraph(); err != nil {
		return p, err
	}
	if stateless && p.cmd != nil && p.cmd.Resume != nil {
		return p, httpErr(http.StatusBadRequest, "You must provide a thread_id when resuming.")
	}
	if p.before, err = nodeList("interrupt_before", b.InterruptBefore); err != nil {
		return p, err
	}
	if p.after, err = nodeList("interrupt_after", b.InterruptAfter); err != nil {
		return p, err
	}
	if p.modes, err = streamModeList(b.StreamMode); err != nil {
		return p, err
	}
	for _, c := range []struct {
		field, v string
		allowed  []string
	}{
		{"multitask_strategy", b.MultitaskStrategy, []string{storage.MultitaskReject, storage.MultitaskEnqueue, storage.MultitaskInterrupt, storage.MultitaskRollback}},
		{"if_not_exists", b.IfNotExists, []string{"reject", "create"}},
		{"on_completion", b.OnCompletion, []string{"delete", "keep"}},
		{"on_disconnect", b.OnDisconnect, []string{"cancel", "continue"}},
		{"durability", b.Durability, []string{"sync", "async", "exit"}},
	} {
		if err := oneOf(c.field, c.v, c.allowed...); err != nil {
			return p, err
		}
	}
	if err := checkWebhook(b.Webhook, s.opts.App != nil); err != nil {
		return p, err
	}
	if b.AfterSeconds < 0 {
		return p, invalid("Invalid value for 'after_seconds': must not be negative")
	}
	if conf, _ := b.Config["configurable"].(map[string]any); len(conf) > 0 && len(b.Context) > 0 {
		return p, httpErr(http.StatusBadRequest, "Cannot specify both configurable and context. Prefer setting context alone. Context was introduced in LangGraph 0.6.0 and is the long term planned replacement for configurable.")
	}
	p.durability = b.Durability
	if p.durability == "" && b.CheckpointDuring != nil && !*b.CheckpointDuring {
		p.durability = "exit"
	}
	p.checkpointID = b.CheckpointID
	if b.Checkpoint != nil && b.Checkpoint.CheckpointID != "" {
		p.checkpointID = b.Checkpoint.CheckpointID
	}
	return p, nil
}

// prepareRun validates b, authorizes threads:create_run (with the caller's
// identity already stamped into the config, so the handler sees it) and
// builds the run. threadID is "" for a stateless run.
func (s *Server) prepareRun(r *http.Request, threadID string, b *runCreateBody) (*prepared, error) {
	stateless := threadID == ""
	p, err := s.parse(b, stateless)
	if err != nil {
		return nil, err
	}
	assistantID, checkpointID := p.assistantID, p.checkpointID
	ifNotExists := b.IfNotExists
	temporary := false
	if stateless {
		threadID = newUUID()
		ifNotExists = "create"
		temporary = b.OnCompletion != "keep"
		checkpointID = ""
	}
	runID := newRunID()

	// The caller's identity and allowed headers go into the config before
	// the handler sees it.
	pre := runs.MergeConfig(r.Context(), runs.ConfigInput{Assistant: storage.Assistant{AssistantID: assistantID,
		GraphID: s.eng.SystemGraph(assistantID)}, Config: b.Config, Context: b.Context,
		Headers: s.ConfigurableHeaders(r), RunID: runID, ThreadID: threadID})
	kw := runs.Kwargs{Input: b.Input, Command: p.cmd, Config: pre.Config, Context: b.Context, StreamMode: p.modes,
		InterruptBefore: p.before, InterruptAfter: p.after, Webhook: b.Webhook, FeedbackKeys: b.FeedbackKeys,
		Temporary: temporary, Subgraphs: b.StreamSubgraphs, Resumable: b.StreamResumable, Durability: p.durability}
	if s.tracer != nil {
		kw.Traceparent = runs.Traceparent(r.Context())
	}
	kwMap, err := kw.Map()
	if err != nil {
		return nil, err
	}
	strategy := b.MultitaskStrategy
	if strategy == "" {
		strategy = storage.MultitaskEnqueue
	}
	v := &auth.RunsCreate{AssistantID: assistantID, RunID: runID, Status: storage.RunPending,
		Metadata: orEmpty(b.Metadata), PreventInsertIfInflight: strategy == storage.MultitaskReject,
		MultitaskStrategy: strategy, IfNotExists: orDefault(ifNotExists, "reject"), AfterSeconds: b.AfterSeconds, Kwargs: kwMap}
	if !stateless {
		v.ThreadID = threadID
	}
	scope, err := s.authorize(r, v)
	if err != nil {
		return nil, err
	}
	if err := applyKwargs(v.Kwargs, &kw, b); err != nil {
		return nil, err
	}
	a, err := s.runAssistant(r, assistantID)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, notFoundBy(err, "Thread or assistant not found.")
		}
		return nil, err
	}
	if _, ok := s.graphs[a.GraphID]; !ok {
		return nil, notFound(fmt.Sprintf("Graph '%s' not found", a.GraphID))
	}
	var thread *storage.Thread
	if !stateless {
		t, err := s.store.Threads().Get(r.Context(), scope, threadID)
		switch {
		case err == nil:
			thread = &t
		case errors.Is(err, storage.ErrNotFound) && ifNotExists == "create":
		case errors.Is(err, storage.ErrNotFound):
			return nil, notFoundBy(err, "Thread or assistant not found.")
		default:
			return nil, err
		}
	}
	md := orEmpty(v.Metadata)
	merged := runs.MergeConfig(r.Context(), runs.ConfigInput{Assistant: a, Thread: thread, Config: b.Config,
		Context: b.Context, Metadata: md, Headers: s.ConfigurableHeaders(r), RunID: runID, ThreadID: threadID,
		CheckpointID: checkpointID})
	kw.Config, kw.Context = merged.Config, merged.Context
	if kwMap, err = kw.Map(); err != nil {
		return nil, err
	}
	runMD := cloneMap(md)
	if _, ok := runMD["assistant_id"]; !ok {
		runMD["assistant_id"] = assistantID
	}
	return &prepared{scope: scope, threadID: threadID, stateless: stateless,
		cancelOnDisconnect: b.OnDisconnect == "cancel",
		create: storage.RunCreate{RunID: runID, ThreadID: threadID, AssistantID: assistantID, GraphID: a.GraphID,
			Metadata: runMD, Kwargs: kwMap, MultitaskStrategy: strategy, IfNotExists: ifNotExists,
			ThreadMetadata: md, ThreadConfig: runs.ThreadConfig(merged),
			Delay: time.Duration(b.AfterSeconds * float64(time.Second))}}, nil
}

// applyKwargs applies what the threads:create_run handler changed in the
// run's kwargs (runs.Kwargs.Apply); the config is merged again afterwards.
func applyKwargs(m map[string]any, kw *runs.Kwargs, b *runCreateBody) error {
	changed, err := kw.Apply(m)
	if err == nil {
		for _, mode := range changed.StreamMode {
			if !slices.Contains(streamModes, mode) {
				err = fmt.Errorf("the threads:create_run handler set an unknown stream mode %q", mode)
			}
		}
	}
	if err != nil {
		return &HTTPError{Status: http.StatusInternalServerError, Cause: err}
	}
	*kw = changed
	b.Input, b.Config, b.Context = changed.Input, changed.Config, changed.Context
	return nil
}

// onDrop is the scope that cancels the run when its creator's stream or
// wait disconnects (on_disconnect=cancel): the create_run scope, which may
// cancel runs of the thread (its multitask strategies do).
func (p *prepared) onDrop() *storage.Scope {
	if !p.cancelOnDisconnect {
		return nil
	}
	return &p.scope
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// insert creates the prepared run.
func (s *Server) insert(r *http.Request, p *prepared) (storage.Run, error) {
	out, err := s.runs.Create(r.Context(), p.scope, p.create)
	if err != nil {
		if bareNotFound(err) || errors.Is(err, storage.ErrNotFound) {
			return storage.Run{}, notFoundBy(err, "Thread or assistant not found.")
		}
		return storage.Run{}, err
	}
	return out.Run, nil
}

func runLocation(threadID, runID string) string {
	return "/threads/" + threadID + "/runs/" + runID
}

// createRunHandler serves the create routes: stateful when the pattern has
// {thread_id}, stateless otherwise.
func createRunHandler(kind runKind) HandlerFunc {
	return func(s *Server, w http.ResponseWriter, r *http.Request) error {
		threadID := ""
		if v := r.PathValue("thread_id"); v != "" {
			id, err := threadIDParam(v)
			if err != nil {
				return err
			}
			threadID = id
		}
		var b runCreateBody
		if err := decodeBody(r, &b); err != nil {
			return err
		}
		p, err := s.prepareRun(r, threadID, &b)
		if err != nil {
			return err
		}
		if kind == runStream {
			return s.createAndStream(w, r, p)
		}
		var h *runs.Handoff
		if kind == runWait {
			h = s.runs.Expect(p.create.RunID)
			defer s.runs.Forget(h)
		}
		run, err := s.insert(r, p)
		if err != nil {
			return err
		}
		loc := s.at(runLocation(run.ThreadID, run.RunID))
		w.Header().Set("Content-Location", loc)
		if kind == runCreate {
			return writeJSON(w, runs.Redacted(run))
		}
		w.Header().Set("Location", loc+"/join")
		return s.waitResult(w, r, p.scope, run, p.onDrop(), h)
	}
}

// batchRuns creates stateless runs.
func (s *Server) batchRuns(w http.ResponseWriter, r *http.Request) error {
	var bodies []runCreateBody
	if err := decodeBody(r, &bodies); err != nil {
		return err
	}
	if len(bodies) == 0 {
		return invalid("Invalid request body: expected a non-empty array of runs")
	}
	out := make([]storage.Run, 0, len(bodies))
	for i := range bodies {
		p, err := s.prepareRun(r, "", &bodies[i])
		if err != nil {
			return err
		}
		run, err := s.insert(r, p)
		if err != nil {
			return err
		}
		out = append(out, runs.Redacted(run))
	}
	return writeJSON(w, out)
}

// newRunID returns a time-ordered run id (UUID v7), as the Python server does.
func newRunID() string { return uuid.Must(uuid.NewV7()).String() }
