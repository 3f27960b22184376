package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

func TestStoreItems(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newTestServer(t, Options{Store: st})
		put := func(ns []string, key string, value map[string]any) {
			t.Helper()
			r := ts.ok(204, "PUT", "/store/items", map[string]any{"namespace": ns, "key": key, "value": value})
			if len(r.body) != 0 {
				t.Fatalf("204 with body %q", r.body)
			}
		}
		put([]string{"users", "u1"}, "prefs", map[string]any{"theme": "dark", "n": 1})
		put([]string{"users", "u1"}, "notes", map[string]any{"text": "hi", "n": 2})
		put([]string{"users", "u2"}, "prefs", map[string]any{"theme": "light", "n": 3})
		put([]string{"docs"}, "d1", map[string]any{"n": 4})

		var it storage.Item
		ts.ok(200, "GET", "/store/items?namespace=users.u1&key=prefs", nil).json(t, &it)
		if it.Key != "prefs" || it.Value["theme"] != "dark" || len(it.Namespace) != 2 || it.Namespace[1] != "u1" {
			t.Fatalf("item %+v", it)
		}
		if r := ts.ok(200, "GET", "/store/items?namespace=users.u1&key=nope", nil); string(r.body) != "null" {
			t.Fatalf("missing item: %s", r.body)
		}

		// Upsert.
		put([]string{"users", "u1"}, "prefs", map[string]any{"theme": "blue", "n": 1})
		ts.ok(200, "GET", "/store/items?namespace=users.u1&key=prefs", nil).json(t, &it)
		if it.Value["theme"] != "blue" {
			t.Fatalf("upsert %+v", it)
		}

		var sr struct {
			Items []storage.Item `json:"items"`
		}
		ts.ok(200, "POST", "/store/items/search", map[string]any{"namespace_prefix": []string{"users"}}).json(t, &sr)
		if len(sr.Items) != 3 {
			t.Fatalf("search %d", len(sr.Items))
		}
		ts.ok(200, "POST", "/store/items/search", map[string]any{"namespace_prefix": []string{"users"}, "filter": map[string]any{"theme": "light"}}).json(t, &sr)
		if len(sr.Items) != 1 || sr.Items[0].Key != "prefs" {
			t.Fatalf("filtered search %+v", sr.Items)
		}
		ts.ok(200, "POST", "/store/items/search", map[string]any{"namespace_prefix": []string{"users"}, "filter": map[string]any{"n": map[string]any{"$gte": 2}}, "limit": 1}).json(t, &sr)
		if len(sr.Items) != 1 {
			t.Fatalf("limit %d", len(sr.Items))
		}
		ts.ok(200, "POST", "/store/items/search", map[string]any{"namespace_prefix": []string{"nothing"}}).json(t, &sr)
		if sr.Items == nil || len(sr.Items) != 0 {
			t.Fatalf("empty search %+v", sr.Items)
		}
		ts.ok(422, "POST", "/store/items/search", map[string]any{"limit": 0})

		var nr struct {
			Namespaces [][]string `json:"namespaces"`
		}
		ts.ok(200, "POST", "/store/namespaces", map[string]any{}).json(t, &nr)
		if len(nr.Namespaces) != 3 {
			t.Fatalf("namespaces %v", nr.Namespaces)
		}
		ts.ok(200, "POST", "/store/namespaces", map[string]any{"prefix": []string{"users"}, "max_depth": 1}).json(t, &nr)
		if len(nr.Namespaces) != 1 || len(nr.Namespaces[0]) != 1 {
			t.Fatalf("max_depth %v", nr.Namespaces)
		}
		ts.ok(200, "POST", "/store/namespaces", map[string]any{"suffix": []string{"u2"}}).json(t, &nr)
		if len(nr.Namespaces) != 1 {
			t.Fatalf("suffix %v", nr.Namespaces)
		}
		ts.ok(422, "POST", "/store/namespaces", map[string]any{"prefix": []string{""}})
		ts.ok(422, "POST", "/store/namespaces", map[string]any{"max_depth": 0})

		ts.ok(204, "DELETE", "/store/items", map[string]any{"namespace": []string{"users", "u1"}, "key": "prefs"})
		if r := ts.ok(200, "GET", "/store/items?namespace=users.u1&key=prefs", nil); string(r.body) != "null" {
			t.Fatalf("deleted item: %s", r.body)
		}
		ts.ok(422, "DELETE", "/store/items", map[string]any{"namespace": []string{"users"}})
		ts.ok(422, "PUT", "/store/items", map[string]any{"namespace": []string{"a"}, "key": "k"})
		ts.ok(422, "PUT", "/store/items", map[string]any{"namespace": []string{"a"}, "value": map[string]any{}})
	})
}

func TestStoreTTL(t *testing.T) {
	ts := newTestServer(t, Options{})
	ts.ok(204, "PUT", "/store/items", map[string]any{"namespace": []string{"a"}, "key": "k", "value": map[string]any{"x": 1}, "ttl": 5})
	ts.ok(200, "GET", "/store/items?namespace=a&key=k&refresh_ttl=true", nil)
	ts.ok(422, "PUT", "/store/items", map[string]any{"namespace": []string{"a"}, "key": "k", "value": map[string]any{}, "ttl": -1})
	ts.ok(422, "GET", "/store/items?namespace=a&key=k&refresh_ttl=perhaps", nil)
}

// badRewrite rewrites every store namespace into an invalid one.
type badRewrite struct{}

func (badRewrite) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	switch sv := v.(type) {
	case *auth.StorePut:
		sv.Namespace = []string{"a.b"}
	case *auth.StoreGet:
		sv.Namespace = []string{""}
	case *auth.StoreDelete:
		sv.Namespace = []string{"x", "y.z"}
	case *auth.StoreSearch:
		sv.Namespace = []string{"."}
	case *auth.StoreListNamespaces:
		sv.Suffix = []string{""}
	}
	return allowAll{}.Authorize(ctx, v)
}

func TestStoreRewrittenNamespaceIsValidated(t *testing.T) {
	ts := newTestServer(t, Options{Authorizer: badRewrite{}})
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/store/items", map[string]any{"namespace": []string{"ok"}, "key": "k", "value": map[string]any{}}},
		{"GET", "/store/items?namespace=ok&key=k", nil},
		{"DELETE", "/store/items", map[string]any{"namespace": []string{"ok"}, "key": "k"}},
		{"POST", "/store/items/search", map[string]any{"namespace_prefix": []string{"ok"}}},
		{"POST", "/store/namespaces", map[string]any{}},
	} {
		r := ts.do(c.method, c.path, c.body)
		if r.status != 422 || !strings.HasPrefix(r.detail(t), "Namespace labels cannot be empty or contain periods") {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
}

func TestSweeperDeletesExpiredThreadsAndItems(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newTestServer(t, Options{Store: st, SweepInterval: 20 * time.Millisecond})
		var short, long storage.Thread
		ts.ok(200, "POST", "/threads", map[string]any{"ttl": map[string]any{"ttl": 0.002}}).json(t, &short) // 120 ms
		ts.ok(200, "POST", "/threads", map[string]any{"ttl": map[string]any{"ttl": 60}}).json(t, &long)
		var huge storage.Thread // its expiry must not overflow into the past
		ts.ok(200, "POST", "/threads", map[string]any{"ttl": map[string]any{"ttl": 1e300}}).json(t, &huge)
		deadline := time.Now().Add(10 * time.Second)
		for ts.do("GET", "/threads/"+short.ThreadID, nil).status != 404 {
			if time.Now().After(deadline) {
				t.Fatal("the expired thread was not swept within 10 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		ts.ok(200, "GET", "/threads/"+long.ThreadID, nil)
		ts.ok(200, "GET", "/threads/"+huge.ThreadID, nil)
		// The sweep logs after its transaction, which the 404 already saw.
		for !strings.Contains(ts.logs.String(), "swept expired threads and store items") {
			if time.Now().After(deadline) {
				t.Fatalf("no sweep log line:\n%s", ts.logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestStoreDefaultTTLAndRefresh(t *testing.T) {
	ts := newTestServer(t, Options{Items: ItemsOptions{DefaultTTL: 400 * time.Millisecond}})
	put := func(key string, ttl ...any) {
		body := map[string]any{"namespace": []string{"a"}, "key": key, "value": map[string]any{"x": 1}}
		if len(ttl) > 0 {
			body["ttl"] = ttl[0]
		}
		ts.ok(204, "PUT", "/store/items", body)
	}
	get := func(key string, q string) bool {
		var it map[string]any
		ts.ok(200, "GET", "/store/items?namespace=a&key="+key+q, nil).json(t, &it)
		return it != nil
	}
	put("default")
	put("forever", nil)
	put("zero", 0)
	put("refreshed")
	// Reads refresh by default (store.ttl.refresh_on_read); refresh_ttl=false does not.
	put("unrefreshed")
	for range 12 {
		time.Sleep(50 * time.Millisecond)
		if !get("refreshed", "") {
			t.Fatal("an item read every 50 ms expired although reads refresh its 400 ms TTL")
		}
		get("unrefreshed", "&refresh_ttl=false")
	}
	if get("default", "&refresh_ttl=false") || get("unrefreshed", "&refresh_ttl=false") {
		t.Error("items put without ttl did not get the 400 ms default")
	}
	if !get("forever", "") || !get("zero", "") {
		t.Error(`"ttl": null or 0 must keep the item`)
	}
	ts.ok(422, "PUT", "/store/items", map[string]any{"namespace": []string{"a"}, "key": "k", "value": map[string]any{}, "ttl": "soon"})

	ts = newTestServer(t, Options{Items: ItemsOptions{DefaultTTL: 300 * time.Millisecond, NoRefreshOnRead: true}})
	put("k")
	time.Sleep(200 * time.Millisecond)
	get("k", "")
	time.Sleep(200 * time.Millisecond)
	if get("k", "") {
		t.Error("with refresh_on_read off a plain read extended the TTL")
	}
}

func TestStoreTTLHuge(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		ts := newTestServer(t, Options{Store: st})
		for _, ttl := range []float64{1e300, 60 * 24 * 365 * 200} {
			ts.ok(204, "PUT", "/store/items", map[string]any{"namespace": []string{"a"}, "key": "k", "value": map[string]any{"x": 1}, "ttl": ttl})
			var it map[string]any
			ts.ok(200, "GET", "/store/items?namespace=a&key=k", nil).json(t, &it)
			if it == nil {
				t.Fatalf("an item with ttl %g minutes expired at once (overflow)", ttl)
			}
		}
	})
}
