package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/storage"
)

// checkpointConfig is the API's CheckpointConfig (all fields optional).
type checkpointConfig struct {
	ThreadID      string         `json:"thread_id"`
	CheckpointNS  string         `json:"checkpoint_ns"`
	CheckpointID  string         `json:"checkpoint_id"`
	CheckpointMap map[string]any `json:"checkpoint_map"`
}

// emptyStateJSON is the state of a thread that has no graph yet.
const emptyStateJSON = `{"values":{},"next":[],"tasks":[],"checkpoint":null,"metadata":null,"created_at":null,"parent_checkpoint":null,"interrupts":[]}`

func writeEmptyState(w http.ResponseWriter) error {
	return writeRaw(w, []byte(emptyStateJSON))
}

// threadGraph reads a thread with scope and returns it with its graph
// (nil when the thread has no registered graph_id). A dynamic graph is
// built from the configurable its last run left on the thread.
func (s *Server) threadGraph(ctx context.Context, scope storage.Scope, id string) (storage.Thread, Graph, error) {
	t, err := s.store.Threads().Get(ctx, scope, id)
	if err != nil {
		return t, nil, threadErr(err, id)
	}
	gid, _ := t.Metadata["graph_id"].(string)
	g := s.graphs[gid]
	if g == nil {
		return t, nil, nil
	}
	conf, _ := t.Config["configurable"].(map[string]any)
	if g, err = g.For(ctx, graph.RunConfig{ThreadID: id, Configurable: conf}); err != nil {
		return t, nil, fmt.Errorf("building graph %q for thread %s: %w", gid, id, err)
	}
	return t, g, nil
}

// stateConfig builds the RunConfig of a state read or update on thread id.
func (s *Server) stateConfig(ctx context.Context, scope storage.Scope, id string) (graph.RunConfig, error) {
	saver, err := s.store.Checkpointer(ctx, scope, id)
	if err != nil {
		return graph.RunConfig{}, threadErr(err, id)
	}
	return graph.RunConfig{ThreadID: id, Checkpointer: saver}, nil
}

// readState answers the three state reads.
func (s *Server) readState(w http.ResponseWriter, r *http.Request, cp checkpointConfig, subgraphs bool) error {
	id, err := threadIDParam(r.PathValue("thread_id"))
	if err != nil {
		return err
	}
	scope, err := s.authorize(r, &auth.ThreadsRead{ThreadID: id})
	if err != nil {
		return err
	}
	_, g, err := s.threadGraph(r.Context(), scope, id)
	if err != nil {
		return err
	}
	if g == nil {
		if cp.CheckpointID != "" {
			return notFound(fmt.Sprintf("Checkpoint %s not found", cp.CheckpointID))
		}
		return writeEmptyState(w)
	}
	cfg, err := s.stateConfig(r.Context(), scope, id)
	if err != nil {
		return err
	}
	if !hasNamespace(g, cp.CheckpointNS) {
		return notFound(fmt.Sprintf("Checkpoint namespace '%s' not found", cp.CheckpointNS))
	}
	cfg.CheckpointID, cfg.CheckpointNS, cfg.Subgraphs = cp.CheckpointID, cp.CheckpointNS, subgraphs
	st, err := g.GetState(r.Context(), cfg)
	if err != nil {
		return graphErr(err)
	}
	return writeJSON(w, st)
}

func (s *Server) getState(w http.ResponseWriter, r *http.Request) error {
	sub, err := queryBool(r, "subgraphs")
	if err != nil {
		return err
	}
	return s.readState(w, r, checkpointConfig{}, sub)
}

func (s *Server) getStateAt(w http.ResponseWriter, r *http.Request) error {
	sub, err := queryBool(r, "subgraphs")
	if err != nil {
		return err
	}
	return s.readState(w, r, checkpointConfig{CheckpointID: r.PathValue("checkpoint_id")}, sub)
}

type stateCheckpointBody struct {
	Checkpoint *checkpointConfig `json:"checkpoint"`
	Subgraphs  bool              `json:"subgraphs"`
}

func (s *Server) postStateCheckpoint(w http.ResponseWriter, r *http.Request) error {
	var b stateCheckpointBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if b.Checkpoint == nil {
		return invalid("Invalid value for 'checkpoint': field required")
	}
	return s.readState(w, r, *b.Checkpoint, b.Subgraphs)
}

// hasNamespace reports whether checkpoint namespace ns ("" for the root,
// "node:task|child:task" for subgraphs) names a (nested) subgraph of g.
func hasNamespace(g Graph, ns string) bool {
	if ns == "" {
		return true
	}
	for _, part := range strings.Split(ns, "|") {
		node, _, _ := strings.Cut(part, ":")
		if g = g.Subgraphs()[node]; g == nil {
			return false
		}
	}
	return true
}

// graphErr maps graph runtime errors.
func graphErr(err error) error {
	var iu *graph.InvalidUpdateError
	switch {
	case errors.Is(err, checkpoint.ErrNotFound):
		return notFound("Checkpoint not found")
	case errors.As(err, &iu):
		return httpErr(http.StatusBadRequest, iu.Msg)
	}
	return err
}

type stateUpdateBody struct {
	Values       json.RawMessage   `json:"values"`
	AsNode       string            `json:"as_node"`
	Checkpoint   *checkpointConfig `json:"checkpoint"`
	CheckpointID string            `json:"checkpoint_id"`
}

// updateState applies values as if as_node had returned them. It needs
// threads:update (a thread the caller may read but not update is a 403)
// and refreshes the thread's values and status.
func (s *Server) updateState(w http.ResponseWriter, r *http.Request) error {
	id, err := threadIDParam(r.PathValue("thread_id"))
	if err != nil {
		return err
	}
	var b stateUpdateBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	updates, err := stateUpdates(b.Values)
	if err != nil {
		return err
	}
	upd, err := s.authorize(r, &auth.ThreadsUpdate{ThreadID: id, Metadata: map[string]any{}})
	if err != nil {
		return err
	}
	read, err := s.authorize(r, &auth.ThreadsRead{ThreadID: id})
	if err != nil {
		return err
	}
	if _, err := s.store.Threads().Get(r.Context(), read, id); err != nil {
		return threadErr(err, id)
	}
	t, g, err := s.threadGraph(r.Context(), upd, id)
	if errors.Is(err, storage.ErrNotFound) {
		return httpErr(http.StatusForbidden, "Forbidden")
	}
	if err != nil {
		return err
	}
	if t.Status == storage.StatusBusy {
		return httpErr(http.StatusConflict, "Thread is busy with a running job. Cannot update state.")
	}
	if g == nil {
		return httpErr(http.StatusBadRequest, fmt.Sprintf("Thread '%s' has no assigned graph ID. This usually happens when no runs have been made on this thread.", id))
	}
	cfg, err := s.stateConfig(r.Context(), upd, id)
	if err != nil {
		return err
	}
	cfg.CheckpointID = b.CheckpointID
	if b.Checkpoint != nil {
		if !hasNamespace(g, b.Checkpoint.CheckpointNS) {
			return notFound(fmt.Sprintf("Checkpoint namespace '%s' not found", b.Checkpoint.CheckpointNS))
		}
		cfg.CheckpointNS = b.Checkpoint.CheckpointNS
		if b.Checkpoint.CheckpointID != "" {
			cfg.CheckpointID = b.Checkpoint.CheckpointID
		}
	}
	var out checkpoint.Config
	for _, u := range updates {
		if out, err = g.UpdateState(r.Context(), cfg, u, b.AsNode); err != nil {
			return graphErr(err)
		}
		cfg.CheckpointID = out.CheckpointID
	}
	if cfg.CheckpointNS == "" {
		if err := s.refreshThread(r.Context(), upd, g, cfg); err != nil {
			return err
		}
	}
	ref := map[string]any{"thread_id": out.ThreadID, "checkpoint_ns": out.CheckpointNS, "checkpoint_id": out.CheckpointID}
	return writeJSON(w, map[string]any{"checkpoint": ref, "configurable": ref, "checkpoint_id": out.CheckpointID})
}

// stateUpdates splits the values of a state update: an object, an array
// of objects (applied in order) or null.
func stateUpdates(raw json.RawMessage) ([]any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return []any{nil}, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, invalid("Invalid JSON in request body")
	}
	switch x := v.(type) {
	case map[string]any:
		return []any{x}, nil
	case []any:
		if len(x) == 0 {
			return []any{nil}, nil
		}
		for _, e := range x {
			if _, ok := e.(map[string]any); !ok {
				return nil, invalid("Invalid value for 'values': must be an object, a list of objects or null")
			}
		}
		return x, nil
	}
	return nil, invalid("Invalid value for 'values': must be an object, a list of objects or null")
}

// refreshThread copies the latest root state into the thread row:
// values, interrupts and status (interrupted when something is next).
// cfg is the thread's state config (its checkpoint fields are ignored).
func (s *Server) refreshThread(ctx context.Context, scope storage.Scope, g Graph, cfg graph.RunConfig) error {
	cfg.CheckpointID, cfg.CheckpointNS, cfg.Subgraphs = "", "", false
	st, err := g.GetState(ctx, cfg)
	if err != nil {
		return err
	}
	status := storage.StatusIdle
	if len(st.Next) > 0 {
		status = storage.StatusInterrupted
	}
	interrupts := map[string]any{}
	for _, t := range st.Tasks {
		if len(t.Interrupts) > 0 {
			interrupts[t.ID] = t.Interrupts
		}
	}
	_, err = s.store.Threads().SetState(ctx, scope, cfg.ThreadID, storage.ThreadState{
		Status: &status, Values: st.Values, Interrupts: interrupts, ClearError: true,
	})
	return err
}

func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 10)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 1000 {
		return invalid("Invalid value for 'limit': must be between 1 and 1000")
	}
	return s.history(w, r, historyBody{Limit: &limit, Before: beforeRef{ID: r.URL.Query().Get("before")}})
}

// beforeRef is history's "before": a checkpoint id or a CheckpointConfig.
type beforeRef struct{ ID string }

func (b *beforeRef) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		b.ID = s
		return nil
	}
	var c *checkpointConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return fieldError{"before", "must be a checkpoint id or a checkpoint config"}
	}
	if c != nil {
		b.ID = c.CheckpointID
	}
	return nil
}

type historyBody struct {
	Limit      *int              `json:"limit"`
	Before     beforeRef         `json:"before"`
	Metadata   map[string]any    `json:"metadata"`
	Checkpoint *checkpointConfig `json:"checkpoint"`
}

func (s *Server) postHistory(w http.ResponseWriter, r *http.Request) error {
	var b historyBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	return s.history(w, r, b)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, b historyBody) error {
	limit, _, err := page(b.Limit, nil, 10)
	if err != nil {
		return err
	}
	id, err := threadIDParam(r.PathValue("thread_id"))
	if err != nil {
		return err
	}
	scope, err := s.authorize(r, &auth.ThreadsRead{ThreadID: id})
	if err != nil {
		return err
	}
	_, g, err := s.threadGraph(r.Context(), scope, id)
	if err != nil {
		return err
	}
	if g == nil {
		return writeRaw(w, []byte("[]"))
	}
	cfg, err := s.stateConfig(r.Context(), scope, id)
	if err != nil {
		return err
	}
	if b.Checkpoint != nil {
		if !hasNamespace(g, b.Checkpoint.CheckpointNS) {
			return notFound(fmt.Sprintf("Checkpoint namespace '%s' not found", b.Checkpoint.CheckpointNS))
		}
		cfg.CheckpointNS = b.Checkpoint.CheckpointNS
	}
	hist, err := g.History(r.Context(), cfg, checkpoint.ListOptions{Limit: limit, Before: b.Before.ID, Filter: b.Metadata})
	if err != nil {
		return graphErr(err)
	}
	if hist == nil {
		hist = []graph.StateSnapshot{}
	}
	return writeJSON(w, hist)
}

// superstep is one entry of ThreadCreate.supersteps.
type superstep struct {
	Updates []struct {
		Values  json.RawMessage `json:"values"`
		Command *struct {
			Update json.RawMessage `json:"update"`
			Goto   any             `json:"goto"`
			Resume any             `json:"resume"`
		} `json:"command"`
		AsNode string `json:"as_node"`
	} `json:"updates"`
}

// checkSupersteps validates supersteps before the thread is created and
// returns the graph they run on.
func (s *Server) checkSupersteps(md map[string]any, steps []superstep) (Graph, error) {
	gid, _ := md["graph_id"].(string)
	g := s.graphs[gid]
	if g == nil {
		return nil, invalid("Invalid value for 'supersteps': metadata.graph_id must name a registered graph")
	}
	for _, st := range steps {
		for _, u := range st.Updates {
			if u.AsNode == "" {
				return nil, invalid("Invalid value for 'supersteps': every update needs as_node")
			}
			if u.Command != nil && (u.Command.Goto != nil || u.Command.Resume != nil) {
				return nil, invalid("Invalid value for 'supersteps': only command.update is supported")
			}
			raw := u.Values
			if u.Command != nil && len(u.Command.Update) > 0 {
				raw = u.Command.Update
			}
			if _, err := stateUpdates(raw); err != nil {
				return nil, err
			}
		}
	}
	return g, nil
}

// applySupersteps applies the updates of a new thread (threads:update)
// in order and returns the refreshed thread.
func (s *Server) applySupersteps(r *http.Request, g Graph, id string, steps []superstep) (storage.Thread, error) {
	upd, err := s.authorize(r, &auth.ThreadsUpdate{ThreadID: id, Metadata: map[string]any{}})
	if err != nil {
		return storage.Thread{}, err
	}
	cfg, err := s.stateConfig(r.Context(), upd, id)
	if err != nil {
		return storage.Thread{}, err
	}
	for _, st := range steps {
		for _, u := range st.Updates {
			raw := u.Values
			if u.Command != nil && len(u.Command.Update) > 0 {
				raw = u.Command.Update
			}
			vals, err := stateUpdates(raw)
			if err != nil {
				return storage.Thread{}, err
			}
			for _, v := range vals {
				out, err := g.UpdateState(r.Context(), cfg, v, u.AsNode)
				if err != nil {
					return storage.Thread{}, graphErr(err)
				}
				cfg.CheckpointID = out.CheckpointID
			}
		}
	}
	if err := s.refreshThread(r.Context(), upd, g, cfg); err != nil {
		return storage.Thread{}, err
	}
	t, err := s.store.Threads().Get(r.Context(), upd, id)
	return t, threadErr(err, id)
}
