package server

import (
	"net/http"
	"strconv"
)

func (s *Server) handleOK(w http.ResponseWriter, r *http.Request) error {
	check, err := queryBool(r, "check_db")
	if err != nil {
		return err
	}
	if check {
		if err := s.store.Ping(r.Context()); err != nil {
			return &HTTPError{Status: http.StatusInternalServerError, Detail: "Database check failed", Cause: err}
		}
	}
	return writeJSON(w, map[string]bool{"ok": true})
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, map[string]any{
		"version":   s.opts.Version,
		"context":   "go",
		"agentgate": true,
		"flags": map[string]bool{
			"assistants":                 !s.opts.HTTP.Disable.Assistants,
			"crons":                      !s.opts.HTTP.Disable.Runs,
			"langsmith":                  false,
			"langsmith_tracing_replicas": false,
		},
	})
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h.Set("Content-Length", strconv.Itoa(len(s.openapi)))
	_, _ = w.Write(s.openapi)
	return nil
}
