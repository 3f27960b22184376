package server

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authz"
	"github.com/agentgate/agentgate/storage"
)

// scrape reads /metrics with the metrics token and parses it.
func scrape(t *testing.T, ts *testServer) map[string]*dto.MetricFamily {
	t.Helper()
	r := ts.ok(200, "GET", "/metrics", nil, "Authorization", "Bearer scrape-tok")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("parsing the scrape: %v\n%s", err, r.body)
	}
	return fams
}

// sample finds the metric of family name whose labels include want
// (label=value pairs); nil when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, want ...string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(want); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == want[i] && lp.GetValue() == want[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's or gauge's value, or a histogram's count (-1 when
// the sample is missing).
func value(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	m := sample(fams, name, want...)
	switch {
	case m == nil:
		return -1
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// TestPrometheusScrape: after requests that authenticate, fail with 401,
// are denied with 403, are hidden by a filter (404) and start a run, a
// scrape carries every family with the labels and values they imply, and
// no label value names a user or an object.
func TestPrometheusScrape(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		users := map[string]string{"tok-alice": "alice", "tok-bob": "bob"}
		a := auth.New().
			Authenticate(func(ctx context.Context, r *auth.Request) (*auth.User, error) {
				id, ok := users[r.BearerToken()]
				if !ok {
					return nil, auth.Unauthorized("Invalid token")
				}
				return &auth.User{Identity: id}, nil
			}).
			On("*", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
				auth.SetMetadata(v, "owner", c.User.Identity)
				return auth.Filter(map[string]any{"owner": c.User.Identity}), nil
			}).
			On("crons", func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
				return auth.Result{}, auth.Forbidden("no crons")
			})
		e, err := authz.New(a, authz.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ts := newRunServer(t, st, Options{Authenticator: e, Authorizer: e, Runs: RunsOptions{Workers: 2},
			Metrics: MetricsOptions{Token: "scrape-tok"}})
		alice := []string{"Authorization", "Bearer tok-alice"}
		bob := []string{"Authorization", "Bearer tok-bob"}

		ts.ok(401, "GET", "/metrics", nil, alice...) // a tenant's token is not the metrics token
		ts.ok(401, "POST", "/threads/search", map[string]any{}, "Authorization", "Bearer nope")
		th := ts.createThread(nil, alice...).ThreadID
		ts.ok(200, "GET", "/threads/"+th, nil, alice...)
		ts.ok(404, "GET", "/threads/"+th, nil, bob...) // hidden by bob's filter
		ts.ok(403, "POST", "/runs/crons/search", map[string]any{}, alice...)
		ts.ok(200, "POST", "/threads/"+th+"/runs/stream", map[string]any{"assistant_id": "agent", "input": map[string]any{}}, alice...)

		// A stream stays open on a blocked run while we scrape.
		blocked := ts.createThread(nil, alice...).ThreadID
		var run storage.Run
		ts.ok(200, "POST", "/threads/"+blocked+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}, alice...).json(t, &run)
		ctx, stop := context.WithCancel(t.Context())
		defer stop()
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+"/threads/"+blocked+"/runs/"+run.RunID+"/stream", nil)
		req.Header.Set(alice[0], alice[1])
		res, err := ts.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		bufio.NewReader(res.Body).ReadString('\n') // the stream is open
		fams := scrape(t, ts)
		if v := value(fams, "agentgate_active_streams", "kind", "run"); v != 1 {
			t.Errorf("active run streams = %v, want 1", v)
		}
		if v := value(fams, "agentgate_active_streams", "kind", "thread"); v != 0 {
			t.Errorf("active thread streams = %v, want 0", v)
		}
		if v := value(fams, "lg_api_num_running_runs"); v != 1 {
			t.Errorf("running runs = %v, want 1", v)
		}
		stop()
		res.Body.Close()
		ts.ok(202, "POST", "/threads/"+blocked+"/runs/"+run.RunID+"/cancel", nil, alice...)

		// Run metrics land when the worker is done: poll.
		deadline := time.Now().Add(10 * time.Second)
		for value(fams, "agentgate_run_duration_seconds", "status", "interrupted") < 1 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			fams = scrape(t, ts)
		}
		checks := []struct {
			name   string
			labels []string
			min    float64 // the value is at least min
			max    float64 // and at most max (0: no bound)
		}{
			{"go_goroutines", nil, 1, 0},
			{"process_resident_memory_bytes", nil, 1, 0},
			{"lg_api_num_pending_runs", nil, 0, 0},
			{"lg_api_workers_max", nil, 2, 2},
			{"lg_api_workers_available", nil, 1, 2},
			{"agentgate_run_event_bytes", nil, 0, 1 << 30},
			{"agentgate_http_requests_total", []string{"route", "POST /threads", "code", "200"}, 2, 2},
			{"agentgate_http_requests_total", []string{"route", "GET /threads/{thread_id}", "code", "404"}, 1, 1},
			{"agentgate_http_requests_total", []string{"route", "POST /threads/search", "code", "401"}, 1, 1},
			{"agentgate_http_requests_total", []string{"route", "GET /metrics", "code", "401"}, 1, 1},
			{"agentgate_http_request_duration_seconds", []string{"route", "GET /threads/{thread_id}", "code", "200"}, 1, 1},
			{"agentgate_http_errors_total", []string{"code", "403"}, 1, 1},
			{"agentgate_auth_authentications_total", []string{"outcome", "authenticated"}, 7, 0},
			{"agentgate_auth_authentications_total", []string{"outcome", "unauthenticated_401"}, 1, 1},
			{"agentgate_auth_authorizations_total", []string{"resource", "threads", "action", "create", "outcome", "filtered"}, 2, 2},
			{"agentgate_auth_authorizations_total", []string{"resource", "threads", "action", "read", "outcome", "filtered"}, 2, 0},
			{"agentgate_auth_authorizations_total", []string{"resource", "crons", "action", "search", "outcome", "denied_403"}, 1, 1},
			{"agentgate_auth_filtered_not_found_total", []string{"resource", "threads", "action", "read"}, 1, 1},
			{"agentgate_run_queue_wait_seconds", nil, 2, 2},
			{"agentgate_run_duration_seconds", []string{"status", "success"}, 1, 1},
			{"agentgate_run_duration_seconds", []string{"status", "interrupted"}, 1, 1},
			{"agentgate_storage_call_duration_seconds", []string{"method", "Threads.Get"}, 2, 0},
			{"agentgate_storage_call_duration_seconds", []string{"method", "Runs.Claim"}, 2, 0},
			{"agentgate_storage_call_duration_seconds", []string{"method", "Checkpointer.Put"}, 1, 0},
			{"agentgate_active_streams", []string{"kind", "run"}, 0, 0},
		}
		for _, c := range checks {
			v := value(fams, c.name, c.labels...)
			if v < c.min || (c.max > 0 && v > c.max) || (c.max == 0 && c.min == 0 && v != 0) {
				t.Errorf("%s%v = %v, want %v..%v", c.name, c.labels, v, c.min, c.max)
			}
		}
		if h := sample(fams, "agentgate_http_request_duration_seconds", "route", "POST /threads", "code", "200").GetHistogram(); h.GetSampleSum() <= 0 || h.GetSampleSum() > 10 {
			t.Errorf("POST /threads latency sum = %v s", h.GetSampleSum())
		}
		for name, f := range fams {
			for _, m := range f.GetMetric() {
				for _, lp := range m.GetLabel() {
					v := lp.GetValue()
					if strings.Contains(v, "alice") || strings.Contains(v, "bob") || strings.Contains(v, th) || strings.Contains(v, run.RunID) {
						t.Errorf("%s has label %s=%q", name, lp.GetName(), v)
					}
				}
			}
		}
	})
}
