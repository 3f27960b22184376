package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

func TestUnknownRouteAndMethod(t *testing.T) {
	ts := newTestServer(t, Options{})
	r := ts.ok(404, "GET", "/nope", nil)
	if d := r.detail(t); d != "Not Found" {
		t.Fatalf("detail %q", d)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content-type %q", ct)
	}
	ts.ok(404, "GET", "/threads/", nil)
	r = ts.ok(405, "PUT", "/threads", map[string]any{})
	if d := r.detail(t); d != "Method Not Allowed" {
		t.Fatalf("detail %q", d)
	}
	if a := r.header.Get("Allow"); a != "POST" {
		t.Fatalf("Allow %q", a)
	}
	r = ts.ok(405, "POST", "/threads/00000000-0000-0000-0000-000000000001", map[string]any{})
	if a := r.header.Get("Allow"); a != "GET, PATCH, DELETE, HEAD" {
		t.Fatalf("Allow %q", a)
	}
	r = ts.ok(405, "POST", "/store/items", map[string]any{})
	if a := r.header.Get("Allow"); a != "GET, PUT, DELETE, HEAD" {
		t.Fatalf("Allow %q", a)
	}
}

func TestBadRequests(t *testing.T) {
	ts := newTestServer(t, Options{HTTP: HTTPOptions{MaxBodyBytes: 1024}})
	cases := []struct {
		method, path string
		body         any
		status       int
		detail       string
	}{
		{"POST", "/threads", `{"metadata":`, 422, "Invalid JSON in request body"},
		{"POST", "/threads", `{} {}`, 422, "Invalid JSON in request body"},
		{"POST", "/threads", `[1]`, 422, "Invalid request body: expected an object"},
		{"POST", "/threads", `{"metadata": 3}`, 422, "Invalid value for 'metadata': expected an object"},
		{"POST", "/threads", `{"thread_id": "x"}`, 422, "Invalid value for 'thread_id': must be a UUID"},
		{"POST", "/threads", `{"if_exists": "maybe"}`, 422, "Invalid value for 'if_exists': must be one of raise, do_nothing"},
		{"POST", "/threads/search", `{"limit": 0}`, 422, "Invalid value for 'limit': must be between 1 and 1000"},
		{"POST", "/threads/search", `{"limit": 1001}`, 422, "Invalid value for 'limit': must be between 1 and 1000"},
		{"POST", "/threads/search", `{"offset": -1}`, 422, "Invalid value for 'offset': must be >= 0"},
		{"POST", "/threads/search", `{"sort_by": "name"}`, 422, "Invalid value for 'sort_by': must be one of thread_id, status, created_at, updated_at, state_updated_at"},
		{"POST", "/threads/search", `{"status": "done"}`, 422, "Invalid value for 'status': must be one of idle, busy, interrupted, error"},
		{"POST", "/assistants/search", `{"select": ["secret"]}`, 422, "Invalid value for 'select': must be one of assistant_id, graph_id, name, description, config, context, metadata, version, created_at, updated_at"},
		{"POST", "/assistants", `{}`, 422, "Invalid value for 'graph_id': field required"},
		{"POST", "/assistants", `{"graph_id": "nope"}`, 422, "Invalid value for 'graph_id': no graph named 'nope'"},
		{"GET", "/threads/not-a-uuid", nil, 422, "Invalid thread ID: must be a UUID"},
		{"DELETE", "/threads/not-a-uuid", nil, 422, "Invalid thread ID: must be a UUID"},
		{"GET", "/assistants/not-a-graph", nil, 422, "Invalid assistant ID: must be a UUID or a graph ID"},
		{"POST", "/runs/wait", `{"assistant_id": "non-existent"}`, 422, `No assistant found for "non-existent". Make sure the assistant ID is for a valid assistant or a valid graph ID.`},
		{"POST", "/runs/stream", `{"assistant_id": "non-existent"}`, 422, `No assistant found for "non-existent". Make sure the assistant ID is for a valid assistant or a valid graph ID.`},
		{"POST", "/threads", `{"metadata": {"x": "` + strings.Repeat("a", 2000) + `"}}`, 413, "Request body too large"},
		{"PUT", "/store/items", `{"namespace": ["a.b"], "key": "k", "value": {}}`, 422, "Namespace labels cannot be empty or contain periods. Received: ('a.b',)"},
		{"PUT", "/store/items", `{"namespace": ["a", ""], "key": "k", "value": {}}`, 422, "Namespace labels cannot be empty or contain periods. Received: ('a', '')"},
		{"GET", "/store/items?namespace=a..b&key=k", nil, 422, "Namespace labels cannot be empty or contain periods. Received: ('a', '', 'b')"},
		{"GET", "/store/items?namespace=a", nil, 422, "Invalid value for 'key': field required"},
	}
	for _, c := range cases {
		r := ts.do(c.method, c.path, c.body)
		if r.status != c.status {
			t.Errorf("%s %s %v: status %d, want %d (%s)", c.method, c.path, c.body, r.status, c.status, r.body)
			continue
		}
		if d := r.detail(t); d != c.detail {
			t.Errorf("%s %s: detail %q, want %q", c.method, c.path, d, c.detail)
		}
	}
	// Unknown fields are ignored.
	ts.ok(200, "POST", "/threads", `{"metadata": {}, "whatever": [1, 2]}`)
}

// panicky is an Authorizer with bugs: it panics or fails for some events.
type panicky struct{}

func (panicky) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	switch v.(type) {
	case *auth.ThreadsRead:
		panic("authorizer bug")
	case *auth.ThreadsSearch:
		return storage.Scope{}, errors.New("secret connection string")
	case *auth.ThreadsDelete:
		return storage.Scope{}, &HTTPError{Status: 401, Detail: "Token expired", Headers: http.Header{"Www-Authenticate": {"Bearer"}}}
	case *auth.AssistantsRead:
		return storage.Scope{}, auth.Forbidden("Not your assistant")
	case *auth.AssistantsSearch:
		return storage.Scope{}, nil // zero scope: must fail closed
	}
	return scopeFor(v), nil
}

func TestHandlerFailures(t *testing.T) {
	ts := newTestServer(t, Options{Authorizer: panicky{}})
	id := "00000000-0000-0000-0000-000000000001"

	r := ts.ok(500, "GET", "/threads/"+id, nil)
	if d := r.detail(t); d != "Internal Server Error" {
		t.Fatalf("panic detail %q", d)
	}
	if !strings.Contains(ts.logs.String(), "authorizer bug") {
		t.Fatalf("panic not logged: %s", ts.logs)
	}
	ts.ok(200, "GET", "/ok", nil) // still up

	r = ts.ok(500, "POST", "/threads/search", map[string]any{})
	if d := r.detail(t); d != "Internal Server Error" || strings.Contains(string(r.body), "secret") {
		t.Fatalf("internal error leaked: %s", r.body)
	}
	if !strings.Contains(ts.logs.String(), "secret connection string") {
		t.Fatalf("cause not logged: %s", ts.logs)
	}

	r = ts.ok(401, "DELETE", "/threads/"+id, nil)
	if d := r.detail(t); d != "Token expired" || r.header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("401: %s %v", r.body, r.header)
	}
	r = ts.ok(403, "GET", "/assistants/agent", nil)
	if d := r.detail(t); d != "Not your assistant" {
		t.Fatalf("403 detail %q", d)
	}
	ts.ok(500, "POST", "/assistants/search", map[string]any{})
}

func TestErrorResponseMapping(t *testing.T) {
	cases := []struct {
		err    error
		status int
		detail string
	}{
		{storage.ErrNotFound, 404, "Not Found"},
		{storage.Errorf(storage.ErrNotFound, "Thread x not found"), 404, "Thread x not found"},
		{storage.Errorf(storage.ErrConflict, "Thread is busy"), 409, "Thread is busy"},
		{storage.ErrForbidden, 403, "Forbidden"},
		{storage.Errorf(storage.ErrInvalid, "bad sort"), 422, "bad sort"},
		{storage.ErrNoScope, 500, "Internal Server Error"},
		{errors.New("boom"), 500, "Internal Server Error"},
		{&HTTPError{Status: 418}, 418, "I'm a teapot"},
		{auth.Error(429, ""), 429, "Too Many Requests"},
		// Only 4xx and 5xx reach the client; other statuses are internal.
		{&HTTPError{Status: 200, Detail: "fine"}, 500, "Internal Server Error"},
		{&HTTPError{Status: 302}, 500, "Internal Server Error"},
		{&HTTPError{}, 500, "Internal Server Error"},
		{&HTTPError{Status: 600}, 500, "Internal Server Error"},
		{auth.Error(200, "fine"), 500, "Internal Server Error"},
		{auth.Error(302, ""), 500, "Internal Server Error"},
		{auth.Error(0, ""), 500, "Internal Server Error"},
		{auth.Error(600, ""), 500, "Internal Server Error"},
		{auth.Error(399, ""), 500, "Internal Server Error"},
		{auth.Error(400, "bad"), 400, "bad"},
		{auth.Error(599, ""), 599, "Unknown error"},
	}
	for _, c := range cases {
		st, d, hdr, internal := errorResponse(c.err)
		if st != c.status || d != c.detail {
			t.Errorf("%v: got %d %q, want %d %q", c.err, st, d, c.status, c.detail)
		}
		if st == 500 && (!internal || hdr != nil) {
			t.Errorf("%v: a 500 must be logged and carry no headers (internal %v, headers %v)", c.err, internal, hdr)
		}
	}
}
