package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
)

func runIDParam(v string) (string, error) {
	id, ok := canonicalUUID(v)
	if !ok {
		return "", invalid("Invalid run ID: must be a UUID")
	}
	return id, nil
}

// runParams reads {thread_id} and {run_id}.
func runParams(r *http.Request) (threadID, runID string, err error) {
	if threadID, err = threadIDParam(r.PathValue("thread_id")); err != nil {
		return "", "", err
	}
	runID, err = runIDParam(r.PathValue("run_id"))
	return threadID, runID, err
}

func runErr(err error, id string) error {
	if bareNotFound(err) {
		return notFoundBy(err, fmt.Sprintf("Run with ID %s not found", id))
	}
	return err
}

// readRun authorizes threads:read for the run and reads it.
func (s *Server) readRun(r *http.Request) (storage.Scope, storage.Run, error) {
	threadID, runID, err := runParams(r)
	if err != nil {
		return storage.Scope{}, storage.Run{}, err
	}
	return s.lookupRun(r, threadID, runID)
}

// lookupRun authorizes threads:read for a run and reads it; threadID ""
// finds the run by its id among the threads the scope can see.
func (s *Server) lookupRun(r *http.Request, threadID, runID string) (storage.Scope, storage.Run, error) {
	scope, err := s.authorize(r, &auth.ThreadsRead{ThreadID: threadID, RunID: runID})
	if err != nil {
		return storage.Scope{}, storage.Run{}, err
	}
	run, err := s.store.Runs().Get(r.Context(), scope, threadID, runID)
	if err != nil {
		return storage.Scope{}, storage.Run{}, runErr(err, runID)
	}
	return scope, run, nil
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) error {
	threadID, err := threadIDParam(r.PathValue("thread_id"))
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 10)
	if err != nil {
		return err
	}
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 1000 || offset < 0 {
		return invalid("Invalid value for 'limit' or 'offset': limit must be 1..1000 and offset not negative")
	}
	status := r.URL.Query().Get("status")
	if err := oneOf("status", status, storage.RunPending, storage.RunRunning, storage.RunSuccess, storage.RunError,
		storage.RunTimeout, storage.RunInterrupted); err != nil {
		return err
	}
	fields := r.URL.Query()["select"]
	for _, f := range fields {
		if err := oneOf("select", f, runFields...); err != nil {
			return err
		}
	}
	scope, err := s.authorize(r, &auth.ThreadsSearch{ThreadID: threadID, Metadata: map[string]any{}, Status: status,
		Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	list, err := s.store.Runs().List(r.Context(), scope, threadID, storage.RunList{Limit: limit, Offset: offset, Status: status})
	if err != nil {
		return threadErr(err, threadID)
	}
	for i := range list {
		list[i] = runs.Redacted(list[i])
	}
	if len(fields) > 0 {
		sel, err := selectFields(list, fields)
		if err != nil {
			return err
		}
		return writeJSON(w, sel)
	}
	return writeJSON(w, list)
}

var runFields = []string{"run_id", "thread_id", "assistant_id", "created_at", "updated_at", "status", "metadata",
	"multitask_strategy", "kwargs"}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) error {
	_, run, err := s.readRun(r)
	if err != nil {
		return err
	}
	return writeJSON(w, runs.Redacted(run))
}

func (s *Server) deleteRun(w http.ResponseWriter, r *http.Request) error {
	threadID, runID, err := runParams(r)
	if err != nil {
		return err
	}
	scope, err := s.authorize(r, &auth.ThreadsDelete{ThreadID: threadID, RunID: runID})
	if err != nil {
		return err
	}
	if err := s.store.Runs().Delete(r.Context(), scope, threadID, runID); err != nil {
		return runErr(err, runID)
	}
	s.runs.Cancel(runID, storage.CancelInterrupt) // stop it here if it was running
	return noContent(w)
}

func (s *Server) joinRun(w http.ResponseWriter, r *http.Request) error {
	cancelOnDisconnect, err := queryFlag(r, "cancel_on_disconnect")
	if err != nil {
		return err
	}
	scope, run, err := s.readRun(r)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.at(runLocation(run.ThreadID, run.RunID))+"/join")
	return s.waitResult(w, r, scope, run, s.disconnectScope(r, run, cancelOnDisconnect), nil)
}

// queryFlag reads a boolean query parameter that the SDKs send as 0/1,
// true/false or yes/no.
func queryFlag(r *http.Request, name string) (bool, error) {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "", "0", "false", "no":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	}
	return false, invalid(fmt.Sprintf("Invalid value for '%s': must be a boolean", name))
}

var eventIDPattern = regexp.MustCompile(`^(\d+(-(\d+|\*))?|-)$`)

// lastEventID reads the Last-Event-ID header ("" when absent). "-1" is
// what the SDK's joinStream (and useStream's reconnect) sends to mean
// "from the start", as LangGraph accepts it.
func lastEventID(r *http.Request) (string, error) {
	id := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if id == "" {
		return "", nil
	}
	if id == "-" || id == "-1" {
		return broker.Start, nil
	}
	if !eventIDPattern.MatchString(id) {
		return "", invalid("Invalid Last-Event-ID: must be an event id like <ms>-<seq>")
	}
	return strings.TrimSuffix(id, "-*"), nil
}

// joinQuery is the query and Last-Event-ID of a join stream.
type joinQuery struct {
	after              string
	keep               func(name string) bool
	cancelOnDisconnect bool
}

func parseJoinQuery(r *http.Request) (q joinQuery, err error) {
	if q.cancelOnDisconnect, err = queryFlag(r, "cancel_on_disconnect"); err != nil {
		return q, err
	}
	if q.after, err = lastEventID(r); err != nil {
		return q, err
	}
	var modes []string
	for _, m := range r.URL.Query()["stream_mode"] {
		modes = append(modes, strings.Split(m, ",")...)
	}
	// As the thread stream and LangGraph do, an unknown mode is a 422, not
	// a stream that silently filters everything out.
	for _, m := range modes {
		if err := oneOf("stream_mode", m, streamModes...); err != nil {
			return q, err
		}
	}
	q.keep = modeFilter(modes)
	return q, nil
}

func (s *Server) joinRunStream(w http.ResponseWriter, r *http.Request) error {
	q, err := parseJoinQuery(r)
	if err != nil {
		return err
	}
	scope, run, err := s.readRun(r)
	if err != nil {
		return err
	}
	return s.joinStream(w, r, scope, run, q, runLocation(run.ThreadID, run.RunID)+"/stream")
}

// joinStatelessRunStream is GET /runs/{run_id}/stream (the JS server's
// stateless join): threads:read without a thread id, then the run is found
// by its id among the runs of threads the scope can see.
func (s *Server) joinStatelessRunStream(w http.ResponseWriter, r *http.Request) error {
	runID, err := runIDParam(r.PathValue("run_id"))
	if err != nil {
		return err
	}
	q, err := parseJoinQuery(r)
	if err != nil {
		return err
	}
	scope, run, err := s.lookupRun(r, "", runID)
	if err != nil {
		return err
	}
	return s.joinStream(w, r, scope, run, q, statelessStreamLocation(runID))
}

func statelessStreamLocation(runID string) string { return "/runs/" + runID + "/stream" }

// joinStream streams a run that the caller may read: without Last-Event-ID
// only new events (none for an ended run), with it the events after it.
func (s *Server) joinStream(w http.ResponseWriter, r *http.Request, sc storage.Scope, run storage.Run, q joinQuery, location string) error {
	if q.after == "" && terminal(run.Status) {
		// Nothing new will come: an empty stream.
		s.newSSE(w, r, runLocation(run.ThreadID, run.RunID), "")
		return nil
	}
	return s.streamRun(w, r, sc, run, q.after, q.keep, s.disconnectScope(r, run, q.cancelOnDisconnect), location)
}

// fallbackResult is the wait body when the run's stream is gone (§6.3).
func (s *Server) fallbackResult(r *http.Request, sc storage.Scope, run storage.Run) []byte {
	body := any(map[string]any{})
	t, err := s.store.Threads().Get(r.Context(), sc, run.ThreadID)
	if err == nil {
		switch {
		case t.Status == storage.StatusError && t.Error != nil:
			body = map[string]any{runs.ErrorKey: t.Error}
		case t.Status == storage.StatusInterrupted:
			var all []any
			for _, v := range t.Interrupts {
				if list, ok := v.([]any); ok {
					all = append(all, list...)
				}
			}
			if len(all) > 0 {
				body = map[string]any{runs.InterruptKey: all[:1]}
			}
		case t.Values != nil:
			body = t.Values
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return []byte("{}")
	}
	return b
}

func cancelAction(r *http.Request) (string, error) {
	action := r.URL.Query().Get("action")
	if err := oneOf("action", action, storage.CancelInterrupt, storage.CancelRollback); err != nil {
		return "", err
	}
	return orDefault(action, storage.CancelInterrupt), nil
}

func cancelErr(err error) error {
	if bareNotFound(err) {
		return notFoundBy(err, "No matching runs to cancel. The runs may have already finished or may not exist.")
	}
	return err
}

func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request) error {
	threadID, runID, err := runParams(r)
	if err != nil {
		return err
	}
	wait, err := queryFlag(r, "wait")
	if err != nil {
		return err
	}
	action, err := cancelAction(r)
	if err != nil {
		return err
	}
	scope, err := s.authorize(r, &auth.ThreadsUpdate{ThreadID: threadID, Action: action,
		Metadata: map[string]any{"run_ids": []string{runID}}})
	if err != nil {
		return err
	}
	run, err := s.store.Runs().Get(r.Context(), scope, threadID, runID)
	if err != nil {
		return runErr(err, runID)
	}
	if _, err := s.runs.CancelRuns(r.Context(), scope, storage.RunCancel{ThreadID: threadID, RunIDs: []string{runID}, Action: action}); err != nil {
		if !wait || !errors.Is(err, storage.ErrNotFound) {
			return cancelErr(err)
		}
	}
	if wait {
		return s.waitResult(w, r, scope, run, nil, nil)
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

type cancelBody struct {
	ThreadID string   `json:"thread_id"`
	RunIDs   []string `json:"run_ids"`
	Status   string   `json:"status"`
}

func (s *Server) cancelRuns(w http.ResponseWriter, r *http.Request) error {
	var b cancelBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	action, err := cancelAction(r)
	if err != nil {
		return err
	}
	byIDs := b.ThreadID != "" || len(b.RunIDs) > 0
	if byIDs == (b.Status != "") {
		return invalid("Give either thread_id and run_ids, or status")
	}
	c := storage.RunCancel{Action: action, Status: b.Status}
	if byIDs {
		if b.ThreadID == "" || len(b.RunIDs) == 0 {
			return invalid("Give both thread_id and run_ids")
		}
		if c.ThreadID, err = threadIDParam(b.ThreadID); err != nil {
			return err
		}
		for _, id := range b.RunIDs {
			rid, err := runIDParam(id)
			if err != nil {
				return err
			}
			c.RunIDs = append(c.RunIDs, rid)
		}
	} else if err := oneOf("status", b.Status, storage.RunPending, storage.RunRunning, "all"); err != nil {
		return err
	}
	md := map[string]any{"status": b.Status}
	if byIDs {
		md = map[string]any{"run_ids": c.RunIDs}
	}
	scope, err := s.authorize(r, &auth.ThreadsUpdate{ThreadID: c.ThreadID, Action: action, Metadata: md})
	if err != nil {
		return err
	}
	if _, err := s.runs.CancelRuns(r.Context(), scope, c); err != nil {
		return cancelErr(err)
	}
	return noContent(w)
}

// threadStream joins every run of a thread (§5.6).
func (s *Server) threadStream(w http.ResponseWriter, r *http.Request) error {
	threadID, err := threadIDParam(r.PathValue("thread_id"))
	if err != nil {
		return err
	}
	after, err := lastEventID(r)
	if err != nil {
		return err
	}
	modes := map[string]bool{}
	for _, v := range r.URL.Query()["stream_mode"] {
		for _, m := range strings.Split(v, ",") {
			if err := oneOf("stream_mode", m, "run_modes", "lifecycle", "state_update"); err != nil {
				return err
			}
			modes[m] = true
		}
	}
	if len(modes) == 0 {
		modes["run_modes"] = true
	}
	scope, err := s.authorize(r, &auth.ThreadsRead{ThreadID: threadID})
	if err != nil {
		return err
	}
	t, err := s.store.Threads().Get(r.Context(), scope, threadID)
	if err != nil {
		return threadErr(err, threadID)
	}
	ctx, cancelStream := s.streamContext(r)
	defer cancelStream()
	sub, err := s.runs.Broker().Subscribe(ctx, runs.ThreadStream(threadID, t.CreatedAt), after)
	if err != nil {
		return err
	}
	defer sub.Close()
	sw := s.newSSE(w, r, "", "")
	s.prom.threadStreams.Inc()
	defer s.prom.threadStreams.Dec()
	for {
		nctx, cancel := context.WithTimeout(ctx, s.beat)
		ev, ok, err := sub.Next(nctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			if r.Context().Err() == nil { // the server is shutting down
				_ = sw.endedEarly(true)
			}
			return nil
		case errors.Is(err, broker.ErrDropped):
			_ = sw.threadDeleted()
			return nil
		case err != nil:
			if err := sw.heartbeat(); err != nil {
				return nil
			}
			continue
		case !ok:
			return nil
		}
		internal := strings.HasPrefix(ev.Name, "__")
		keep := modes["run_modes"] && !internal && ev.Name != "state_update" ||
			modes["lifecycle"] && ev.Name == "metadata" ||
			modes["state_update"] && ev.Name == "state_update"
		if keep {
			if err := sw.event(ev.Name, ev.Data, ev.ID); err != nil {
				return nil
			}
		}
	}
}
