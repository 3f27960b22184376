package server

import (
	"context"
	"net/http"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// This file is the only one in the package allowed to build a
// storage.Scope (see TestScopeConstructionIsConfined): the allow-all
// authorizer used when no auth is configured. The System scope is the
// engine's alone (TestSystemScopeOnlyInTheEngine).

// allowAll authorizes everything with an unrestricted scope.
type allowAll struct{}

func (allowAll) Authorize(_ context.Context, v auth.Value) (storage.Scope, error) {
	res, act := v.Event()
	return storage.Authorized(storage.Event{Resource: res, Action: act}), nil
}

// runAssistant reads the assistant a run names: a graph's system assistant
// is exempt from assistants:read, as in the LangGraph servers (the engine
// reads it); any other asks assistants:read for the caller.
func (s *Server) runAssistant(r *http.Request, id string) (storage.Assistant, error) {
	if a, ok := s.eng.SystemAssistant(r.Context(), id); ok {
		return a, nil
	}
	scope, err := s.authorize(r, &auth.AssistantsRead{AssistantID: id})
	if err != nil {
		return storage.Assistant{}, err
	}
	return s.store.Assistants().Get(r.Context(), scope, id)
}

// runStats counts pending and running runs of every thread (for /metrics).
func (s *Server) runStats(ctx context.Context) (storage.RunStats, error) {
	return s.eng.RunStats(ctx)
}
