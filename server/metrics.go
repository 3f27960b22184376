package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
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

// counters are the server's request counters for /metrics.
type counters struct {
	requests atomic.Uint64
	errors   [600]atomic.Uint64 // by status code, counted by writeError
}

func (c *counters) error(status int) {
	if status >= 0 && status < len(c.errors) {
		c.errors[status].Add(1)
	}
}

// handleMetrics serves GET /metrics: the run queue and workers, as the
// LangGraph server reports them (format=prometheus, the default, or json),
// and request counts. The counts span every tenant, so metricsAccess
// decides who may read them.
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
	st, err := s.runStats(r.Context())
	if err != nil {
		return err
	}
	maxW, active := 0, 0
	if s.runs != nil {
		maxW, active = s.runs.Workers()
	}
	errs := map[string]uint64{}
	for code := range s.count.errors {
		if n := s.count.errors[code].Load(); n > 0 {
			errs[strconv.Itoa(code)] = n
		}
	}
	requests := s.count.requests.Load()
	if format == "json" {
		return writeJSON(w, map[string]any{
			"queue":   map[string]int{"n_pending": st.Pending, "n_running": st.Running},
			"workers": map[string]int{"max": maxW, "active": active, "available": maxW - active},
			"http":    map[string]any{"requests": requests, "errors": errs},
			"events":  map[string]int64{"bytes": s.eventBytes()},
		})
	}
	var b strings.Builder
	gauge := func(name, help string, v int) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	gauge("lg_api_num_pending_runs", "The number of runs currently pending.", st.Pending)
	gauge("lg_api_num_running_runs", "The number of runs currently running.", st.Running)
	gauge("lg_api_workers_max", "The maximum number of runs this process executes at once.", maxW)
	gauge("lg_api_workers_active", "The number of runs this process is executing.", active)
	gauge("lg_api_workers_available", "The number of runs this process can start now.", maxW-active)
	gauge("agentgate_run_event_bytes", "Bytes of run stream events kept in this process (the in-process broker; 0 with Redis).", int(s.eventBytes()))
	fmt.Fprintf(&b, "# HELP agentgate_http_requests_total Requests received.\n# TYPE agentgate_http_requests_total counter\nagentgate_http_requests_total %d\n", requests)
	b.WriteString("# HELP agentgate_http_errors_total Requests answered with an error, by status.\n# TYPE agentgate_http_errors_total counter\n")
	codes := make([]string, 0, len(errs))
	for c := range errs {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "agentgate_http_errors_total{code=%q} %d\n", c, errs[c])
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
	return nil
}

// eventBytes is what the in-process broker keeps (0 for Redis).
func (s *Server) eventBytes() int64 {
	if m, ok := s.runs.Broker().(interface{ Bytes() int64 }); ok {
		return m.Bytes()
	}
	return 0
}
