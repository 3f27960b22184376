package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/storage"
)

type ttlBody struct {
	Strategy string   `json:"strategy"`
	TTL      *float64 `json:"ttl"`
}

func (t *ttlBody) toStorage() (*storage.ThreadTTL, error) {
	if t == nil {
		return nil, nil
	}
	if t.TTL == nil || *t.TTL <= 0 {
		return nil, invalid("Invalid value for 'ttl.ttl': must be a positive number of minutes")
	}
	st := t.Strategy
	if st == "" {
		st = "delete"
	}
	if st != "delete" && st != "keep_latest" {
		return nil, invalid("Invalid value for 'ttl.strategy': must be delete or keep_latest")
	}
	return &storage.ThreadTTL{Strategy: st, Minutes: *t.TTL}, nil
}

type threadCreateBody struct {
	ThreadID string         `json:"thread_id"`
	Metadata map[string]any `json:"metadata"`
	IfExists string         `json:"if_exists"`
	TTL      *ttlBody       `json:"ttl"`
	GraphID  string         `json:"graph_id"`
	// Supersteps are state updates applied to the new thread.
	Supersteps []superstep `json:"supersteps"`
}

func threadErr(err error, id string) error {
	if bareNotFound(err) {
		return notFoundBy(err, fmt.Sprintf("Thread with ID %s not found", id))
	}
	return err
}

func (s *Server) createThread(w http.ResponseWriter, r *http.Request) error {
	var b threadCreateBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	t, err := s.newThread(r, b)
	if err != nil {
		return err
	}
	return writeJSON(w, t)
}

// newThread validates b, authorizes threads:create and creates the thread
// (POST /threads, and A2A for a new context).
func (s *Server) newThread(r *http.Request, b threadCreateBody) (storage.Thread, error) {
	if b.ThreadID != "" {
		id, ok := canonicalUUID(b.ThreadID)
		if !ok {
			return storage.Thread{}, invalid("Invalid value for 'thread_id': must be a UUID")
		}
		b.ThreadID = id
	} else {
		b.ThreadID = newUUID()
	}
	if err := oneOf("if_exists", b.IfExists, storage.IfExistsRaise, storage.IfExistsDoNothing); err != nil {
		return storage.Thread{}, err
	}
	if b.IfExists == "" {
		b.IfExists = storage.IfExistsRaise
	}
	ttl, err := b.TTL.toStorage()
	if err != nil {
		return storage.Thread{}, err
	}
	md := orEmpty(b.Metadata)
	if b.GraphID != "" {
		md["graph_id"] = b.GraphID
	}
	var g Graph
	if len(b.Supersteps) > 0 {
		if g, err = s.checkSupersteps(md, b.Supersteps); err != nil {
			return storage.Thread{}, err
		}
	}
	v := &auth.ThreadsCreate{ThreadID: b.ThreadID, Metadata: md, IfExists: b.IfExists}
	if ttl != nil {
		v.TTL = map[string]any{"strategy": ttl.Strategy, "ttl": ttl.Minutes}
	}
	scope, err := s.authorize(r, v)
	if err != nil {
		return storage.Thread{}, err
	}
	t, err := s.store.Threads().Create(r.Context(), scope, storage.ThreadCreate{
		ThreadID: b.ThreadID, Metadata: orEmpty(v.Metadata), IfExists: b.IfExists, TTL: ttl,
	})
	if err != nil {
		return storage.Thread{}, err
	}
	if g != nil {
		return s.applySupersteps(r, g, t.ThreadID, b.Supersteps)
	}
	return t, nil
}

func (s *Server) getThread(w http.ResponseWriter, r *http.Request) error {
	id, err := threadIDParam(r.PathValue("thread_id"))
	if err != nil {
		return err
	}
	t, err := s.readThread(r, id)
	if err != nil {
		return err
	}
	if t.TTL != nil && !includes(r.URL.Query()["include"], "ttl") {
		t.TTL = nil
	}
	return writeJSON(w, t)
}

// readThread authorizes threads:read and reads the thread.
func (s *Server) readThread(r *http.Request, id string) (storage.Thread, error) {
	scope, err := s.authorize(r, &auth.ThreadsRead{ThreadID: id})
	if err != nil {
		return storage.Thread{}, err
	}
	t, err := s.store.Threads().Get(r.Context(), scope, id)
	if err != nil {
		return storage.Thread{}, threadErr(err, id)
	}
	return t, nil
}

type threadPatchBody struct {
	Metadata map[string]any `json:"metadata"`
	TTL      *ttlBody       `json:"ttl"`
}

func (s *Server) patchThread(w http.ResponseWriter, r *http.Request) error {
	id, err := threadIDParam(r.PathValue("thread_id"))
	if err != nil {
		return err
	}
	var b threadPatchBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	ttl, err := b.TTL.toStorage()
	if err != nil {
		return err
	}
	v := &auth.ThreadsUpdate{ThreadID: id, Metadata: orEmpty(b.Metadata)}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	t, err := s.store.Threads().Update(r.Context(), scope, id, storage.ThreadPatch{
		Metadata: v.Metadata, TTL: ttl,
	})
	if err != nil {
		return threadErr(err, id)
	}
	if strings.Contains(r.Header.Get("Prefer"), "return=minimal") {
		return noContent(w)
	}
	return writeJSON(w, t)
}

func (s *Server) deleteThread(w http.ResponseWriter, r *http.Request) error {
	id, err := threadIDParam(r.PathValue("thread_id"))
	if err != nil {
		return err
	}
	scope, err := s.authorize(r, &auth.ThreadsDelete{ThreadID: id})
	if err != nil {
		return err
	}
	if err := s.deleteThreadAndStreams(r.Context(), scope, id); err != nil {
		return threadErr(err, id)
	}
	return noContent(w)
}

// deleteThreadAndStreams deletes a thread (sc: its threads:delete scope)
// and then drops the event streams of the thread and its runs: open streams
// end with an error event, and a thread re-created with the same id never
// replays what came before.
func (s *Server) deleteThreadAndStreams(ctx context.Context, sc storage.Scope, id string) error {
	t, err := s.store.Threads().Get(ctx, sc, id)
	if err != nil {
		return err
	}
	rs, err := s.store.Runs().List(ctx, sc, id, storage.RunList{})
	if err != nil {
		return err
	}
	if err := s.store.Threads().Delete(ctx, sc, id); err != nil {
		return err
	}
	streams := []string{runs.ThreadStream(id, t.CreatedAt)}
	for _, r := range rs {
		streams = append(streams, runs.RunStream(r.RunID))
	}
	for _, st := range streams {
		if err := s.runs.Broker().Drop(ctx, st); err != nil {
			s.log.WarnContext(ctx, "dropping a deleted thread's event stream", "stream", st, "error", err)
		}
	}
	return nil
}

type threadSearchBody struct {
	IDs      []string       `json:"ids"`
	Metadata map[string]any `json:"metadata"`
	Values   map[string]any `json:"values"`
	Status   string         `json:"status"`
	searchPage
}

var threadFields = []string{"thread_id", "created_at", "updated_at", "state_updated_at", "metadata", "status", "config", "values", "interrupts", "error", "ttl"}

var threadStatuses = []string{storage.StatusIdle, storage.StatusBusy, storage.StatusInterrupted, storage.StatusError}

func (s *Server) searchThreads(w http.ResponseWriter, r *http.Request) error {
	var b threadSearchBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	limit, offset, err := b.check([]string{"thread_id", "status", "created_at", "updated_at", "state_updated_at"}, threadFields)
	if err != nil {
		return err
	}
	if err := oneOf("status", b.Status, threadStatuses...); err != nil {
		return err
	}
	for i, v := range b.IDs {
		id, ok := canonicalUUID(v)
		if !ok {
			return invalid("Invalid value for 'ids': must be UUIDs")
		}
		b.IDs[i] = id
	}
	v := &auth.ThreadsSearch{Metadata: orEmpty(b.Metadata), Values: b.Values, Status: b.Status,
		Limit: limit, Offset: offset, IDs: b.IDs}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	rows, err := s.store.Threads().Search(r.Context(), scope, storage.ThreadSearch{
		IDs: b.IDs, Metadata: v.Metadata, Values: b.Values, Status: b.Status,
		Limit: limit + 1, Offset: offset, SortBy: b.SortBy, SortOrder: b.SortOrder,
	})
	if err != nil {
		return err
	}
	return writePage(w, rows, limit, offset, b.Select, nil)
}

type threadCountBody struct {
	Metadata map[string]any `json:"metadata"`
	Values   map[string]any `json:"values"`
	Status   string         `json:"status"`
}

func (s *Server) countThreads(w http.ResponseWriter, r *http.Request) error {
	var b threadCountBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if err := oneOf("status", b.Status, threadStatuses...); err != nil {
		return err
	}
	v := &auth.ThreadsSearch{Metadata: orEmpty(b.Metadata), Values: b.Values, Status: b.Status}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	n, err := s.store.Threads().Count(r.Context(), scope, storage.ThreadSearch{
		Metadata: v.Metadata, Values: b.Values, Status: b.Status,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, n)
}

// includes reports whether a repeatable, comma-separated parameter lists
// name.
func includes(params []string, name string) bool {
	for _, p := range params {
		for _, f := range strings.Split(p, ",") {
			if strings.TrimSpace(f) == name {
				return true
			}
		}
	}
	return false
}

// copyThread needs threads:read on the source and threads:create for the
// copy; a source the caller cannot see is a 409, as in the LangGraph servers.
func (s *Server) copyThread(w http.ResponseWriter, r *http.Request) error {
	id, err := threadIDParam(r.PathValue("thread_id"))
	if err != nil {
		return err
	}
	read, err := s.authorize(r, &auth.ThreadsRead{ThreadID: id})
	if err != nil {
		return err
	}
	src, err := s.store.Threads().Get(r.Context(), read, id)
	if errors.Is(err, storage.ErrNotFound) {
		return httpErr(http.StatusConflict, "Thread not found")
	}
	if err != nil {
		return err
	}
	newID := newUUID()
	v := &auth.ThreadsCreate{ThreadID: newID, Metadata: cloneMap(src.Metadata), IfExists: storage.IfExistsRaise}
	if _, err := s.authorize(r, v); err != nil {
		return err
	}
	t, err := s.store.Threads().Copy(r.Context(), read, id, storage.ThreadCreate{
		ThreadID: newID, Metadata: orEmpty(v.Metadata),
	})
	if errors.Is(err, storage.ErrNotFound) {
		return httpErr(http.StatusConflict, "Thread not found")
	}
	if err != nil {
		return err
	}
	return writeJSON(w, t)
}

type pruneBody struct {
	ThreadIDs []string `json:"thread_ids"`
	Strategy  string   `json:"strategy"`
}

func (s *Server) pruneThreads(w http.ResponseWriter, r *http.Request) error {
	var b pruneBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if b.ThreadIDs == nil {
		return invalid("Invalid value for 'thread_ids': field required")
	}
	if err := oneOf("strategy", b.Strategy, "delete", "keep_latest"); err != nil {
		return err
	}
	if b.Strategy == "" {
		b.Strategy = "delete"
	}
	for i, v := range b.ThreadIDs {
		id, ok := canonicalUUID(v)
		if !ok {
			return invalid("Invalid value for 'thread_ids': must be UUIDs")
		}
		b.ThreadIDs[i] = id
	}
	// Each thread is its own threads:delete event. All are authorized and
	// checked before any is pruned, so a hidden thread prunes nothing.
	scopes := make([]storage.Scope, len(b.ThreadIDs))
	for i, id := range b.ThreadIDs {
		sc, err := s.authorize(r, &auth.ThreadsDelete{ThreadID: id})
		if err != nil {
			return err
		}
		if _, err := s.store.Threads().Get(r.Context(), sc, id); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return notFoundBy(err, "At least one thread not found or not authorized")
			}
			return err
		}
		scopes[i] = sc
	}
	n := 0
	for i, id := range b.ThreadIDs {
		if b.Strategy == "delete" {
			err := s.deleteThreadAndStreams(r.Context(), scopes[i], id)
			if err == nil {
				n++
			} else if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			continue
		}
		k, err := s.store.Threads().Prune(r.Context(), scopes[i], []string{id}, b.Strategy)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		n += k
	}
	return writeJSON(w, map[string]int{"pruned_count": n})
}
