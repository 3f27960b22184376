package server

import (
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/storage"
)

func TestMetrics(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newRunServer(t, st, Options{Runs: RunsOptions{Workers: 3}})
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
			if m.Queue["n_running"] == 1 || time.Now().After(deadline) {
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
		if m.HTTP.Requests < 5 || m.HTTP.Errors["404"] != 1 {
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
