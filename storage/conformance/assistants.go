package conformance

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/agentgate/agentgate/storage"
)

func assistantTests() []test {
	return []test{
		{"AssistantCreateGet", testAssistantCreateGet},
		{"AssistantNoAliasing", testAssistantNoAliasing},
		{"AssistantVersions", testAssistantVersions},
		{"AssistantSearch", testAssistantSearch},
		{"AssistantSort", testAssistantSort},
		{"AssistantScope", testAssistantScope},
		{"AssistantVersionScope", testAssistantVersionScope},
		{"AssistantDelete", testAssistantDelete},
	}
}

func strp(s string) *string { return &s }

func assistantIDs(as []storage.Assistant) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.AssistantID
	}
	return out
}

func versionNumbers(vs []storage.AssistantVersion) []int {
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

func testAssistantCreateGet(t *testing.T, s storage.Store) {
	as := s.Assistants()
	a := val(as.Create(ctx(), all(), storage.AssistantCreate{
		AssistantID: "a1", GraphID: "agent", Name: "Helper", Description: strp("does things"),
		Config:   map[string]any{"configurable": map[string]any{"model": "x"}, "recursion_limit": 10},
		Context:  map[string]any{"lang": "en"},
		Metadata: map[string]any{"owner": "alice", "n": 1},
	})).get(t)
	want := storage.Assistant{
		AssistantID: "a1", GraphID: "agent", Name: "Helper", Description: strp("does things"),
		Config:   map[string]any{"configurable": map[string]any{"model": "x"}, "recursion_limit": 10.0},
		Context:  map[string]any{"lang": "en"},
		Metadata: map[string]any{"owner": "alice", "n": 1.0},
		Version:  1, CreatedAt: a.CreatedAt, UpdatedAt: a.CreatedAt,
	}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("Create (-want +got):\n%s", diff)
	}
	if a.CreatedAt.IsZero() || a.CreatedAt.Location().String() != "UTC" || a.CreatedAt.Nanosecond()%1000 != 0 {
		t.Errorf("created_at = %v, want a UTC time in whole microseconds", a.CreatedAt)
	}
	got := val(as.Get(ctx(), all(), "a1")).get(t)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}

	// Defaults: generated id, name, empty objects, no description.
	b := val(as.Create(ctx(), all(), storage.AssistantCreate{GraphID: "agent"})).get(t)
	if b.AssistantID == "" || b.AssistantID == "a1" || b.Name != "Untitled" || b.Description != nil || b.Version != 1 {
		t.Errorf("defaults: %+v", b)
	}
	for name, m := range map[string]map[string]any{"config": b.Config, "context": b.Context, "metadata": b.Metadata} {
		if m == nil || len(m) != 0 {
			t.Errorf("default %s = %#v, want {}", name, m)
		}
	}

	// An existing id: conflict, or the existing assistant with do_nothing.
	_, err := as.Create(ctx(), all(), storage.AssistantCreate{AssistantID: "a1", GraphID: "other"})
	isErr(t, err, storage.ErrConflict, "Create existing id")
	_, err = as.Create(ctx(), all(), storage.AssistantCreate{AssistantID: "a1", GraphID: "other", IfExists: storage.IfExistsRaise})
	isErr(t, err, storage.ErrConflict, "Create existing id, raise")
	same := val(as.Create(ctx(), all(), storage.AssistantCreate{AssistantID: "a1", GraphID: "other", IfExists: storage.IfExistsDoNothing})).get(t)
	if diff := cmp.Diff(want, same); diff != "" {
		t.Errorf("Create do_nothing (-want +got):\n%s", diff)
	}

	_, err = as.Create(ctx(), all(), storage.AssistantCreate{GraphID: ""})
	isErr(t, err, storage.ErrInvalid, "Create without graph_id")
	_, err = as.Create(ctx(), all(), storage.AssistantCreate{GraphID: "g", IfExists: "replace"})
	isErr(t, err, storage.ErrInvalid, "Create with bad if_exists")
	_, err = as.Get(ctx(), all(), "missing")
	isErr(t, err, storage.ErrNotFound, "Get missing")
	_, err = as.Update(ctx(), all(), "missing", storage.AssistantPatch{Name: strp("x")})
	isErr(t, err, storage.ErrNotFound, "Update missing")
}

func testAssistantNoAliasing(t *testing.T, s storage.Store) {
	as := s.Assistants()
	md := map[string]any{"tags": []any{"a"}, "nested": map[string]any{"k": "v"}}
	a := val(as.Create(ctx(), all(), storage.AssistantCreate{AssistantID: "a1", GraphID: "g", Metadata: md})).get(t)
	md["tags"].([]any)[0] = "changed"
	md["nested"].(map[string]any)["k"] = "changed"
	a.Metadata["nested"].(map[string]any)["k"] = "changed too"
	a.Config["x"] = 1
	got := val(as.Get(ctx(), all(), "a1")).get(t)
	wantMD := map[string]any{"tags": []any{"a"}, "nested": map[string]any{"k": "v"}}
	if diff := cmp.Diff(wantMD, got.Metadata); diff != "" || len(got.Config) != 0 {
		t.Errorf("stored assistant aliased by the caller (-want +got):\n%s config %v", diff, got.Config)
	}
	vs := val(as.Versions(ctx(), all(), "a1", storage.VersionSearch{})).get(t)
	vs[0].Metadata["tags"] = "x"
	again := val(as.Versions(ctx(), all(), "a1", storage.VersionSearch{})).get(t)
	if diff := cmp.Diff(wantMD, again[0].Metadata); diff != "" {
		t.Errorf("stored version aliased (-want +got):\n%s", diff)
	}
}

func testAssistantVersions(t *testing.T, s storage.Store) {
	as := s.Assistants()
	v1 := val(as.Create(ctx(), all(), storage.AssistantCreate{
		AssistantID: "a1", GraphID: "g1", Name: "one", Config: map[string]any{"c": 1},
		Context: map[string]any{"x": 1}, Metadata: map[string]any{"owner": "alice", "stage": "dev"},
	})).get(t)
	v2 := val(as.Update(ctx(), all(), "a1", storage.AssistantPatch{
		Name: strp("two"), Description: strp("second"), Metadata: map[string]any{"stage": "prod", "extra": true},
	})).get(t)
	if v2.Version != 2 || v2.Name != "two" || v2.Description == nil || *v2.Description != "second" || v2.GraphID != "g1" {
		t.Errorf("after patch: %+v", v2)
	}
	if diff := cmp.Diff(map[string]any{"owner": "alice", "stage": "prod", "extra": true}, v2.Metadata); diff != "" {
		t.Errorf("metadata is merged (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"c": 1.0}, v2.Config); diff != "" {
		t.Errorf("config kept (-want +got):\n%s", diff)
	}
	if !v2.UpdatedAt.After(v1.UpdatedAt) || !v2.CreatedAt.Equal(v1.CreatedAt) {
		t.Errorf("timestamps: created %v→%v updated %v→%v", v1.CreatedAt, v2.CreatedAt, v1.UpdatedAt, v2.UpdatedAt)
	}
	v3 := val(as.Update(ctx(), all(), "a1", storage.AssistantPatch{
		GraphID: strp("g2"), Config: map[string]any{"c": 3}, Context: map[string]any{"y": 2},
	})).get(t)
	if v3.Version != 3 || v3.GraphID != "g2" || v3.Name != "two" {
		t.Errorf("v3 = %+v", v3)
	}
	if diff := cmp.Diff(map[string]any{"y": 2.0}, v3.Context); diff != "" {
		t.Errorf("context replaced (-want +got):\n%s", diff)
	}
	if got := val(as.Get(ctx(), all(), "a1")).get(t); got.Version != 3 {
		t.Errorf("Get after patches: version %d", got.Version)
	}

	vs := val(as.Versions(ctx(), all(), "a1", storage.VersionSearch{})).get(t)
	if diff := cmp.Diff([]int{3, 2, 1}, versionNumbers(vs)); diff != "" {
		t.Fatalf("versions newest first (-want +got):\n%s", diff)
	}
	wantV1 := storage.AssistantVersion{
		AssistantID: "a1", Version: 1, GraphID: "g1", Name: "one", Config: map[string]any{"c": 1.0},
		Context: map[string]any{"x": 1.0}, Metadata: map[string]any{"owner": "alice", "stage": "dev"},
		CreatedAt: v1.CreatedAt,
	}
	if diff := cmp.Diff(wantV1, vs[2]); diff != "" {
		t.Errorf("version 1 (-want +got):\n%s", diff)
	}
	if vs[0].GraphID != "g2" || !vs[0].CreatedAt.Equal(v3.UpdatedAt) {
		t.Errorf("version 3 = %+v", vs[0])
	}
	page := val(as.Versions(ctx(), all(), "a1", storage.VersionSearch{Limit: 1, Offset: 1})).get(t)
	if diff := cmp.Diff([]int{2}, versionNumbers(page)); diff != "" {
		t.Errorf("versions limit/offset (-want +got):\n%s", diff)
	}
	prod := val(as.Versions(ctx(), all(), "a1", storage.VersionSearch{Metadata: map[string]any{"stage": "prod"}})).get(t)
	if diff := cmp.Diff([]int{3, 2}, versionNumbers(prod)); diff != "" {
		t.Errorf("versions by metadata (-want +got):\n%s", diff)
	}
	_, err := as.Versions(ctx(), all(), "a1", storage.VersionSearch{Metadata: map[string]any{"stage": "none"}})
	isErr(t, err, storage.ErrNotFound, "Versions matching none")
	_, err = as.Versions(ctx(), all(), "missing", storage.VersionSearch{})
	isErr(t, err, storage.ErrNotFound, "Versions of a missing assistant")

	// SetLatest copies the version's fields into the assistant.
	l := val(as.SetLatest(ctx(), all(), "a1", 1)).get(t)
	want := storage.Assistant{
		AssistantID: "a1", GraphID: "g1", Name: "one", Config: map[string]any{"c": 1.0},
		Context: map[string]any{"x": 1.0}, Metadata: map[string]any{"owner": "alice", "stage": "dev"},
		Version: 1, CreatedAt: v1.CreatedAt, UpdatedAt: l.UpdatedAt,
	}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("SetLatest(1) (-want +got):\n%s", diff)
	}
	if !l.UpdatedAt.After(v3.UpdatedAt) {
		t.Errorf("SetLatest did not move updated_at")
	}
	if diff := cmp.Diff(want, val(as.Get(ctx(), all(), "a1")).get(t)); diff != "" {
		t.Errorf("Get after SetLatest (-want +got):\n%s", diff)
	}
	// The next patch is max+1, built on the current (version 1) fields.
	v4 := val(as.Update(ctx(), all(), "a1", storage.AssistantPatch{Metadata: map[string]any{"n": 4}})).get(t)
	if v4.Version != 4 || v4.Name != "one" || v4.GraphID != "g1" {
		t.Errorf("patch after SetLatest = %+v", v4)
	}
	if diff := cmp.Diff(map[string]any{"owner": "alice", "stage": "dev", "n": 4.0}, v4.Metadata); diff != "" {
		t.Errorf("patch after SetLatest metadata (-want +got):\n%s", diff)
	}
	vs = val(as.Versions(ctx(), all(), "a1", storage.VersionSearch{})).get(t)
	if diff := cmp.Diff([]int{4, 3, 2, 1}, versionNumbers(vs)); diff != "" {
		t.Errorf("versions after SetLatest (-want +got):\n%s", diff)
	}
	_, err = as.SetLatest(ctx(), all(), "a1", 9)
	isErr(t, err, storage.ErrNotFound, "SetLatest of a missing version")
	_, err = as.SetLatest(ctx(), all(), "missing", 1)
	isErr(t, err, storage.ErrNotFound, "SetLatest of a missing assistant")
}

func testAssistantSearch(t *testing.T, s storage.Store) {
	as := s.Assistants()
	mk := func(id, graph, name string, md map[string]any) {
		t.Helper()
		val(as.Create(ctx(), all(), storage.AssistantCreate{AssistantID: id, GraphID: graph, Name: name, Metadata: md})).get(t)
	}
	mk("a1", "chat", "Support Bot", map[string]any{"team": "a", "tags": []any{"x", "y"}, "cfg": map[string]any{"tier": "gold", "n": 1}})
	mk("a2", "chat", "sales bot", map[string]any{"team": "b", "tags": []any{"y"}})
	mk("a3", "rag", "Retriever", map[string]any{"team": "a"})
	mk("a4", "rag", "BOTTLE", map[string]any{"team": "b", "cfg": map[string]any{"tier": "silver"}})

	cases := []struct {
		name string
		q    storage.AssistantSearch
		want []string
	}{
		{"all, newest first", storage.AssistantSearch{}, []string{"a4", "a3", "a2", "a1"}},
		{"graph_id", storage.AssistantSearch{GraphID: "chat"}, []string{"a2", "a1"}},
		{"name substring, any case", storage.AssistantSearch{Name: "bOt"}, []string{"a4", "a2", "a1"}},
		{"name and graph", storage.AssistantSearch{Name: "bot", GraphID: "rag"}, []string{"a4"}},
		{"metadata scalar", storage.AssistantSearch{Metadata: map[string]any{"team": "a"}}, []string{"a3", "a1"}},
		{"metadata array element", storage.AssistantSearch{Metadata: map[string]any{"tags": []any{"x"}}}, []string{"a1"}},
		{"metadata nested subset", storage.AssistantSearch{Metadata: map[string]any{"cfg": map[string]any{"tier": "gold"}}}, []string{"a1"}},
		{"metadata number", storage.AssistantSearch{Metadata: map[string]any{"cfg": map[string]any{"n": 1}}}, []string{"a1"}},
		{"metadata no match", storage.AssistantSearch{Metadata: map[string]any{"team": "c"}}, nil},
		{"metadata missing key", storage.AssistantSearch{Metadata: map[string]any{"nope": "a"}}, nil},
		{"limit", storage.AssistantSearch{Limit: 2}, []string{"a4", "a3"}},
		{"offset", storage.AssistantSearch{Limit: 2, Offset: 3}, []string{"a1"}},
		{"offset past end", storage.AssistantSearch{Offset: 10}, nil},
	}
	for _, c := range cases {
		got := val(as.Search(ctx(), all(), c.q)).get(t)
		if diff := cmp.Diff(c.want, assistantIDs(got), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
		c.q.Limit, c.q.Offset = 0, 0
		n := val(as.Count(ctx(), all(), c.q)).get(t)
		full := val(as.Search(ctx(), all(), c.q)).get(t)
		if n != len(full) {
			t.Errorf("%s: Count = %d, Search found %d", c.name, n, len(full))
		}
	}
	_, err := as.Search(ctx(), all(), storage.AssistantSearch{Limit: -1})
	isErr(t, err, storage.ErrInvalid, "negative limit")
}

func testAssistantSort(t *testing.T, s storage.Store) {
	as := s.Assistants()
	// Created in this order; names and graph ids sort differently.
	for _, a := range []struct{ id, graph, name string }{
		{"a1", "Beta", "carol"}, {"a2", "alpha", "Alice"}, {"a3", "gamma", "bob"},
	} {
		val(as.Create(ctx(), all(), storage.AssistantCreate{AssistantID: a.id, GraphID: a.graph, Name: a.name})).get(t)
	}
	// a1 is updated last.
	val(as.Update(ctx(), all(), "a1", storage.AssistantPatch{Metadata: map[string]any{"u": 1}})).get(t)
	cases := []struct {
		by, order string
		want      []string
	}{
		{"", "", []string{"a3", "a2", "a1"}},
		{"created_at", "", []string{"a3", "a2", "a1"}},
		{"created_at", "asc", []string{"a1", "a2", "a3"}},
		{"updated_at", "desc", []string{"a1", "a3", "a2"}},
		{"updated_at", "asc", []string{"a2", "a3", "a1"}},
		{"assistant_id", "asc", []string{"a1", "a2", "a3"}},
		{"assistant_id", "desc", []string{"a3", "a2", "a1"}},
		{"name", "asc", []string{"a2", "a3", "a1"}},
		{"name", "desc", []string{"a1", "a3", "a2"}},
		{"graph_id", "asc", []string{"a2", "a1", "a3"}},
		{"graph_id", "desc", []string{"a3", "a1", "a2"}},
	}
	for _, c := range cases {
		got := val(as.Search(ctx(), all(), storage.AssistantSearch{SortBy: c.by, SortOrder: c.order})).get(t)
		if diff := cmp.Diff(c.want, assistantIDs(got)); diff != "" {
			t.Errorf("sort %q %q (-want +got):\n%s", c.by, c.order, diff)
		}
	}
	_, err := as.Search(ctx(), all(), storage.AssistantSearch{SortBy: "metadata"})
	isErr(t, err, storage.ErrInvalid, "sort_by metadata")
	_, err = as.Search(ctx(), all(), storage.AssistantSearch{SortBy: "name; DROP TABLE assistants"})
	isErr(t, err, storage.ErrInvalid, "sort_by injection")
	_, err = as.Search(ctx(), all(), storage.AssistantSearch{SortBy: "name", SortOrder: "up"})
	isErr(t, err, storage.ErrInvalid, "sort_order up")
}

func testAssistantScope(t *testing.T, s storage.Store) {
	as := s.Assistants()
	alice, bob := owner(t, "alice"), owner(t, "bob")
	for i := range 6 {
		who := "alice"
		if i%2 == 1 {
			who = "bob"
		}
		val(as.Create(ctx(), sys(), storage.AssistantCreate{AssistantID: fmt.Sprintf("a%d", i), GraphID: "g", Metadata: map[string]any{"owner": who}})).get(t)
	}
	// bob cannot see a0 (alice's).
	_, err := as.Get(ctx(), bob, "a0")
	isErr(t, err, storage.ErrNotFound, "Get hidden")
	_, err = as.Update(ctx(), bob, "a0", storage.AssistantPatch{Metadata: map[string]any{"owner": "bob"}})
	isErr(t, err, storage.ErrNotFound, "Update hidden")
	isErr(t, as.Delete(ctx(), bob, "a0"), storage.ErrNotFound, "Delete hidden")
	_, err = as.SetLatest(ctx(), bob, "a0", 1)
	isErr(t, err, storage.ErrNotFound, "SetLatest hidden")
	_, err = as.Versions(ctx(), bob, "a0", storage.VersionSearch{})
	isErr(t, err, storage.ErrNotFound, "Versions hidden")
	for _, ie := range []string{"", storage.IfExistsRaise, storage.IfExistsDoNothing} {
		_, err = as.Create(ctx(), bob, storage.AssistantCreate{AssistantID: "a0", GraphID: "g", Metadata: map[string]any{"owner": "bob"}, IfExists: ie})
		isErr(t, err, storage.ErrConflict, "Create hidden id, if_exists="+ie)
	}
	a0 := val(as.Get(ctx(), alice, "a0")).get(t)
	if a0.Version != 1 || a0.Metadata["owner"] != "alice" {
		t.Errorf("hidden assistant changed: %+v", a0)
	}
	// Search and count exclude; pagination is applied after the filter.
	got := val(as.Search(ctx(), alice, storage.AssistantSearch{SortBy: "assistant_id", SortOrder: "asc"})).get(t)
	if diff := cmp.Diff([]string{"a0", "a2", "a4"}, assistantIDs(got)); diff != "" {
		t.Errorf("alice's search (-want +got):\n%s", diff)
	}
	got = val(as.Search(ctx(), alice, storage.AssistantSearch{SortBy: "assistant_id", SortOrder: "asc", Limit: 1, Offset: 1})).get(t)
	if diff := cmp.Diff([]string{"a2"}, assistantIDs(got)); diff != "" {
		t.Errorf("alice's second page (-want +got):\n%s", diff)
	}
	if n := val(as.Count(ctx(), bob, storage.AssistantSearch{})).get(t); n != 3 {
		t.Errorf("bob counts %d, want 3", n)
	}
	// The user's metadata search is ANDed with the scope.
	got = val(as.Search(ctx(), bob, storage.AssistantSearch{Metadata: map[string]any{"owner": "alice"}})).get(t)
	if len(got) != 0 {
		t.Errorf("bob searching for alice's: %v", assistantIDs(got))
	}
	// Several filters are ANDed; richer grammar works too.
	both := scope(t, map[string]any{"owner": "alice"}, map[string]any{"owner": "bob"})
	if n := val(as.Count(ctx(), both, storage.AssistantSearch{})).get(t); n != 0 {
		t.Errorf("two contradicting filters count %d, want 0", n)
	}
	either := scope(t, map[string]any{"$or": []any{map[string]any{"owner": "alice"}, map[string]any{"owner": "bob"}}})
	if n := val(as.Count(ctx(), either, storage.AssistantSearch{})).get(t); n != 6 {
		t.Errorf("$or filter counts %d, want 6", n)
	}
	// A visible assistant can be updated and deleted.
	val(as.Update(ctx(), alice, "a0", storage.AssistantPatch{Name: strp("mine")})).get(t)
	must(t, as.Delete(ctx(), alice, "a0"))
}

func testAssistantVersionScope(t *testing.T, s storage.Store) {
	as := s.Assistants()
	gold := scope(t, map[string]any{"tier": "gold"})
	val(as.Create(ctx(), sys(), storage.AssistantCreate{AssistantID: "a1", GraphID: "g", Metadata: map[string]any{"tier": "gold"}})).get(t)
	val(as.Update(ctx(), sys(), "a1", storage.AssistantPatch{Metadata: map[string]any{"tier": "silver"}})).get(t)
	_, err := as.Versions(ctx(), gold, "a1", storage.VersionSearch{})
	isErr(t, err, storage.ErrNotFound, "Versions when the assistant is hidden")
	val(as.Update(ctx(), sys(), "a1", storage.AssistantPatch{Metadata: map[string]any{"tier": "gold"}})).get(t)
	vs := val(as.Versions(ctx(), gold, "a1", storage.VersionSearch{})).get(t)
	if diff := cmp.Diff([]int{3, 1}, versionNumbers(vs)); diff != "" {
		t.Errorf("versions visible to gold (-want +got):\n%s", diff)
	}
	_, err = as.SetLatest(ctx(), gold, "a1", 2)
	isErr(t, err, storage.ErrNotFound, "SetLatest to a hidden version")
	if got := val(as.SetLatest(ctx(), gold, "a1", 1)).get(t); got.Version != 1 {
		t.Errorf("SetLatest(1) = %+v", got)
	}
}

func testAssistantDelete(t *testing.T, s storage.Store) {
	as := s.Assistants()
	val(as.Create(ctx(), all(), storage.AssistantCreate{AssistantID: "a1", GraphID: "g"})).get(t)
	val(as.Update(ctx(), all(), "a1", storage.AssistantPatch{Name: strp("x")})).get(t)
	val(as.Create(ctx(), all(), storage.AssistantCreate{AssistantID: "a2", GraphID: "g"})).get(t)
	must(t, as.Delete(ctx(), all(), "a1"))
	_, err := as.Get(ctx(), all(), "a1")
	isErr(t, err, storage.ErrNotFound, "Get deleted")
	_, err = as.Versions(ctx(), all(), "a1", storage.VersionSearch{})
	isErr(t, err, storage.ErrNotFound, "Versions of deleted")
	isErr(t, as.Delete(ctx(), all(), "a1"), storage.ErrNotFound, "Delete twice")
	if n := val(as.Count(ctx(), all(), storage.AssistantSearch{})).get(t); n != 1 {
		t.Errorf("count after delete = %d", n)
	}
	// The id can be reused and starts again at version 1.
	a := val(as.Create(ctx(), all(), storage.AssistantCreate{AssistantID: "a1", GraphID: "g"})).get(t)
	vs := val(as.Versions(ctx(), all(), "a1", storage.VersionSearch{})).get(t)
	if a.Version != 1 || len(vs) != 1 {
		t.Errorf("re-created: version %d, %d versions", a.Version, len(vs))
	}
}
