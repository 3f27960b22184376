package server

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/storage"
)

// promMetrics are a server's Prometheus metrics, in a registry of its own.
// Labels take bounded values only: route patterns, status codes, event
// names, storage method names; never a path, an id or a user.
type promMetrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	requests *prometheus.CounterVec   // route, code
	latency  *prometheus.HistogramVec // route, code
	errors   *prometheus.CounterVec   // code
	authn    *prometheus.CounterVec   // outcome
	authz    *prometheus.CounterVec   // resource, action, outcome
	hidden   *prometheus.CounterVec   // resource, action
	streams  *prometheus.GaugeVec     // kind
	runWait  prometheus.Histogram
	runTime  *prometheus.HistogramVec // status
	storage  *prometheus.HistogramVec // method
	swept    *prometheus.CounterVec   // what

	runStreams, threadStreams prometheus.Gauge
	methods                   map[string]prometheus.Observer // storage method → its histogram
}

// Authentication and authorization outcomes (label "outcome").
const (
	outcomeAuthenticated = "authenticated"
	outcomeAllowed       = "allowed"
	outcomeFiltered      = "filtered"
	outcome401           = "unauthenticated_401"
	outcome403           = "denied_403"
	outcome404           = "not_found_404"
	outcomeError         = "error"
)

// runStatsTimeout bounds the storage query a scrape makes.
const runStatsTimeout = 5 * time.Second

func newPromMetrics(s *Server) *promMetrics {
	m := &promMetrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agentgate_http_requests_total",
		Help: "Requests answered, by route pattern (\"unmatched\" for none) and status code."}, []string{"route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "agentgate_http_request_duration_seconds",
		Help:    "Time from a request's arrival to the end of its handler (a stream's whole life), by route pattern and status code.",
		Buckets: prometheus.DefBuckets}, []string{"route", "code"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agentgate_http_errors_total",
		Help: "Requests answered with an error body, by status code."}, []string{"code"})
	m.authn = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agentgate_auth_authentications_total",
		Help: "Authentications of requests to protected routes, by outcome: authenticated, unauthenticated_401, denied_403, error."},
		[]string{"outcome"})
	m.authz = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agentgate_auth_authorizations_total",
		Help: "Authorization decisions by event (resource, action) and outcome: allowed, filtered, unauthenticated_401, denied_403, not_found_404, error."},
		[]string{"resource", "action", "outcome"})
	m.hidden = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agentgate_auth_filtered_not_found_total",
		Help: "Requests answered 404 because nothing matched under a filtered scope (missing, or hidden by the filter), by the scope's event."},
		[]string{"resource", "action"})
	m.streams = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "agentgate_active_streams",
		Help: "Open SSE streams, by kind: run (a run's stream or join) or thread (a thread's stream)."}, []string{"kind"})
	runBuckets := prometheus.ExponentialBuckets(0.01, 4, 10) // 10 ms … 44 min
	m.runWait = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "agentgate_run_queue_wait_seconds",
		Help:    "Time from a run's creation to the start of its first attempt (delayed runs include their delay).",
		Buckets: runBuckets})
	m.runTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "agentgate_run_duration_seconds",
		Help:    "Execution time of a run attempt in this process, by the status it ended with.",
		Buckets: runBuckets}, []string{"status"})
	m.storage = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "agentgate_storage_call_duration_seconds",
		Help:    "Duration of storage calls that passed the scope guard, by method (Threads.Get, Checkpointer.GetTuple, ...).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"method"})
	m.swept = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agentgate_sweep_removed_total",
		Help: "What the TTL sweeper removed: threads_deleted, threads_pruned (keep_latest) and store items."}, []string{"what"})
	m.runStreams = m.streams.WithLabelValues("run")
	m.threadStreams = m.streams.WithLabelValues("thread")
	m.methods = map[string]prometheus.Observer{}
	for _, name := range storageMethods() {
		m.methods[name] = m.storage.WithLabelValues(name)
	}

	workers := func(pick func(maxW, active int) int) func() float64 {
		return func() float64 {
			if s.runs == nil {
				return 0
			}
			return float64(pick(s.runs.Workers()))
		}
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&queueCollector{s: s,
			pending: prometheus.NewDesc("lg_api_num_pending_runs", "The number of runs currently pending.", nil, nil),
			running: prometheus.NewDesc("lg_api_num_running_runs", "The number of runs currently running.", nil, nil)},
		gauge("lg_api_workers_max", "The maximum number of runs this process executes at once.",
			workers(func(maxW, _ int) int { return maxW })),
		gauge("lg_api_workers_active", "The number of runs this process is executing.",
			workers(func(_, active int) int { return active })),
		gauge("lg_api_workers_available", "The number of runs this process can start now.",
			workers(func(maxW, active int) int { return maxW - active })),
		gauge("agentgate_run_event_bytes", "Bytes of run stream events kept in this process, with their streams' records, as counted against --events-max-mib (the in-process broker; 0 with Redis).",
			func() float64 { return float64(s.eventBytes()) }),
		m.requests, m.latency, m.errors, m.authn, m.authz, m.hidden, m.streams, m.runWait, m.runTime, m.storage, m.swept,
	)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError})
	return m
}

// queueCollector reports the run queue of every tenant with one storage
// query per scrape (two GaugeFuncs would query twice).
type queueCollector struct {
	s                *Server
	pending, running *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.pending; ch <- c.running }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), runStatsTimeout)
	defer cancel()
	st, err := c.s.runStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.pending, err)
		ch <- prometheus.NewInvalidMetric(c.running, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(st.Running))
}

// request counts a finished request. pattern is the mux pattern
// (r.Pattern), which keeps the route label bounded.
func (m *promMetrics) request(pattern string, status int, d time.Duration) {
	if pattern == "" || pattern == "/" {
		pattern = "unmatched"
	}
	code := statusLabel(status)
	m.requests.WithLabelValues(pattern, code).Inc()
	m.latency.WithLabelValues(pattern, code).Observe(d.Seconds())
}

func (m *promMetrics) authenticated(err error) {
	if err == nil {
		m.authn.WithLabelValues(outcomeAuthenticated).Inc()
		return
	}
	m.authn.WithLabelValues(errorOutcome(err)).Inc()
}

func (m *promMetrics) authorized(res, act string, sc storage.Scope, err error) {
	outcome := outcomeAllowed
	switch {
	case err != nil:
		outcome = errorOutcome(err)
	case len(sc.Filters()) > 0:
		outcome = outcomeFiltered
	}
	m.authz.WithLabelValues(res, act, outcome).Inc()
}

// errorAnswered counts an error response; a 404 whose cause is a
// not-found under a filtered scope counts as filtered too.
func (m *promMetrics) errorAnswered(status int, err error) {
	m.errors.WithLabelValues(statusLabel(status)).Inc()
	if status == http.StatusNotFound && err != nil {
		if ev, ok := storage.HiddenEvent(err); ok {
			m.hidden.WithLabelValues(ev.Resource, ev.Action).Inc()
		}
	}
}

func errorOutcome(err error) string {
	status, _, _, _ := errorResponse(err)
	switch status {
	case http.StatusUnauthorized:
		return outcome401
	case http.StatusForbidden:
		return outcome403
	case http.StatusNotFound:
		return outcome404
	}
	return outcomeError
}

// RunStarted and RunEnded implement runs.Observer.
func (m *promMetrics) RunStarted(queued time.Duration) { m.runWait.Observe(queued.Seconds()) }
func (m *promMetrics) RunEnded(status string, d time.Duration) {
	m.runTime.WithLabelValues(status).Observe(d.Seconds())
}

// Swept counts what a TTL sweep removed (engine.Options.SweepObserver).
func (m *promMetrics) Swept(r storage.SweepResult) {
	m.swept.WithLabelValues("threads_deleted").Add(float64(r.Threads))
	m.swept.WithLabelValues("threads_pruned").Add(float64(r.Pruned))
	m.swept.WithLabelValues("items").Add(float64(r.Items))
}

// StorageCall implements storage.Observer.
func (m *promMetrics) StorageCall(method string, d time.Duration) {
	if o, ok := m.methods[method]; ok {
		o.Observe(d.Seconds())
		return
	}
	m.storage.WithLabelValues(method).Observe(d.Seconds())
}

// statusLabel is strconv.Itoa without allocating for common codes.
func statusLabel(code int) string {
	switch code {
	case 200:
		return "200"
	case 201:
		return "201"
	case 202:
		return "202"
	case 204:
		return "204"
	case 400:
		return "400"
	case 401:
		return "401"
	case 403:
		return "403"
	case 404:
		return "404"
	case 405:
		return "405"
	case 409:
		return "409"
	case 413:
		return "413"
	case 422:
		return "422"
	case 500:
		return "500"
	case 503:
		return "503"
	}
	return strconv.Itoa(code)
}

// counterValues sums a counter vector's values by the value of its label
// named label (for /metrics?format=json).
func counterValues(c *prometheus.CounterVec, label string) (total float64, by map[string]float64) {
	by = map[string]float64{}
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	for metric := range ch {
		var d dto.Metric
		if metric.Write(&d) != nil {
			continue
		}
		v := d.GetCounter().GetValue()
		total += v
		for _, lp := range d.GetLabel() {
			if lp.GetName() == label {
				by[lp.GetValue()] += v
			}
		}
	}
	return total, by
}

// storageMethods names every method the storage guard observes.
func storageMethods() []string {
	out := []string{"Checkpointer", "Sweep"}
	for _, t := range []reflect.Type{reflect.TypeFor[storage.Assistants](), reflect.TypeFor[storage.Threads](),
		reflect.TypeFor[storage.Items](), reflect.TypeFor[storage.Runs](), reflect.TypeFor[storage.Crons](),
		reflect.TypeFor[checkpoint.Saver]()} {
		prefix := t.Name()
		if prefix == "Saver" {
			prefix = "Checkpointer"
		}
		for i := range t.NumMethod() {
			out = append(out, prefix+"."+t.Method(i).Name)
		}
	}
	return out
}
