package server

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// This file is the only one in the package allowed to build a
// storage.Scope (see TestScopeConstructionIsConfined): the allow-all
// authorizer used when no auth is configured, and startup registration.

// allowAll authorizes everything with an unrestricted scope.
type allowAll struct{}

func (allowAll) Authorize(_ context.Context, v auth.Value) (storage.Scope, error) {
	res, act := v.Event()
	return storage.Authorized(storage.Event{Resource: res, Action: act}), nil
}

// registerGraphs creates each graph's system assistant (idempotent).
func (s *Server) registerGraphs(ctx context.Context) error {
	ids := make([]string, 0, len(s.graphs))
	for id := range s.graphs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		_, err := s.store.Assistants().Create(ctx, storage.System(), storage.AssistantCreate{
			AssistantID: SystemAssistantID(id),
			GraphID:     id,
			Name:        id,
			Config:      map[string]any{},
			Context:     map[string]any{},
			Metadata:    map[string]any{"created_by": "system"},
			IfExists:    storage.IfExistsDoNothing,
		})
		if err != nil {
			return fmt.Errorf("server: register assistant for graph %q: %w", id, err)
		}
	}
	return nil
}

// runAssistant reads the assistant a run names: a graph's system assistant
// (metadata created_by=system) is exempt from assistants:read, as in the
// LangGraph servers; any other asks assistants:read for the caller.
func (s *Server) runAssistant(r *http.Request, id string) (storage.Assistant, error) {
	if s.systemGraph(id) != "" {
		a, err := s.store.Assistants().Get(r.Context(), storage.System(), id)
		if err == nil && a.Metadata["created_by"] == "system" {
			return a, nil
		}
	}
	scope, err := s.authorize(r, &auth.AssistantsRead{AssistantID: id})
	if err != nil {
		return storage.Assistant{}, err
	}
	return s.store.Assistants().Get(r.Context(), scope, id)
}

// sweepExpired deletes the threads and store items whose TTL has run out.
func (s *Server) sweepExpired(ctx context.Context) (storage.SweepResult, error) {
	return s.store.Sweep(ctx, storage.System(), time.Now())
}

// runStats counts pending and running runs of every thread (for /metrics).
func (s *Server) runStats(ctx context.Context) (storage.RunStats, error) {
	return s.store.Runs().Stats(ctx, storage.System())
}
