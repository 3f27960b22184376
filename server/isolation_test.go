package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/storage"
)

type userKey struct{}

// ownerAuth is a small but real auth setup: the X-User header names the
// caller; every thread and assistant gets metadata.owner stamped and is
// filtered on it; store namespaces are prefixed with the caller and
// filtered on it.
type ownerAuth struct{}

func (ownerAuth) Authenticate(r *http.Request) (context.Context, error) {
	if id, ok := PathParams(r)["thread_id"]; ok && id == "" {
		return nil, errors.New("thread_id path parameter not visible to the authenticator")
	}
	u := r.Header.Get("X-User")
	if u == "" {
		return nil, auth.Unauthorized("Missing X-User")
	}
	return context.WithValue(r.Context(), userKey{}, u), nil
}

func (ownerAuth) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	user, _ := ctx.Value(userKey{}).(string)
	if id, ok := auth.IdentityFrom(ctx); ok && user == "" {
		user = id.User.Identity // work done later as the user: a cron's tick
	}
	if user == "" {
		return storage.Scope{}, auth.Forbidden("no user")
	}
	res, _ := v.Event()
	if res == auth.Store {
		switch sv := v.(type) {
		case *auth.StorePut:
			sv.Namespace = append([]string{user}, sv.Namespace...)
		case *auth.StoreGet:
			sv.Namespace = append([]string{user}, sv.Namespace...)
		case *auth.StoreDelete:
			sv.Namespace = append([]string{user}, sv.Namespace...)
		case *auth.StoreSearch:
			sv.Namespace = append([]string{user}, sv.Namespace...)
		case *auth.StoreListNamespaces:
			sv.Namespace = append([]string{user}, sv.Namespace...)
		}
		f, err := filter.Parse(map[string]any{"namespace": map[string]any{"$contains": user}})
		if err != nil {
			return storage.Scope{}, err
		}
		return scopeFor(v, f), nil
	}
	auth.SetMetadata(v, "owner", user)
	f, err := filter.Parse(map[string]any{"owner": user})
	if err != nil {
		return storage.Scope{}, err
	}
	return scopeFor(v, f), nil
}

func newOwnerServer(t *testing.T, st storage.Store) *testServer {
	o := ownerAuth{}
	return newTestServer(t, Options{Store: st, Authenticator: o, Authorizer: o})
}

const secret = "A-SECRET-7f3a"

type aliceData struct {
	thread    storage.Thread
	assistant storage.Assistant
}

func seedAlice(t *testing.T, ts *testServer, alice ...string) aliceData {
	t.Helper()
	if alice == nil {
		alice = []string{"X-User", "alice"}
	}
	var d aliceData
	ts.ok(200, "POST", "/threads", map[string]any{"metadata": map[string]any{"s": secret, "graph_id": "agent"}}, alice...).json(t, &d.thread)
	ts.ok(200, "POST", "/assistants", map[string]any{"graph_id": "agent", "name": secret, "metadata": map[string]any{"s": secret}}, alice...).json(t, &d.assistant)
	ts.ok(204, "PUT", "/store/items", map[string]any{"namespace": []string{"shared"}, "key": "k", "value": map[string]any{"s": secret}}, alice...)
	ts.ok(200, "POST", "/threads/"+d.thread.ThreadID+"/state", map[string]any{"values": map[string]any{"note": secret}}, alice...)
	return d
}

// fixture builds a plausible request for a route against the given ids.
func fixture(rt Route, threadID, assistantID string) (string, any) {
	path := strings.NewReplacer(
		"{thread_id}", threadID,
		"{assistant_id}", assistantID,
		"{checkpoint_id}", "00000000-0000-0000-0000-000000000000",
		"{namespace}", "child",
		"{run_id}", "00000000-0000-0000-0000-0000000000aa",
		"{cron_id}", "00000000-0000-0000-0000-0000000000cc",
	).Replace(rt.Pattern)
	switch rt.Method + " " + rt.Pattern {
	case "POST /assistants":
		return path, map[string]any{"graph_id": "agent", "assistant_id": assistantID, "if_exists": "do_nothing"}
	case "POST /threads":
		return path, map[string]any{"thread_id": threadID, "if_exists": "do_nothing"}
	case "POST /assistants/{assistant_id}/latest":
		return path, map[string]any{"version": 1}
	case "PATCH /assistants/{assistant_id}", "PATCH /threads/{thread_id}":
		return path, map[string]any{"metadata": map[string]any{"s": "overwritten"}}
	case "POST /threads/prune":
		return path, map[string]any{"thread_ids": []string{threadID}}
	case "PUT /store/items":
		return path, map[string]any{"namespace": []string{"shared"}, "key": "k", "value": map[string]any{"s": "overwritten"}}
	case "GET /store/items":
		return path + "?namespace=shared&key=k", nil
	case "DELETE /store/items":
		return path, map[string]any{"namespace": []string{"shared"}, "key": "k"}
	case "POST /store/items/search":
		return path, map[string]any{"namespace_prefix": []string{"shared"}}
	case "POST /threads/{thread_id}/state/checkpoint":
		return path, map[string]any{"checkpoint": map[string]any{"checkpoint_id": "00000000-0000-0000-0000-000000000000"}}
	case "POST /threads/{thread_id}/runs", "POST /threads/{thread_id}/runs/stream", "POST /threads/{thread_id}/runs/wait",
		"POST /runs", "POST /runs/stream", "POST /runs/wait":
		return path, map[string]any{"assistant_id": "agent", "input": map[string]any{}}
	case "POST /runs/batch":
		return path, []any{map[string]any{"assistant_id": "agent", "input": map[string]any{}}}
	case "POST /runs/crons", "POST /threads/{thread_id}/runs/crons":
		return path, map[string]any{"assistant_id": "agent", "schedule": "*/5 * * * *"}
	case "PATCH /runs/crons/{cron_id}":
		return path, map[string]any{"enabled": false}
	case "POST /runs/cancel":
		return path, map[string]any{"status": "all"}
	case "POST /a2a/{assistant_id}":
		return path, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": map[string]any{
			"message": map[string]any{"kind": "message", "messageId": "m1", "role": "user", "contextId": threadID,
				"parts": []any{map[string]any{"kind": "text", "text": "hello"}}}}}
	case "GET /.well-known/agent-card.json":
		return path + "?assistant_id=" + assistantID, nil
	case "POST /threads/{thread_id}/state":
		return path, map[string]any{"values": map[string]any{"s": "overwritten"}}
	case "POST /mcp":
		return path, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
	}
	return path, map[string]any{}
}

// mcpAccept is the Accept header MCP's Streamable HTTP requires.
const mcpAccept = "application/json, text/event-stream"

// fixtureHeaders adds to hdr what the route's fixture request needs.
func fixtureHeaders(rt Route, hdr ...string) []string {
	if rt.Pattern == "/mcp" {
		return append(append([]string{}, hdr...), "Accept", mcpAccept)
	}
	return hdr
}

// TestIsolation runs every protected route as bob against alice's thread,
// assistant and store item: nothing of alice's may show up in a response,
// and afterwards alice's data must be unchanged.
func TestIsolation(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newOwnerServer(t, st)
		checkIsolation(t, ts, []string{"X-User", "alice"}, []string{"X-User", "bob"})
	})
}

// checkIsolation seeds alice's data, runs every protected route as bob
// against it, and checks that nothing leaked or changed.
func checkIsolation(t *testing.T, ts *testServer, alice, bob []string) {
	t.Helper()
	a := seedAlice(t, ts, alice...)
	for _, rt := range ts.srv.Routes() {
		if !rt.Protected {
			continue
		}
		path, body := fixture(rt, a.thread.ThreadID, a.assistant.AssistantID)
		r := ts.do(rt.Method, path, body, fixtureHeaders(rt, bob...)...)
		if strings.Contains(string(r.body), secret) {
			t.Errorf("%s %s as bob leaked alice's data: %d %s", rt.Method, rt.Pattern, r.status, r.body)
		}
		if rt.Method == "GET" && strings.Contains(rt.Pattern, "{") && r.status/100 == 2 {
			t.Errorf("%s %s as bob: status %d on alice's resource", rt.Method, rt.Pattern, r.status)
		}
	}
	// Alice's data is intact.
	var th storage.Thread
	ts.ok(200, "GET", "/threads/"+a.thread.ThreadID, nil, alice...).json(t, &th)
	if th.Metadata["s"] != secret || th.Metadata["owner"] != "alice" {
		t.Fatalf("alice's thread changed: %+v", th)
	}
	var st stateResp
	ts.ok(200, "GET", "/threads/"+a.thread.ThreadID+"/state", nil, alice...).json(t, &st)
	if st.Values["note"] != secret {
		t.Fatalf("alice's state changed: %+v", st.Values)
	}
	var as storage.Assistant
	ts.ok(200, "GET", "/assistants/"+a.assistant.AssistantID, nil, alice...).json(t, &as)
	if as.Metadata["s"] != secret || as.Version != 1 || as.Name != secret {
		t.Fatalf("alice's assistant changed: %+v", as)
	}
	var it storage.Item
	ts.ok(200, "GET", "/store/items?namespace=shared&key=k", nil, alice...).json(t, &it)
	if it.Value["s"] != secret || strings.Join(it.Namespace, ".") != "alice.shared" {
		t.Fatalf("alice's item changed: %+v", it)
	}
}

func TestIsolationStatuses(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newOwnerServer(t, st)
		a := seedAlice(t, ts)
		tid, aid := a.thread.ThreadID, a.assistant.AssistantID
		bob := []string{"X-User", "bob"}

		// Unauthenticated requests never reach a handler; meta routes stay open.
		r := ts.ok(401, "GET", "/threads/"+tid, nil)
		if r.header.Get("WWW-Authenticate") != "Bearer" {
			t.Fatalf("401 headers %v", r.header)
		}
		ts.ok(200, "GET", "/ok", nil)
		ts.ok(200, "GET", "/info", nil)

		// Stamping: the creator becomes the owner, and cannot give it away.
		if a.thread.Metadata["owner"] != "alice" || a.assistant.Metadata["owner"] != "alice" {
			t.Fatalf("owner not stamped: %+v %+v", a.thread.Metadata, a.assistant.Metadata)
		}
		var th storage.Thread
		ts.ok(200, "PATCH", "/threads/"+tid, map[string]any{"metadata": map[string]any{"owner": "bob"}}, "X-User", "alice").json(t, &th)
		if th.Metadata["owner"] != "alice" {
			t.Fatalf("owner overwritten: %+v", th.Metadata)
		}

		// Threads.
		ts.ok(404, "GET", "/threads/"+tid, nil, bob...)
		ts.ok(404, "PATCH", "/threads/"+tid, map[string]any{"metadata": map[string]any{}}, bob...)
		ts.ok(404, "DELETE", "/threads/"+tid, nil, bob...)
		ts.ok(409, "POST", "/threads/"+tid+"/copy", nil, bob...)
		ts.ok(409, "POST", "/threads", map[string]any{"thread_id": tid, "if_exists": "do_nothing"}, bob...)
		ts.ok(404, "POST", "/threads/prune", map[string]any{"thread_ids": []string{tid}}, bob...)
		var list []storage.Thread
		ts.ok(200, "POST", "/threads/search", map[string]any{}, bob...).json(t, &list)
		if len(list) != 0 {
			t.Fatalf("bob sees %d threads", len(list))
		}
		var n int
		ts.ok(200, "POST", "/threads/count", map[string]any{}, bob...).json(t, &n)
		if n != 0 {
			t.Fatalf("bob counts %d threads", n)
		}
		mine := ts.createThread(nil, bob...)
		ts.ok(200, "POST", "/threads/search", map[string]any{}, bob...).json(t, &list)
		if len(list) != 1 || list[0].ThreadID != mine.ThreadID {
			t.Fatalf("bob's search %+v", list)
		}
		var cp storage.Thread
		ts.ok(200, "POST", "/threads/"+mine.ThreadID+"/copy", nil, bob...).json(t, &cp)
		if cp.Metadata["owner"] != "bob" {
			t.Fatalf("copy owner %+v", cp.Metadata)
		}

		// Thread state.
		ts.ok(404, "GET", "/threads/"+tid+"/state", nil, bob...)
		ts.ok(404, "GET", "/threads/"+tid+"/history", nil, bob...)
		ts.ok(404, "POST", "/threads/"+tid+"/history", map[string]any{}, bob...)
		ts.ok(404, "POST", "/threads/"+tid+"/state", map[string]any{"values": map[string]any{"note": "x"}}, bob...)

		// Assistants, including the graphs' system assistants (no owner).
		ts.ok(404, "GET", "/assistants/"+aid, nil, bob...)
		ts.ok(404, "GET", "/assistants/agent", nil, bob...)
		ts.ok(404, "PATCH", "/assistants/"+aid, map[string]any{"name": "x"}, bob...)
		ts.ok(404, "DELETE", "/assistants/"+aid, nil, bob...)
		ts.ok(404, "POST", "/assistants/"+aid+"/versions", map[string]any{}, bob...)
		ts.ok(404, "POST", "/assistants/"+aid+"/latest", map[string]any{"version": 1}, bob...)
		ts.ok(409, "POST", "/assistants", map[string]any{"graph_id": "agent", "assistant_id": aid, "if_exists": "do_nothing"}, bob...)
		var al []storage.Assistant
		ts.ok(200, "POST", "/assistants/search", map[string]any{}, bob...).json(t, &al)
		if len(al) != 0 {
			t.Fatalf("bob sees assistants %+v", al)
		}
		ts.ok(200, "POST", "/assistants/count", map[string]any{}, bob...).json(t, &n)
		if n != 0 {
			t.Fatalf("bob counts %d assistants", n)
		}
		ts.ok(200, "POST", "/assistants/search", map[string]any{}, "X-User", "alice").json(t, &al)
		if len(al) != 1 || al[0].AssistantID != aid {
			t.Fatalf("alice's assistants %+v", al)
		}

		// Store: bob's namespace is his own.
		if r := ts.ok(200, "GET", "/store/items?namespace=shared&key=k", nil, bob...); string(r.body) != "null" {
			t.Fatalf("bob reads %s", r.body)
		}
		ts.ok(204, "PUT", "/store/items", map[string]any{"namespace": []string{"shared"}, "key": "k", "value": map[string]any{"mine": true}}, bob...)
		var sr struct {
			Items []storage.Item `json:"items"`
		}
		ts.ok(200, "POST", "/store/items/search", map[string]any{"namespace_prefix": []string{}}, bob...).json(t, &sr)
		if len(sr.Items) != 1 || sr.Items[0].Namespace[0] != "bob" {
			t.Fatalf("bob's search %+v", sr.Items)
		}
		var nr struct {
			Namespaces [][]string `json:"namespaces"`
		}
		ts.ok(200, "POST", "/store/namespaces", map[string]any{}, bob...).json(t, &nr)
		if len(nr.Namespaces) != 1 || strings.Join(nr.Namespaces[0], ".") != "bob.shared" {
			t.Fatalf("bob's namespaces %v", nr.Namespaces)
		}
		ts.ok(204, "DELETE", "/store/items", map[string]any{"namespace": []string{"shared"}, "key": "k"}, bob...)
		var it storage.Item
		ts.ok(200, "GET", "/store/items?namespace=shared&key=k", nil, "X-User", "alice").json(t, &it)
		if it.Value["s"] != secret {
			t.Fatalf("alice's item after bob's delete: %+v", it)
		}
	})
}

func TestStateUpdateNeedsUpdatePermission(t *testing.T) {
	a := viewerAuth{}
	ts := newTestServer(t, Options{Authenticator: a, Authorizer: a})
	var th storage.Thread
	ts.ok(200, "POST", "/threads", map[string]any{"metadata": map[string]any{"graph_id": "agent"}}, "X-User", "alice").json(t, &th)
	p := "/threads/" + th.ThreadID
	ts.ok(200, "POST", p+"/state", map[string]any{"values": map[string]any{"note": "mine"}}, "X-User", "alice")
	ts.ok(200, "GET", p+"/state", nil, "X-User", "bob")
	ts.ok(403, "POST", p+"/state", map[string]any{"values": map[string]any{"note": "bob's"}}, "X-User", "bob")
	var st stateResp
	ts.ok(200, "GET", p+"/state", nil, "X-User", "alice").json(t, &st)
	if st.Values["note"] != "mine" {
		t.Fatalf("state changed by bob: %+v", st.Values)
	}
}
