package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/runs/cron"
	"github.com/agentgate/agentgate/storage"
)

// cronRunFields are the run fields of CronCreate and CronPatch: what each
// tick's run is made of (cron.Payload).
type cronRunFields struct {
	Input             any             `json:"input"`
	Metadata          map[string]any  `json:"metadata"`
	Config            map[string]any  `json:"config"`
	Context           map[string]any  `json:"context"`
	Webhook           string          `json:"webhook"`
	InterruptBefore   json.RawMessage `json:"interrupt_before"`
	InterruptAfter    json.RawMessage `json:"interrupt_after"`
	StreamMode        json.RawMessage `json:"stream_mode"`
	StreamSubgraphs   bool            `json:"stream_subgraphs"`
	StreamResumable   bool            `json:"stream_resumable"`
	Durability        string          `json:"durability"`
	MultitaskStrategy string          `json:"multitask_strategy"`
	CheckpointDuring  *bool           `json:"checkpoint_during"`
}

// payload validates the fields and builds the stored payload; localHooks
// accepts relative webhooks (the server has custom routes).
func (f *cronRunFields) payload(stateless, localHooks bool) (cron.Payload, error) {
	var p cron.Payload
	before, err := nodeList("interrupt_before", f.InterruptBefore)
	if err != nil {
		return p, err
	}
	after, err := nodeList("interrupt_after", f.InterruptAfter)
	if err != nil {
		return p, err
	}
	modes, err := streamModeList(f.StreamMode)
	if err != nil {
		return p, err
	}
	if err := oneOf("durability", f.Durability, "sync", "async", "exit"); err != nil {
		return p, err
	}
	if err := oneOf("multitask_strategy", f.MultitaskStrategy, storage.MultitaskReject, storage.MultitaskEnqueue,
		storage.MultitaskInterrupt, storage.MultitaskRollback); err != nil {
		return p, err
	}
	strategy := f.MultitaskStrategy
	if stateless {
		strategy = "" // each run has a thread of its own (the SDKs send it anyway)
	}
	durability := f.Durability
	if durability == "" && f.CheckpointDuring != nil && !*f.CheckpointDuring {
		durability = "exit"
	}
	if conf, _ := f.Config["configurable"].(map[string]any); len(conf) > 0 && len(f.Context) > 0 {
		return p, httpErr(http.StatusBadRequest, "Cannot specify both configurable and context. Prefer setting context alone.")
	}
	if err := checkWebhook(f.Webhook, localHooks); err != nil {
		return p, err
	}
	return cron.Payload{Input: f.Input, Metadata: f.Metadata, Config: f.Config, Context: f.Context,
		Webhook: f.Webhook, InterruptBefore: before, InterruptAfter: after, StreamMode: modes,
		StreamSubgraphs: f.StreamSubgraphs, StreamResumable: f.StreamResumable, Durability: durability,
		MultitaskStrategy: strategy}, nil
}

// cronCreateBody is CronCreate / ThreadCronCreate (§3.7).
type cronCreateBody struct {
	cronRunFields
	AssistantID    string     `json:"assistant_id"`
	Schedule       string     `json:"schedule"`
	Timezone       string     `json:"timezone"`
	EndTime        *time.Time `json:"end_time"`
	Enabled        *bool      `json:"enabled"`
	OnRunCompleted string     `json:"on_run_completed"`
}

func cronIDParam(v string) (string, error) {
	id, ok := canonicalUUID(v)
	if !ok {
		return "", invalid("Invalid cron ID: must be a UUID")
	}
	return id, nil
}

// schedule validates a schedule and its time zone and returns the next
// run date after now.
func nextRunDate(schedule, tz string) (time.Time, error) {
	next, err := cron.NextRun(schedule, tz, time.Now())
	if err != nil {
		return time.Time{}, invalid("Invalid value for 'schedule': " + err.Error())
	}
	return next, nil
}

// caller returns the authenticated caller's id and user (for graphs), or
// empty when requests are not authenticated.
func caller(r *http.Request) (string, map[string]any) {
	id, ok := auth.IdentityFrom(r.Context())
	if !ok || id.User == nil {
		return "", nil
	}
	return id.User.Identity, id.User.Map()
}

// createCron serves POST /runs/crons (stateless) and
// POST /threads/{thread_id}/runs/crons: crons:create, then assistants:read
// (system assistants exempt), then threads:create_run for the thread.
func (s *Server) createCron(w http.ResponseWriter, r *http.Request) error {
	threadID := ""
	if v := r.PathValue("thread_id"); v != "" {
		id, err := threadIDParam(v)
		if err != nil {
			return err
		}
		threadID = id
	}
	stateless := threadID == ""
	var b cronCreateBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if b.AssistantID == "" {
		return invalid("Invalid value for 'assistant_id': required")
	}
	assistantID, err := s.assistantID(b.AssistantID)
	if err != nil {
		return err
	}
	if b.Schedule == "" {
		return invalid("Invalid value for 'schedule': required")
	}
	next, err := nextRunDate(b.Schedule, b.Timezone)
	if err != nil {
		return err
	}
	if err := oneOf("on_run_completed", b.OnRunCompleted, storage.CronDeleteThread, storage.CronKeepThread); err != nil {
		return err
	}
	if !stateless && b.OnRunCompleted != "" {
		return invalid("Invalid value for 'on_run_completed': only stateless crons have one")
	}
	onDone := b.OnRunCompleted
	if stateless && onDone == "" {
		onDone = storage.CronDeleteThread
	}
	p, err := b.payload(stateless, s.opts.App != nil)
	if err != nil {
		return err
	}
	pm, err := p.Map()
	if err != nil {
		return err
	}
	userID, user := caller(r)
	v := &auth.CronsCreate{CronID: newUUID(), ThreadID: threadID, Payload: pm, Schedule: b.Schedule,
		UserID: userID, EndTime: b.EndTime, Metadata: orEmpty(b.Metadata)}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	// The handler may have changed the payload: read it back, validated.
	if p, err = cron.ParsePayload(v.Payload); err != nil {
		return invalid("Invalid cron payload: " + err.Error())
	}
	if pm, err = p.Map(); err != nil {
		return err
	}
	if _, err := s.runAssistant(r, assistantID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return notFoundBy(err, fmt.Sprintf("Assistant %s not found", b.AssistantID))
		}
		return err
	}
	// Each tick will run on the thread: the caller needs threads:create_run
	// on it, checked again by storage in the transaction that inserts the cron.
	var onThread storage.Scope
	if !stateless {
		strategy := orDefault(p.MultitaskStrategy, storage.MultitaskEnqueue)
		if onThread, err = s.authorize(r, &auth.RunsCreate{AssistantID: assistantID, ThreadID: threadID,
			Status: storage.RunPending, Metadata: orEmpty(p.Metadata), MultitaskStrategy: strategy,
			PreventInsertIfInflight: strategy == storage.MultitaskReject, IfNotExists: "reject", Kwargs: pm}); err != nil {
			return err
		}
	}
	enabled := b.Enabled == nil || *b.Enabled
	c, err := s.store.Crons().Create(r.Context(), scope, storage.CronCreate{CronID: v.CronID,
		AssistantID: assistantID, ThreadID: threadID, ThreadScope: onThread, OnRunCompleted: onDone, EndTime: b.EndTime,
		Schedule: b.Schedule, Timezone: b.Timezone, UserID: userID, AuthUser: user, Payload: pm,
		Metadata: orEmpty(v.Metadata), Enabled: enabled, NextRunDate: &next})
	if err != nil {
		return threadErr(err, threadID)
	}
	return writeJSON(w, c)
}

type cronSearchBody struct {
	AssistantID string `json:"assistant_id"`
	ThreadID    string `json:"thread_id"`
	Enabled     *bool  `json:"enabled"`
	searchPage
}

var cronFields = []string{"cron_id", "assistant_id", "thread_id", "on_run_completed", "end_time", "schedule",
	"timezone", "created_at", "updated_at", "user_id", "payload", "next_run_date", "metadata", "enabled", "now"}

// cronScopes authorizes crons:search, then the threads the crons may be
// on: threads:read for one thread, threads:search otherwise.
func (s *Server) cronScopes(r *http.Request, b *cronSearchBody, limit, offset int) (storage.CronSearch, storage.Scope, storage.Scope, error) {
	var q storage.CronSearch
	if b.AssistantID != "" {
		id, err := s.assistantID(b.AssistantID)
		if err != nil {
			return q, storage.Scope{}, storage.Scope{}, err
		}
		b.AssistantID = id
	}
	if b.ThreadID != "" {
		id, err := threadIDParam(b.ThreadID)
		if err != nil {
			return q, storage.Scope{}, storage.Scope{}, err
		}
		b.ThreadID = id
	}
	scope, err := s.authorize(r, &auth.CronsSearch{AssistantID: b.AssistantID, ThreadID: b.ThreadID, Limit: limit, Offset: offset})
	if err != nil {
		return q, storage.Scope{}, storage.Scope{}, err
	}
	var tv auth.Value = &auth.ThreadsSearch{Metadata: map[string]any{}}
	if b.ThreadID != "" {
		tv = &auth.ThreadsRead{ThreadID: b.ThreadID}
	}
	threads, err := s.authorize(r, tv)
	if err != nil {
		return q, storage.Scope{}, storage.Scope{}, err
	}
	q = storage.CronSearch{AssistantID: b.AssistantID, ThreadID: b.ThreadID, Enabled: b.Enabled,
		Limit: limit, Offset: offset, SortBy: b.SortBy, SortOrder: b.SortOrder}
	return q, scope, threads, nil
}

func (s *Server) searchCrons(w http.ResponseWriter, r *http.Request) error {
	var b cronSearchBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	limit, offset, err := b.check([]string{"cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"}, cronFields)
	if err != nil {
		return err
	}
	q, scope, threads, err := s.cronScopes(r, &b, limit, offset)
	if err != nil {
		return err
	}
	q.Limit = limit + 1
	rows, err := s.store.Crons().Search(r.Context(), scope, threads, q)
	if err != nil {
		return err
	}
	var extra map[string]json.RawMessage
	if slices.Contains(b.Select, "now") {
		now, _ := json.Marshal(time.Now().UTC())
		extra = map[string]json.RawMessage{"now": now}
	}
	return writePage(w, rows, limit, offset, b.Select, extra)
}

func (s *Server) countCrons(w http.ResponseWriter, r *http.Request) error {
	var b cronSearchBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	q, scope, threads, err := s.cronScopes(r, &cronSearchBody{AssistantID: b.AssistantID, ThreadID: b.ThreadID}, 0, 0)
	if err != nil {
		return err
	}
	n, err := s.store.Crons().Count(r.Context(), scope, threads, q)
	if err != nil {
		return err
	}
	return writeJSON(w, n)
}

// cronPatchBody is CronPatch: every field optional; run fields replace
// those of the stored payload; end_time null removes the end time.
type cronPatchBody struct {
	Schedule       *string         `json:"schedule"`
	Timezone       *string         `json:"timezone"`
	EndTime        json.RawMessage `json:"end_time"`
	Enabled        *bool           `json:"enabled"`
	OnRunCompleted *string         `json:"on_run_completed"`
	Metadata       map[string]any  `json:"metadata"`
}

// runFieldNames are the JSON names of cronRunFields except metadata,
// which a patch merges into the cron's own metadata (new threads of
// stateless crons get it).
var runFieldNames = []string{"input", "config", "context", "webhook", "interrupt_before", "interrupt_after",
	"stream_mode", "stream_subgraphs", "stream_resumable", "durability", "multitask_strategy", "checkpoint_during"}

func (s *Server) patchCron(w http.ResponseWriter, r *http.Request) error {
	id, err := cronIDParam(r.PathValue("cron_id"))
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := decodeBody(r, &raw); err != nil {
		return err
	}
	body, _ := json.Marshal(raw)
	var b cronPatchBody
	if err := json.Unmarshal(body, &b); err != nil {
		return bodyError(err)
	}
	var endTime *time.Time
	clearEnd := false
	if len(b.EndTime) > 0 {
		if string(b.EndTime) == "null" {
			clearEnd = true
		} else if err := json.Unmarshal(b.EndTime, &endTime); err != nil {
			return invalid("Invalid value for 'end_time': expected a date-time")
		}
	}
	if b.OnRunCompleted != nil {
		if err := oneOf("on_run_completed", *b.OnRunCompleted, storage.CronDeleteThread, storage.CronKeepThread); err != nil {
			return err
		}
	}
	// The run fields given, as a partial payload for the handler.
	patch := map[string]any{}
	for _, k := range runFieldNames {
		if v, ok := raw[k]; ok {
			var x any
			if err := json.Unmarshal(v, &x); err != nil {
				return bodyError(err)
			}
			patch[k] = x
		}
	}
	v := &auth.CronsUpdate{CronID: id, Payload: patch, EndTime: endTime, Enabled: b.Enabled, Metadata: orEmpty(b.Metadata)}
	if b.Schedule != nil {
		v.Schedule = *b.Schedule
	}
	if b.OnRunCompleted != nil {
		v.OnRunCompleted = *b.OnRunCompleted
	}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	cur, err := s.store.Crons().Get(r.Context(), scope, id)
	if err != nil {
		return err
	}
	if b.OnRunCompleted != nil && cur.ThreadID != "" {
		return invalid("Invalid value for 'on_run_completed': only stateless crons have one")
	}
	// The new payload: the stored one with the given fields replaced.
	merged := cloneMap(cur.Payload)
	for k, x := range v.Payload {
		merged[k] = x
	}
	mb, _ := json.Marshal(merged)
	var f cronRunFields
	if err := json.Unmarshal(mb, &f); err != nil {
		return bodyError(err)
	}
	p, err := f.payload(cur.ThreadID == "", s.opts.App != nil)
	if err != nil {
		return err
	}
	pm, err := p.Map()
	if err != nil {
		return err
	}
	cp := storage.CronPatch{Schedule: b.Schedule, Timezone: b.Timezone, EndTime: endTime, ClearEndTime: clearEnd,
		Enabled: b.Enabled, OnRunCompleted: b.OnRunCompleted, Payload: pm, Metadata: v.Metadata}
	if b.Schedule != nil || b.Timezone != nil || (b.Enabled != nil && *b.Enabled && !cur.Enabled) {
		sched, tz := cur.Schedule, cur.Timezone
		if b.Schedule != nil {
			sched = *b.Schedule
		}
		if b.Timezone != nil {
			tz = *b.Timezone
		}
		next, err := nextRunDate(sched, tz)
		if err != nil {
			return err
		}
		cp.NextRunDate = &next
	}
	c, err := s.store.Crons().Update(r.Context(), scope, id, cp)
	if err != nil {
		return err
	}
	return writeJSON(w, c)
}

func (s *Server) deleteCron(w http.ResponseWriter, r *http.Request) error {
	id, err := cronIDParam(r.PathValue("cron_id"))
	if err != nil {
		return err
	}
	scope, err := s.authorize(r, &auth.CronsDelete{CronID: id})
	if err != nil {
		return err
	}
	if err := s.store.Crons().Delete(r.Context(), scope, id); err != nil {
		return err
	}
	return noContent(w)
}

// cronRoutes are the cron rows of the route table.
func cronRoutes() []Route {
	const C = "crons"
	return []Route{
		{Method: "POST", Pattern: "/runs/crons", Resource: C, Action: "create", Then: []RouteEvent{readAssistant()}, Protected: true, Handler: (*Server).createCron, Summary: "Create a stateless cron (a new thread for each run; crons:create, then assistants:read, 404 when refused)", Body: "CronCreate", Response: "Cron"},
		{Method: "POST", Pattern: "/threads/{thread_id}/runs/crons", Resource: C, Action: "create", Then: []RouteEvent{readAssistant(), {"threads", "create_run", ""}}, Protected: true, Handler: (*Server).createCron, Summary: "Create a cron on a thread (crons:create, then assistants:read and threads:create_run, 404 when refused)", Body: "ThreadCronCreate", Response: "Cron"},
		{Method: "POST", Pattern: "/runs/crons/search", Resource: C, Action: "search", Then: cronThreadEvents(), Protected: true, Handler: (*Server).searchCrons, Summary: "Search crons (crons on threads the caller cannot read are left out)", Body: "CronSearchRequest", Response: "CronList"},
		{Method: "POST", Pattern: "/runs/crons/count", Resource: C, Action: "search", Then: cronThreadEvents(), Protected: true, Handler: (*Server).countCrons, Summary: "Count crons", Body: "CronCountRequest", Response: "Count"},
		{Method: "PATCH", Pattern: "/runs/crons/{cron_id}", Resource: C, Action: "update", Protected: true, Handler: (*Server).patchCron, Summary: "Update a cron", Body: "CronPatch", Response: "Cron"},
		{Method: "DELETE", Pattern: "/runs/crons/{cron_id}", Resource: C, Action: "delete", Protected: true, Handler: (*Server).deleteCron, Summary: "Delete a cron"},
	}
}

// cronThreadEvents are the events of the threads a cron search may see.
func cronThreadEvents() []RouteEvent {
	return []RouteEvent{{"threads", "read", "thread_id is given"}, {"threads", "search", "no thread_id is given"}}
}
