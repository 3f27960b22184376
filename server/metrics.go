package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// metricsPattern is the path of the metrics route.
const metricsPattern = "/metrics"

// MetricsOptions decide who may read GET /metrics, whose run queue counts
// span every tenant. The zero value refuses everyone with 403 (agentgate
// serve without --metrics-addr or a metrics token).
type MetricsOptions struct {
	// Token, if set, must arrive as "Authorization: Bearer <token>";
	// missing or wrong is a 401. It applies wherever /metrics is served.
	Token string
	// Separate serves /metrics only from MetricsHandler (its own listen
	// address, open there unless Token is set); Handler answers 404.
	Separate bool
	// Open serves /metrics to anyone on Handler (agentgate dev).
	Open bool
}

// metricsAccess admits or refuses a /metrics request (see MetricsOptions).
func (s *Server) metricsAccess(r *http.Request) error {
	m := s.opts.Metrics
	switch {
	case m.Token != "":
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		tok = strings.TrimSpace(tok)
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return metricsUnauthorized("Missing metrics token: send Authorization: Bearer <token>")
		}
		// Hashing first makes the comparison constant-time in the length too.
		got, want := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(m.Token))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return metricsUnauthorized("Invalid metrics token")
		}
		return nil
	case m.Open, m.Separate:
		return nil
	}
	return httpErr(http.StatusForbidden, "GET /metrics is off: the server operator can enable it with a metrics token or a separate metrics address")
}

func metricsUnauthorized(detail string) *HTTPError {
	return &HTTPError{Status: http.StatusUnauthorized, Detail: detail,
		Headers: http.Header{"Www-Authenticate": {"Bearer"}}}
}

// handleMetrics serves GET /metrics: the Prometheus registry of the server
// (format=prometheus, the default; promhttp negotiates the exposition
// format), or the run queue, workers and request counts as JSON
// (format=json). The numbers span every tenant, so metricsAccess decides
// who may read them.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	if err := s.metricsAccess(r); err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "prometheus"
	}
	if format != "prometheus" && format != "json" {
		return invalid("Invalid value for 'format': must be prometheus or json")
	}
	if format == "prometheus" {
		s.prom.handler.ServeHTTP(w, r)
		return nil
	}
	st, err := s.runStats(r.Context())
	if err != nil {
		return err
	}
	maxW, active := 0, 0
	if s.runs != nil {
		maxW, active = s.runs.Workers()
	}
	requests, _ := counterValues(s.prom.requests, "")
	_, byCode := counterValues(s.prom.errors, "code")
	errs := make(map[string]uint64, len(byCode))
	for code, n := range byCode {
		errs[code] = uint64(n)
	}
	return writeJSON(w, map[string]any{
		"queue":   map[string]int{"n_pending": st.Pending, "n_running": st.Running},
		"workers": map[string]int{"max": maxW, "active": active, "available": maxW - active},
		"http":    map[string]any{"requests": uint64(requests), "errors": errs},
		"events":  map[string]int64{"bytes": s.eventBytes()},
	})
}

// eventBytes is what the in-process broker keeps (0 for Redis).
func (s *Server) eventBytes() int64 {
	if m, ok := s.runs.Broker().(interface{ Bytes() int64 }); ok {
		return m.Bytes()
	}
	return 0
}
