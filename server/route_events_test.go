package server

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/storage"
)

// matchEvents checks that got, the events a request raised, follow the
// route's declaration: the first event first, then declared events in
// order, conditional ones (When set) possibly skipped, "each ..." ones
// possibly repeated, nothing undeclared. A successful request raised every
// unconditional event.
func matchEvents(declared []RouteEvent, got []string, success bool) error {
	if len(got) == 0 || got[0] != declared[0].String() {
		return fmt.Errorf("events %v, want first %s", got, declared[0])
	}
	pos := 1
	for _, g := range got[1:] {
		j := pos
		for j < len(declared) && declared[j].String() != g {
			j++
		}
		if j == len(declared) && pos > 1 && declared[pos-1].String() == g && strings.HasPrefix(declared[pos-1].When, "each") {
			continue // a repeated "each ..." event
		}
		if j == len(declared) {
			return fmt.Errorf("events %v: %s is not declared (after %v)", got, g, declared[:pos])
		}
		for k := pos; k < j; k++ {
			if declared[k].When == "" {
				return fmt.Errorf("events %v skip the unconditional %s", got, declared[k])
			}
		}
		pos = j + 1
	}
	for k := pos; success && k < len(declared); k++ {
		if declared[k].When == "" {
			return fmt.Errorf("events %v lack the unconditional %s", got, declared[k])
		}
	}
	return nil
}

// TestRoutesAuthorizeTheirEvents: every protected route raises exactly the
// events its table entry declares, in order (so `agentgate auth check` and
// the OpenAPI document tell what really happens); meta routes raise none.
func TestRoutesAuthorizeTheirEvents(t *testing.T) {
	rec := &recorder{}
	ts := newRunServer(t, nil, Options{Authorizer: rec})
	th := ts.createThread(map[string]any{"graph_id": "agent"})
	var a storage.Assistant
	ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "agent"}).json(t, &a)
	rec.take()
	routes := ts.srv.Routes()
	// Deletes last, so that the other routes find their objects.
	sort.SliceStable(routes, func(i, j int) bool { return routes[i].Method != "DELETE" && routes[j].Method == "DELETE" })
	succeeded := 0
	for _, rt := range routes {
		path, body := fixture(rt, th.ThreadID, a.AssistantID)
		r := ts.do(rt.Method, path, body, fixtureHeaders(rt)...)
		ev := rec.take()
		if !rt.Protected {
			if len(ev) != 0 {
				t.Errorf("%s %s: meta route authorized %v", rt.Method, rt.Pattern, ev)
			}
			continue
		}
		ok := r.status < 300
		if ok {
			succeeded++
		}
		if err := matchEvents(rt.Events(), ev, ok); err != nil {
			t.Errorf("%s %s (status %d): %v", rt.Method, rt.Pattern, r.status, err)
		}
		if r.status >= 500 {
			t.Errorf("%s %s: status %d %s", rt.Method, rt.Pattern, r.status, r.body)
		}
	}
	if succeeded < 25 { // 28 when written: run and cron routes name fake ids
		t.Errorf("only %d routes succeeded with their fixtures", succeeded)
	}
}

// TestConditionalRouteEvents raises each conditional event and checks the
// whole sequence.
func TestConditionalRouteEvents(t *testing.T) {
	rec := &recorder{}
	ts := newRunServer(t, nil, Options{Authorizer: rec})
	th := ts.createThread(nil).ThreadID
	var a storage.Assistant
	ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "agent"}).json(t, &a)
	var run storage.Run
	ts.ok(200, "POST", "/threads/"+th+"/runs/wait", map[string]any{"assistant_id": "agent", "input": map[string]any{}})
	ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "agent", "input": map[string]any{}}).json(t, &run)
	ts.waitRunStatus(th, run.RunID, storage.RunSuccess)
	rec.take()
	for _, c := range []struct {
		method, path string
		body         any
		want         []string
	}{
		{"POST", "/threads/" + th + "/runs/wait", map[string]any{"assistant_id": a.AssistantID, "input": map[string]any{}},
			[]string{"threads:create_run", "assistants:read"}},
		{"POST", "/threads/" + th + "/runs/wait", map[string]any{"assistant_id": "agent", "input": map[string]any{}},
			[]string{"threads:create_run"}},
		{"POST", "/runs/batch", []any{map[string]any{"assistant_id": a.AssistantID, "input": map[string]any{}},
			map[string]any{"assistant_id": "agent", "input": map[string]any{}}},
			[]string{"threads:create_run", "assistants:read", "threads:create_run"}},
		{"POST", "/threads/" + th + "/runs/crons", map[string]any{"assistant_id": a.AssistantID, "schedule": "0 0 1 1 *"},
			[]string{"crons:create", "assistants:read", "threads:create_run"}},
		{"POST", "/runs/crons/search", map[string]any{"thread_id": th}, []string{"crons:search", "threads:read"}},
		{"POST", "/runs/crons/count", map[string]any{}, []string{"crons:search", "threads:search"}},
		{"GET", "/threads/" + th + "/runs/" + run.RunID + "/join?cancel_on_disconnect=1", nil,
			[]string{"threads:read", "threads:update"}},
		{"GET", "/threads/" + th + "/runs/" + run.RunID + "/stream?cancel_on_disconnect=1", nil,
			[]string{"threads:read"}}, // an ended run without Last-Event-ID: nothing to cancel, nothing asked
		{"POST", "/threads/" + th + "/copy", map[string]any{}, []string{"threads:read", "threads:create"}},
		// (the batch's stateless threads may still be there: then each is
		// deleted too, threads:delete, an "each" event)
		{"DELETE", "/assistants/" + a.AssistantID + "?delete_threads=true", nil,
			[]string{"assistants:delete", "threads:search"}},
	} {
		r := ts.do(c.method, c.path, c.body)
		got := rec.take()
		if c.method == "DELETE" && len(got) > len(c.want) {
			got = got[:len(c.want)]
		}
		if r.status >= 300 || !slices.Equal(got, c.want) {
			t.Errorf("%s %s: status %d, events %v, want %v (%s)", c.method, c.path, r.status, got, c.want, r.body)
			continue
		}
		rt := ts.routeOf(t, c.method, c.path)
		if err := matchEvents(rt.Events(), got, true); err != nil {
			t.Errorf("%s %s: %v", c.method, c.path, err)
		}
	}
}

// routeOf finds the table entry the mux picks for method and path.
func (ts *testServer) routeOf(t *testing.T, method, path string) Route {
	t.Helper()
	req, err := newRequest(method, ts.http.URL+path)
	if err != nil {
		t.Fatal(err)
	}
	_, pattern := ts.srv.mux.Handler(req)
	for _, rt := range ts.srv.Routes() {
		if rt.Method+" "+rt.Pattern == pattern {
			return rt
		}
	}
	t.Fatalf("no route for %s %s (%q)", method, path, pattern)
	return Route{}
}

func newRequest(method, url string) (*http.Request, error) { return http.NewRequest(method, url, nil) }
