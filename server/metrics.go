package server

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
)

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
// and request counts. Aggregates only: nobody's data.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
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
