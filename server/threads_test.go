package server

import (
	"testing"

	"github.com/agentgate/agentgate/storage"
)

func TestThreadLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newTestServer(t, Options{Store: st})
		var th storage.Thread
		ts.ok(200, "POST", "/threads", map[string]any{"metadata": map[string]any{"a": 1}, "graph_id": "agent"}).json(t, &th)
		if th.Status != "idle" || th.Metadata["a"] != 1.0 || th.Metadata["graph_id"] != "agent" || th.Values != nil {
			t.Fatalf("created %+v", th)
		}
		path := "/threads/" + th.ThreadID

		// Explicit id, conflict, do_nothing.
		id := "11111111-2222-3333-4444-555555555555"
		ts.ok(200, "POST", "/threads", map[string]any{"thread_id": id, "metadata": map[string]any{"v": 1}})
		ts.ok(409, "POST", "/threads", map[string]any{"thread_id": id})
		var again storage.Thread
		ts.ok(200, "POST", "/threads", map[string]any{"thread_id": id, "if_exists": "do_nothing", "metadata": map[string]any{"v": 2}}).json(t, &again)
		if again.Metadata["v"] != 1.0 {
			t.Fatalf("do_nothing changed the thread: %+v", again)
		}
		// Empty body is allowed.
		ts.ok(200, "POST", "/threads", nil)

		var got storage.Thread
		ts.ok(200, "GET", path, nil).json(t, &got)
		if got.ThreadID != th.ThreadID {
			t.Fatalf("get %+v", got)
		}

		// Patch merges metadata; Prefer: return=minimal gives no body.
		var p storage.Thread
		ts.ok(200, "PATCH", path, map[string]any{"metadata": map[string]any{"b": "x"}}).json(t, &p)
		if p.Metadata["a"] != 1.0 || p.Metadata["b"] != "x" {
			t.Fatalf("patched %+v", p)
		}
		r := ts.ok(204, "PATCH", path, map[string]any{"metadata": map[string]any{"c": true}}, "Prefer", "return=minimal")
		if len(r.body) != 0 {
			t.Fatalf("minimal body %q", r.body)
		}
		ts.ok(200, "GET", path, nil).json(t, &got)
		if got.Metadata["c"] != true {
			t.Fatalf("minimal patch lost: %+v", got)
		}
		ts.ok(404, "PATCH", "/threads/00000000-0000-0000-0000-000000000009", map[string]any{"metadata": map[string]any{}})

		// Copy.
		var cp storage.Thread
		ts.ok(200, "POST", path+"/copy", nil).json(t, &cp)
		if cp.ThreadID == th.ThreadID || cp.Metadata["b"] != "x" || cp.Status != "idle" {
			t.Fatalf("copy %+v", cp)
		}
		ts.ok(409, "POST", "/threads/00000000-0000-0000-0000-000000000009/copy", nil)

		// TTL shows only with include=ttl.
		var withTTL storage.Thread
		ts.ok(200, "POST", "/threads", map[string]any{"ttl": map[string]any{"ttl": 60}}).json(t, &withTTL)
		var g1, g2 map[string]any
		ts.ok(200, "GET", "/threads/"+withTTL.ThreadID, nil).json(t, &g1)
		ts.ok(200, "GET", "/threads/"+withTTL.ThreadID+"?include=values,ttl", nil).json(t, &g2)
		if g1["ttl"] != nil || g2["ttl"] == nil {
			t.Fatalf("ttl without/with include: %v / %v", g1["ttl"], g2["ttl"])
		}
		ts.ok(422, "POST", "/threads", map[string]any{"ttl": map[string]any{"ttl": 0}})
		ts.ok(422, "POST", "/threads", map[string]any{"ttl": map[string]any{"ttl": 5, "strategy": "archive"}})

		// Delete.
		ts.ok(204, "DELETE", path, nil)
		ts.ok(404, "GET", path, nil)
		ts.ok(404, "DELETE", path, nil)
		ts.ok(200, "GET", "/threads/"+cp.ThreadID, nil)
	})
}

func TestThreadSearch(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newTestServer(t, Options{Store: st})
		var ids []string
		for i := 0; i < 5; i++ {
			th := ts.createThread(map[string]any{"n": i, "even": i%2 == 0})
			ids = append(ids, th.ThreadID)
		}
		r := ts.ok(200, "POST", "/threads/search", map[string]any{"limit": 2})
		var page []storage.Thread
		r.json(t, &page)
		if len(page) != 2 || r.header.Get("X-Pagination-Next") != "2" || r.header.Get("X-Pagination-Total") != "3" {
			t.Fatalf("page: %d, %v", len(page), r.header)
		}
		// Default order: updated_at desc.
		if page[0].ThreadID != ids[4] || page[1].ThreadID != ids[3] {
			t.Fatalf("order %v", []string{page[0].ThreadID, page[1].ThreadID})
		}
		r = ts.ok(200, "POST", "/threads/search", map[string]any{"limit": 2, "offset": 4})
		r.json(t, &page)
		if len(page) != 1 || r.header.Get("X-Pagination-Next") != "" || r.header.Get("X-Pagination-Total") != "5" {
			t.Fatalf("last page: %d, %v", len(page), r.header)
		}
		ts.ok(200, "POST", "/threads/search", map[string]any{"sort_by": "created_at", "sort_order": "asc"}).json(t, &page)
		if len(page) != 5 || page[0].ThreadID != ids[0] {
			t.Fatalf("asc order wrong")
		}
		ts.ok(200, "POST", "/threads/search", map[string]any{"metadata": map[string]any{"even": true}}).json(t, &page)
		if len(page) != 3 {
			t.Fatalf("metadata filter: %d", len(page))
		}
		ts.ok(200, "POST", "/threads/search", map[string]any{"ids": []string{ids[1], ids[2]}}).json(t, &page)
		if len(page) != 2 {
			t.Fatalf("ids filter: %d", len(page))
		}
		ts.ok(200, "POST", "/threads/search", map[string]any{"status": "busy"}).json(t, &page)
		if len(page) != 0 || page == nil {
			t.Fatalf("status filter: %v", page)
		}
		var sel []map[string]any
		ts.ok(200, "POST", "/threads/search", map[string]any{"select": []string{"thread_id"}, "limit": 1}).json(t, &sel)
		if len(sel) != 1 || len(sel[0]) != 1 {
			t.Fatalf("select %v", sel)
		}
		var n int
		ts.ok(200, "POST", "/threads/count", map[string]any{"metadata": map[string]any{"even": false}}).json(t, &n)
		if n != 2 {
			t.Fatalf("count %d", n)
		}
		ts.ok(200, "POST", "/threads/count", nil).json(t, &n)
		if n != 5 {
			t.Fatalf("count all %d", n)
		}
	})
}

func TestThreadPrune(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newTestServer(t, Options{Store: st})
		a, b := ts.createThread(nil), ts.createThread(nil)
		var res map[string]int
		ts.ok(200, "POST", "/threads/prune", map[string]any{"thread_ids": []string{a.ThreadID}}).json(t, &res)
		if res["pruned_count"] != 1 {
			t.Fatalf("pruned %v", res)
		}
		ts.ok(404, "GET", "/threads/"+a.ThreadID, nil)
		// A missing thread prunes nothing.
		ts.ok(404, "POST", "/threads/prune", map[string]any{"thread_ids": []string{b.ThreadID, a.ThreadID}})
		ts.ok(200, "GET", "/threads/"+b.ThreadID, nil)
		ts.ok(200, "POST", "/threads/prune", map[string]any{"thread_ids": []string{b.ThreadID}, "strategy": "keep_latest"}).json(t, &res)
		ts.ok(200, "GET", "/threads/"+b.ThreadID, nil)
		ts.ok(422, "POST", "/threads/prune", map[string]any{"thread_ids": []string{"x"}})
		ts.ok(422, "POST", "/threads/prune", map[string]any{})
		ts.ok(422, "POST", "/threads/prune", map[string]any{"thread_ids": []string{}, "strategy": "all"})
		ts.ok(200, "POST", "/threads/prune", map[string]any{"thread_ids": []string{}}).json(t, &res)
		if res["pruned_count"] != 0 {
			t.Fatalf("pruned %v", res)
		}
	})
}
