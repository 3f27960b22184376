package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/google/uuid"

	"github.com/agentgate/agentgate/engine"
)

// SystemAssistantID is the id of a graph's system assistant:
// uuid5(6ba7b821-9dad-11d1-80b4-00c04fd430c8, graphID), as in the LangGraph
// servers ("agent" → fe096781-5601-53d2-b2f6-0d3403f7e9ca).
func SystemAssistantID(graphID string) string { return engine.SystemAssistantID(graphID) }

// canonicalUUID returns s in canonical lower-case form, or false when s is
// not a UUID. The common case (already canonical) does not allocate.
func canonicalUUID(s string) (string, bool) {
	if len(s) == 36 && isCanonical(s) {
		return s, true
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return u.String(), true
}

func isCanonical(s string) bool {
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// threadID reads and validates the {thread_id} path value.
func threadIDParam(v string) (string, error) {
	id, ok := canonicalUUID(v)
	if !ok {
		return "", invalid("Invalid thread ID: must be a UUID")
	}
	return id, nil
}

// assistantID resolves an assistant id or a registered graph id.
func (s *Server) assistantID(v string) (string, error) {
	if id, ok := canonicalUUID(v); ok {
		return id, nil
	}
	if _, ok := s.graphs[v]; ok {
		return SystemAssistantID(v), nil
	}
	return "", invalid("Invalid assistant ID: must be a UUID or a graph ID")
}

func newRequestIDPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-"
}

// PathParams returns the path parameters of a request routed by the
// server's mux (for Authenticators that pass them to user code).
func PathParams(r *http.Request) map[string]string {
	out := map[string]string{}
	for _, m := range pathParam.FindAllStringSubmatch(r.Pattern, -1) {
		out[m[1]] = r.PathValue(m[1])
	}
	return out
}
