package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/storage"
)

func TestMetrics(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{Runs: RunsOptions{Workers: 3}, Metrics: MetricsOptions{Open: true}})
		// One run blocks its thread; a second waits behind it.
		th := ts.createThread(nil).ThreadID
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}})
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}})
		ts.ok(404, "GET", "/threads/00000000-0000-0000-0000-000000000000", nil)
		var m struct {
			Queue   map[string]int `json:"queue"`
			Workers map[string]int `json:"workers"`
			HTTP    struct {
				Requests int            `json:"requests"`
				Errors   map[string]int `json:"errors"`
			} `json:"http"`
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			ts.ok(200, "GET", "/metrics?format=json", nil).json(t, &m)
			// The claim (n_running) lands in storage a moment before the
			// worker counts itself active: wait for both.
			if m.Queue["n_running"] == 1 && m.Workers["active"] == 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if m.Queue["n_pending"] != 1 || m.Queue["n_running"] != 1 {
			t.Errorf("queue = %v, want 1 pending and 1 running", m.Queue)
		}
		if m.Workers["max"] != 3 || m.Workers["active"] != 1 || m.Workers["available"] != 2 {
			t.Errorf("workers = %v", m.Workers)
		}
		// Requests are counted when answered: the four above at least.
		if m.HTTP.Requests < 4 || m.HTTP.Errors["404"] != 1 {
			t.Errorf("http = %+v", m.HTTP)
		}
		text := string(ts.ok(200, "GET", "/metrics", nil).body)
		for _, want := range []string{"lg_api_num_pending_runs 1\n", "lg_api_num_running_runs 1\n", "lg_api_workers_max 3\n",
			"lg_api_workers_available 2\n", `agentgate_http_errors_total{code="404"} 1` + "\n", "# TYPE agentgate_http_requests_total counter\n"} {
			if !strings.Contains(text, want) {
				t.Errorf("prometheus text lacks %q:\n%s", want, text)
			}
		}
		ts.ok(422, "GET", "/metrics?format=xml", nil)
	})
}

// TestMetricsAccess: /metrics counts every tenant's runs, so by default
// (serve) nobody reads it; a token or dev mode lets callers in.
func TestMetricsAccess(t *testing.T) {
	t.Run("default denies", func(t *testing.T) {
		ts := newTestServer(t, Options{})
		r := ts.ok(403, "GET", "/metrics?format=json", nil)
		if d := r.detail(t); !strings.Contains(d, "metrics token") {
			t.Errorf("detail %q does not say how to enable it", d)
		}
		if strings.Contains(string(r.body), "n_pending") {
			t.Errorf("denied response carries metrics: %s", r.body)
		}
		ts.ok(403, "GET", "/metrics", nil, "Authorization", "Bearer anything")
	})
	t.Run("dev open", func(t *testing.T) {
		ts := newTestServer(t, Options{Metrics: MetricsOptions{Open: true}})
		ts.ok(200, "GET", "/metrics", nil)
	})
	t.Run("token", func(t *testing.T) {
		// Open too: the token still applies.
		ts := newTestServer(t, Options{Metrics: MetricsOptions{Token: "s3cret", Open: true}})
		for _, hdr := range [][]string{nil, {"Authorization", "Bearer"}, {"Authorization", "Basic s3cret"},
			{"Authorization", "Bearer wrong"}, {"Authorization", "Bearer s3cret2"}} {
			r := ts.ok(401, "GET", "/metrics?format=json", nil, hdr...)
			if r.detail(t) == "" || r.header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("%v: 401 without detail or WWW-Authenticate: %v %s", hdr, r.header, r.body)
			}
		}
		var m map[string]any
		ts.ok(200, "GET", "/metrics?format=json", nil, "Authorization", "Bearer s3cret").json(t, &m)
		if m["queue"] == nil {
			t.Errorf("metrics = %v", m)
		}
		ts.ok(200, "GET", "/metrics", nil, "Authorization", "bearer s3cret")
	})
}

// TestMetricsSeparate: with its own listener, /metrics is served only by
// MetricsHandler, built from the same route entry; Handler answers 404.
func TestMetricsSeparate(t *testing.T) {
	ts := newTestServer(t, Options{Metrics: MetricsOptions{Separate: true}})
	ts.ok(404, "GET", "/metrics", nil)
	ts.ok(200, "GET", "/ok", nil)
	mh := httptest.NewServer(ts.srv.MetricsHandler())
	t.Cleanup(mh.Close)
	get := func(method, path string, hdr ...string) int {
		req, _ := http.NewRequest(method, mh.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := mh.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{{"GET", "/metrics", 200}, {"GET", "/metrics?format=json", 200}, {"POST", "/metrics", 405}, {"GET", "/ok", 404}, {"POST", "/threads", 404}} {
		if got := get(c.method, c.path); got != c.want {
			t.Errorf("metrics listener %s %s = %d, want %d", c.method, c.path, got, c.want)
		}
	}

	tok := newTestServer(t, Options{Metrics: MetricsOptions{Separate: true, Token: "t"}})
	mh = httptest.NewServer(tok.srv.MetricsHandler())
	t.Cleanup(mh.Close)
	if got := get("GET", "/metrics"); got != 401 {
		t.Errorf("separate with token, no token: %d, want 401", got)
	}
	if got := get("GET", "/metrics", "Authorization", "Bearer t"); got != 200 {
		t.Errorf("separate with token: %d, want 200", got)
	}
}
