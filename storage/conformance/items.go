package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/agentgate/agentgate/storage"
)

func itemTests() []test {
	return []test{
		{"ItemPutGet", testItemPutGet},
		{"ItemValidation", testItemValidation},
		{"ItemDelete", testItemDelete},
		{"ItemSearchPrefix", testItemSearchPrefix},
		{"ItemSearchFilter", testItemSearchFilter},
		{"ItemSearchOrder", testItemSearchOrder},
		{"ItemListNamespaces", testItemListNamespaces},
		{"ItemTTL", testItemTTL},
		{"ItemScope", testItemScope},
	}
}

func put(t *testing.T, s storage.Store, sc storage.Scope, ns string, key string, v map[string]any) {
	t.Helper()
	must(t, s.Items().Put(ctx(), sc, storage.ItemPut{Namespace: strings.Split(ns, "."), Key: key, Value: v}))
}

func itemNames(items []storage.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = strings.Join(it.Namespace, ".") + "/" + it.Key
	}
	return out
}

func testItemPutGet(t *testing.T, s storage.Store) {
	is := s.Items()
	v := map[string]any{"text": "hello", "n": 1, "nested": map[string]any{"list": []any{true, nil}}}
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: []string{"users", "u1"}, Key: "k1", Value: v}))
	v["text"] = "changed"
	it := val(is.Get(ctx(), all(), []string{"users", "u1"}, "k1", false)).get(t)
	want := storage.Item{
		Namespace: []string{"users", "u1"}, Key: "k1",
		Value:     map[string]any{"text": "hello", "n": 1.0, "nested": map[string]any{"list": []any{true, nil}}},
		CreatedAt: it.CreatedAt, UpdatedAt: it.CreatedAt,
	}
	if diff := cmp.Diff(want, it); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	if it.CreatedAt.IsZero() {
		t.Error("created_at is zero")
	}
	it.Value["text"] = "changed"
	it.Namespace[0] = "x"
	if got := val(is.Get(ctx(), all(), []string{"users", "u1"}, "k1", false)).get(t); got.Value["text"] != "hello" {
		t.Error("stored item aliased by a returned one")
	}
	// Put again: an upsert keeping created_at.
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: []string{"users", "u1"}, Key: "k1", Value: map[string]any{"text": "bye"}}))
	up := val(is.Get(ctx(), all(), []string{"users", "u1"}, "k1", false)).get(t)
	if diff := cmp.Diff(map[string]any{"text": "bye"}, up.Value); diff != "" {
		t.Errorf("upserted value (-want +got):\n%s", diff)
	}
	if !up.CreatedAt.Equal(it.CreatedAt) || !up.UpdatedAt.After(it.UpdatedAt) {
		t.Errorf("upsert timestamps: created %v→%v updated %v→%v", it.CreatedAt, up.CreatedAt, it.UpdatedAt, up.UpdatedAt)
	}
	// Keys and namespaces are exact.
	for _, q := range []struct {
		ns  []string
		key string
	}{{[]string{"users"}, "k1"}, {[]string{"users", "u1", "x"}, "k1"}, {[]string{"users", "u1"}, "K1"}, {[]string{"users", "u2"}, "k1"}} {
		_, err := is.Get(ctx(), all(), q.ns, q.key, false)
		isErr(t, err, storage.ErrNotFound, "Get "+strings.Join(q.ns, ".")+"/"+q.key)
	}
	// Nil value is stored as an empty object; odd characters are kept.
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: []string{"a_%", "ü 'x\""}, Key: "k/ %_'\"", Value: nil}))
	odd := val(is.Get(ctx(), all(), []string{"a_%", "ü 'x\""}, "k/ %_'\"", false)).get(t)
	if odd.Value == nil || len(odd.Value) != 0 {
		t.Errorf("nil value stored as %#v", odd.Value)
	}
}

func testItemValidation(t *testing.T, s storage.Store) {
	is := s.Items()
	bad := [][]string{{""}, {"a", ""}, {"a.b"}, {"a", "b."}}
	for _, ns := range bad {
		what := "namespace " + strings.Join(ns, "|")
		isErr(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: ns, Key: "k", Value: map[string]any{}}), storage.ErrInvalid, "Put "+what)
		_, err := is.Get(ctx(), all(), ns, "k", false)
		isErr(t, err, storage.ErrInvalid, "Get "+what)
		isErr(t, is.Delete(ctx(), all(), ns, "k"), storage.ErrInvalid, "Delete "+what)
		_, err = is.Search(ctx(), all(), storage.ItemSearch{Prefix: ns})
		isErr(t, err, storage.ErrInvalid, "Search "+what)
		_, err = is.ListNamespaces(ctx(), all(), storage.NamespaceList{Prefix: ns})
		isErr(t, err, storage.ErrInvalid, "ListNamespaces prefix "+what)
		_, err = is.ListNamespaces(ctx(), all(), storage.NamespaceList{Suffix: ns})
		isErr(t, err, storage.ErrInvalid, "ListNamespaces suffix "+what)
	}
	isErr(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: nil, Key: "k", Value: map[string]any{}}), storage.ErrInvalid, "Put without namespace")
	isErr(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: []string{"a"}, Key: "", Value: map[string]any{}}), storage.ErrInvalid, "Put without key")
	neg := -time.Second
	isErr(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: []string{"a"}, Key: "k", Value: map[string]any{}, TTL: &neg}), storage.ErrInvalid, "Put with negative ttl")
	_, err := is.Search(ctx(), all(), storage.ItemSearch{Filter: map[string]any{"x": map[string]any{"$regex": "a"}}})
	isErr(t, err, storage.ErrInvalid, "unknown filter operator")
	_, err = is.Search(ctx(), all(), storage.ItemSearch{Filter: map[string]any{"x": map[string]any{"$gt": true}}})
	isErr(t, err, storage.ErrInvalid, "$gt on a boolean")
	_, err = is.Search(ctx(), all(), storage.ItemSearch{Limit: -1})
	isErr(t, err, storage.ErrInvalid, "negative limit")
	_, err = is.ListNamespaces(ctx(), all(), storage.NamespaceList{MaxDepth: -1})
	isErr(t, err, storage.ErrInvalid, "negative max_depth")
	// "*" is a wildcard only in list patterns.
	_, err = is.ListNamespaces(ctx(), all(), storage.NamespaceList{Prefix: []string{"*", "a"}, Suffix: []string{"*"}})
	must(t, err)
	// Nothing was written by the refused calls.
	if got := val(is.Search(ctx(), all(), storage.ItemSearch{})).get(t); len(got) != 0 {
		t.Errorf("refused puts stored %v", itemNames(got))
	}
}

func testItemDelete(t *testing.T, s storage.Store) {
	is := s.Items()
	put(t, s, all(), "a.b", "k1", map[string]any{"x": 1})
	put(t, s, all(), "a.b", "k2", map[string]any{"x": 2})
	must(t, is.Delete(ctx(), all(), []string{"a", "b"}, "k1"))
	_, err := is.Get(ctx(), all(), []string{"a", "b"}, "k1", false)
	isErr(t, err, storage.ErrNotFound, "Get deleted")
	must(t, is.Delete(ctx(), all(), []string{"a", "b"}, "k1")) // deleting a missing item is fine
	if _, err := is.Get(ctx(), all(), []string{"a", "b"}, "k2", false); err != nil {
		t.Errorf("sibling deleted: %v", err)
	}
	// A deleted item can be put again, as new.
	put(t, s, all(), "a.b", "k1", map[string]any{"x": 3})
	if got := val(is.Get(ctx(), all(), []string{"a", "b"}, "k1", false)).get(t); got.Value["x"] != 3.0 {
		t.Errorf("re-put value = %v", got.Value)
	}
}

func testItemSearchPrefix(t *testing.T, s storage.Store) {
	for _, ns := range []string{"a.b", "a.b.c", "a.bc", "a", "ab", "a_.b", "a%", "x.a.b"} {
		put(t, s, all(), ns, "k", map[string]any{"ns": ns})
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"a.b", []string{"a.b/k", "a.b.c/k"}},
		{"a", []string{"a.b/k", "a.b.c/k", "a.bc/k", "a/k"}},
		{"a.b.c", []string{"a.b.c/k"}},
		{"a_", []string{"a_.b/k"}},
		{"a%", []string{"a%/k"}},
		{"b", nil},
		{"", []string{"a.b/k", "a.b.c/k", "a.bc/k", "a/k", "ab/k", "a_.b/k", "a%/k", "x.a.b/k"}},
	}
	for _, c := range cases {
		var prefix []string
		if c.prefix != "" {
			prefix = strings.Split(c.prefix, ".")
		}
		got := val(s.Items().Search(ctx(), all(), storage.ItemSearch{Prefix: prefix})).get(t)
		if diff := cmp.Diff(c.want, itemNames(got), cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("prefix %q (-want +got):\n%s", c.prefix, diff)
		}
	}
}

func testItemSearchFilter(t *testing.T, s storage.Store) {
	put(t, s, all(), "f", "i1", map[string]any{"n": 1, "s": "apple", "b": true, "o": map[string]any{"x": 1, "y": []any{"z"}}, "l": []any{1, 2}})
	put(t, s, all(), "f", "i2", map[string]any{"n": 2.5, "s": "banana", "b": false, "o": map[string]any{"x": 2}})
	put(t, s, all(), "f", "i3", map[string]any{"n": 10, "s": "cherry", "nul": nil})
	put(t, s, all(), "f", "i4", map[string]any{"n": "10", "s": 5, "b": 1})
	cases := []struct {
		name string
		f    map[string]any
		want []string
	}{
		{"eq number", map[string]any{"n": 1}, []string{"i1"}},
		{"eq float", map[string]any{"n": 2.5}, []string{"i2"}},
		{"eq string is not number", map[string]any{"n": "10"}, []string{"i4"}},
		{"eq number is not string", map[string]any{"n": 10}, []string{"i3"}},
		{"eq true is not 1", map[string]any{"b": true}, []string{"i1"}},
		{"eq 1 is not true", map[string]any{"b": 1}, []string{"i4"}},
		{"eq false", map[string]any{"b": false}, []string{"i2"}},
		{"eq null", map[string]any{"nul": nil}, []string{"i3"}},
		{"eq object", map[string]any{"o": map[string]any{"y": []any{"z"}, "x": 1}}, []string{"i1"}},
		{"eq object is not subset", map[string]any{"o": map[string]any{"x": 1}}, nil},
		{"eq list", map[string]any{"l": []any{1, 2}}, []string{"i1"}},
		{"$eq", map[string]any{"s": map[string]any{"$eq": "banana"}}, []string{"i2"}},
		{"$ne", map[string]any{"s": map[string]any{"$ne": "banana"}}, []string{"i1", "i3", "i4"}},
		{"$ne skips missing", map[string]any{"b": map[string]any{"$ne": true}}, []string{"i2", "i4"}},
		{"$gt number", map[string]any{"n": map[string]any{"$gt": 1}}, []string{"i2", "i3"}},
		{"$gte number", map[string]any{"n": map[string]any{"$gte": 2.5}}, []string{"i2", "i3"}},
		{"$lt number", map[string]any{"n": map[string]any{"$lt": 2.5}}, []string{"i1"}},
		{"$lte number", map[string]any{"n": map[string]any{"$lte": 2.5}}, []string{"i1", "i2"}},
		{"range", map[string]any{"n": map[string]any{"$gt": 1, "$lt": 10}}, []string{"i2"}},
		{"$gt string", map[string]any{"s": map[string]any{"$gt": "b"}}, []string{"i2", "i3"}},
		{"$lte string", map[string]any{"s": map[string]any{"$lte": "banana"}}, []string{"i1", "i2"}},
		{"$gt string skips numbers", map[string]any{"n": map[string]any{"$gt": "0"}}, []string{"i4"}},
		{"two fields", map[string]any{"n": map[string]any{"$gte": 1}, "b": false}, []string{"i2"}},
		{"missing field", map[string]any{"zzz": 1}, nil},
	}
	for _, c := range cases {
		got := val(s.Items().Search(ctx(), all(), storage.ItemSearch{Prefix: []string{"f"}, Filter: c.f})).get(t)
		if diff := cmp.Diff(c.want, itemNames(got), cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b string) bool { return a < b }), cmp.Transformer("key", func(s string) string { return strings.TrimPrefix(s, "f/") })); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func testItemSearchOrder(t *testing.T, s storage.Store) {
	is := s.Items()
	put(t, s, all(), "o", "k1", map[string]any{"i": 1})
	put(t, s, all(), "o", "k2", map[string]any{"i": 2})
	put(t, s, all(), "o.sub", "k3", map[string]any{"i": 3})
	put(t, s, all(), "o", "k1", map[string]any{"i": 4}) // k1 is now the newest
	got := val(is.Search(ctx(), all(), storage.ItemSearch{Prefix: []string{"o"}})).get(t)
	if diff := cmp.Diff([]string{"o/k1", "o.sub/k3", "o/k2"}, itemNames(got)); diff != "" {
		t.Errorf("newest update first (-want +got):\n%s", diff)
	}
	got = val(is.Search(ctx(), all(), storage.ItemSearch{Prefix: []string{"o"}, Limit: 1, Offset: 1})).get(t)
	if diff := cmp.Diff([]string{"o.sub/k3"}, itemNames(got)); diff != "" {
		t.Errorf("limit/offset (-want +got):\n%s", diff)
	}
	// A query without an index is accepted and ignored: no score.
	got = val(is.Search(ctx(), all(), storage.ItemSearch{Prefix: []string{"o"}, Query: "anything", Limit: 2})).get(t)
	if len(got) != 2 || got[0].Score != nil {
		t.Errorf("search with query = %+v", got)
	}
	if got[0].Value["i"] != 4.0 || got[0].CreatedAt.IsZero() {
		t.Errorf("search item = %+v", got[0])
	}
}

func testItemListNamespaces(t *testing.T, s storage.Store) {
	for _, ns := range []string{"a.b.c", "a.b.d", "a.x", "b.b.c", "a.b.c.e", "c"} {
		put(t, s, all(), ns, "k1", map[string]any{})
		put(t, s, all(), ns, "k2", map[string]any{})
	}
	split := func(list ...string) [][]string {
		out := [][]string{}
		for _, l := range list {
			out = append(out, strings.Split(l, "."))
		}
		return out
	}
	cases := []struct {
		name string
		q    storage.NamespaceList
		want [][]string
	}{
		{"all, sorted label by label", storage.NamespaceList{}, split("a.b.c", "a.b.c.e", "a.b.d", "a.x", "b.b.c", "c")},
		{"prefix", storage.NamespaceList{Prefix: []string{"a", "b"}}, split("a.b.c", "a.b.c.e", "a.b.d")},
		{"prefix wildcard", storage.NamespaceList{Prefix: []string{"*", "b"}}, split("a.b.c", "a.b.c.e", "a.b.d", "b.b.c")},
		{"suffix", storage.NamespaceList{Suffix: []string{"c"}}, split("a.b.c", "b.b.c", "c")},
		{"suffix wildcard", storage.NamespaceList{Suffix: []string{"b", "*"}}, split("a.b.c", "a.b.d", "b.b.c")},
		{"prefix and suffix", storage.NamespaceList{Prefix: []string{"a"}, Suffix: []string{"c"}}, split("a.b.c")},
		{"max depth dedupes", storage.NamespaceList{MaxDepth: 2}, split("a.b", "a.x", "b.b", "c")},
		{"max depth after prefix", storage.NamespaceList{Prefix: []string{"a", "b"}, MaxDepth: 3}, split("a.b.c", "a.b.d")},
		{"limit offset", storage.NamespaceList{Limit: 2, Offset: 1}, split("a.b.c.e", "a.b.d")},
		{"offset past end", storage.NamespaceList{Offset: 9}, split()},
		{"no match", storage.NamespaceList{Prefix: []string{"z"}}, split()},
		{"longer than any", storage.NamespaceList{Prefix: []string{"*", "*", "*", "*", "*"}}, split()},
	}
	for _, c := range cases {
		got := val(s.Items().ListNamespaces(ctx(), all(), c.q)).get(t)
		if diff := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	// A namespace whose items are all deleted is gone.
	must(t, s.Items().Delete(ctx(), all(), []string{"c"}, "k1"))
	must(t, s.Items().Delete(ctx(), all(), []string{"c"}, "k2"))
	got := val(s.Items().ListNamespaces(ctx(), all(), storage.NamespaceList{Suffix: []string{"c"}})).get(t)
	if diff := cmp.Diff(split("a.b.c", "b.b.c"), got); diff != "" {
		t.Errorf("after deleting c (-want +got):\n%s", diff)
	}
}

func testItemTTL(t *testing.T, s storage.Store) {
	is := s.Items()
	short, long := 50*time.Millisecond, time.Hour
	ns := []string{"ttl"}
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: ns, Key: "short", Value: map[string]any{"x": 1}, TTL: &short}))
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: ns, Key: "long", Value: map[string]any{"x": 2}, TTL: &long}))
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: []string{"ttl", "gone"}, Key: "short2", Value: map[string]any{"x": 3}, TTL: &short}))
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: ns, Key: "forever", Value: map[string]any{"x": 4}}))
	time.Sleep(3 * short)
	_, err := is.Get(ctx(), all(), ns, "short", false)
	isErr(t, err, storage.ErrNotFound, "Get expired")
	for _, k := range []string{"long", "forever"} {
		if _, err := is.Get(ctx(), all(), ns, k, true); err != nil {
			t.Errorf("Get %s: %v", k, err)
		}
	}
	got := val(is.Search(ctx(), all(), storage.ItemSearch{Prefix: ns, RefreshTTL: true})).get(t)
	if diff := cmp.Diff([]string{"ttl/forever", "ttl/long"}, itemNames(got), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("search after expiry (-want +got):\n%s", diff)
	}
	nss := val(is.ListNamespaces(ctx(), all(), storage.NamespaceList{})).get(t)
	if diff := cmp.Diff([][]string{{"ttl"}}, nss); diff != "" {
		t.Errorf("namespaces after expiry (-want +got):\n%s", diff)
	}
	must(t, is.Delete(ctx(), all(), ns, "short")) // expired counts as missing
	// Putting over an expired item makes a new one; putting without a TTL
	// removes the expiry.
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: ns, Key: "short", Value: map[string]any{"x": 5}, TTL: &short}))
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: ns, Key: "short", Value: map[string]any{"x": 6}}))
	time.Sleep(3 * short)
	if got, err := is.Get(ctx(), all(), ns, "short", false); err != nil || got.Value["x"] != 6.0 {
		t.Errorf("item put without ttl expired: %+v, %v", got, err)
	}

	// Reads with refresh push the expiry back; reads without do not.
	window := 400 * time.Millisecond
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: ns, Key: "r", Value: map[string]any{}, TTL: &window}))
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: []string{"ttl2"}, Key: "s", Value: map[string]any{}, TTL: &window}))
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: ns, Key: "n", Value: map[string]any{}, TTL: &window}))
	time.Sleep(window * 6 / 10)
	val(is.Get(ctx(), all(), ns, "r", true)).get(t)
	val(is.Get(ctx(), all(), ns, "n", false)).get(t)
	if got := val(is.Search(ctx(), all(), storage.ItemSearch{Prefix: []string{"ttl2"}, RefreshTTL: true})).get(t); len(got) != 1 {
		t.Fatalf("search ttl2 = %v", itemNames(got))
	}
	time.Sleep(window * 6 / 10)
	if _, err := is.Get(ctx(), all(), ns, "r", false); err != nil {
		t.Errorf("item after a refreshing get: %v", err)
	}
	if _, err := is.Get(ctx(), all(), []string{"ttl2"}, "s", false); err != nil {
		t.Errorf("item after a refreshing search: %v", err)
	}
	_, err = is.Get(ctx(), all(), ns, "n", false)
	isErr(t, err, storage.ErrNotFound, "item read without refresh")
}

func testItemScope(t *testing.T, s storage.Store) {
	is := s.Items()
	// The pattern of the docs: a namespace filter per user.
	alice := scope(t, map[string]any{"namespace": map[string]any{"$contains": "alice"}})
	bob := scope(t, map[string]any{"namespace": map[string]any{"$contains": "bob"}})
	put(t, s, sys(), "alice.notes", "k", map[string]any{"text": "a"})
	put(t, s, sys(), "bob.notes", "k", map[string]any{"text": "b"})
	put(t, s, sys(), "bob.todo", "k2", map[string]any{"text": "b2"})

	_, err := is.Get(ctx(), bob, []string{"alice", "notes"}, "k", false)
	isErr(t, err, storage.ErrNotFound, "Get hidden")
	isErr(t, is.Put(ctx(), bob, storage.ItemPut{Namespace: []string{"alice", "notes"}, Key: "k", Value: map[string]any{"text": "mine"}}), storage.ErrNotFound, "Put over hidden")
	isErr(t, is.Put(ctx(), bob, storage.ItemPut{Namespace: []string{"alice", "notes"}, Key: "new", Value: map[string]any{}}), storage.ErrForbidden, "Put new item outside the scope")
	isErr(t, is.Delete(ctx(), bob, []string{"alice", "notes"}, "k"), storage.ErrNotFound, "Delete hidden")
	isErr(t, is.Delete(ctx(), bob, []string{"alice", "notes"}, "missing"), storage.ErrForbidden, "Delete missing outside the scope")
	must(t, is.Delete(ctx(), bob, []string{"bob", "notes"}, "missing"))
	if got := val(is.Get(ctx(), alice, []string{"alice", "notes"}, "k", false)).get(t); got.Value["text"] != "a" {
		t.Errorf("hidden item changed: %v", got.Value)
	}
	if _, err := is.Get(ctx(), alice, []string{"alice", "notes"}, "new", false); err == nil {
		t.Error("forbidden put stored an item")
	}
	got := val(is.Search(ctx(), bob, storage.ItemSearch{})).get(t)
	if diff := cmp.Diff([]string{"bob.notes/k", "bob.todo/k2"}, itemNames(got), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("bob's search (-want +got):\n%s", diff)
	}
	got = val(is.Search(ctx(), bob, storage.ItemSearch{Limit: 1, Offset: 1})).get(t)
	if len(got) != 1 || got[0].Namespace[0] != "bob" {
		t.Errorf("bob's second page = %v", itemNames(got))
	}
	nss := val(is.ListNamespaces(ctx(), bob, storage.NamespaceList{})).get(t)
	if diff := cmp.Diff([][]string{{"bob", "notes"}, {"bob", "todo"}}, nss); diff != "" {
		t.Errorf("bob's namespaces (-want +got):\n%s", diff)
	}
	nss = val(is.ListNamespaces(ctx(), bob, storage.NamespaceList{MaxDepth: 1})).get(t)
	if diff := cmp.Diff([][]string{{"bob"}}, nss); diff != "" {
		t.Errorf("bob's top namespace (-want +got):\n%s", diff)
	}
	// A visible item can be overwritten, but not moved out of the scope.
	owned := scope(t, map[string]any{"owner": "bob"})
	put(t, s, sys(), "shared", "doc", map[string]any{"owner": "bob", "v": 1})
	must(t, is.Put(ctx(), owned, storage.ItemPut{Namespace: []string{"shared"}, Key: "doc", Value: map[string]any{"owner": "bob", "v": 2}}))
	isErr(t, is.Put(ctx(), owned, storage.ItemPut{Namespace: []string{"shared"}, Key: "doc", Value: map[string]any{"owner": "eve"}}), storage.ErrForbidden, "Put moving an item out of the scope")
	if got := val(is.Get(ctx(), owned, []string{"shared"}, "doc", false)).get(t); got.Value["v"] != 2.0 {
		t.Errorf("item after refused put: %v", got.Value)
	}
	// Filters see value fields, "key" and "namespace"; ItemDoc's fields win.
	put(t, s, sys(), "shared", "doc2", map[string]any{"owner": "eve", "key": "fake", "namespace": []any{"bob"}})
	byKey := scope(t, map[string]any{"key": "doc2"})
	if got := val(is.Search(ctx(), byKey, storage.ItemSearch{})).get(t); len(got) != 1 || got[0].Key != "doc2" {
		t.Errorf("search by key filter = %v", itemNames(got))
	}
	if _, err := is.Get(ctx(), bob, []string{"shared"}, "doc2", false); err == nil {
		t.Error("a value field named namespace overrode the real namespace")
	}
	must(t, is.Delete(ctx(), owned, []string{"shared"}, "doc"))

	// Object and list equality hold for text that JSON encoders escape.
	odd := []string{"<a&b>", "q\"x é"}
	v := map[string]any{"o": map[string]any{"s": "<&>", "n": 2}, "l": []any{"<", 1}}
	must(t, is.Put(ctx(), sys(), storage.ItemPut{Namespace: odd, Key: "k<", Value: v}))
	exact := scope(t, map[string]any{
		"namespace": map[string]any{"$eq": []any{"<a&b>", "q\"x é"}},
		"o":         map[string]any{"$eq": map[string]any{"n": 2, "s": "<&>"}},
		"l":         map[string]any{"$eq": []any{"<", 1}},
		"key":       "k<",
	})
	if _, err := is.Get(ctx(), exact, odd, "k<", false); err != nil {
		t.Errorf("Get with equality filters on escaped text: %v", err)
	}
	if got := val(is.Search(ctx(), exact, storage.ItemSearch{Filter: map[string]any{"o": map[string]any{"s": "<&>", "n": 2}}})).get(t); len(got) != 1 {
		t.Errorf("Search with equality on escaped text = %v", itemNames(got))
	}
}
