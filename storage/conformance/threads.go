package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/storage"
)

func threadTests() []test {
	return []test{
		{"ThreadCreateGet", testThreadCreateGet},
		{"ThreadUpdate", testThreadUpdate},
		{"ThreadSetState", testThreadSetState},
		{"ThreadSearch", testThreadSearch},
		{"ThreadSort", testThreadSort},
		{"ThreadScope", testThreadScope},
		{"ThreadScopeGrammar", testThreadScopeGrammar},
		{"ThreadDeleteCascades", testThreadDeleteCascades},
		{"ThreadCopy", testThreadCopy},
		{"ThreadPrune", testThreadPrune},
	}
}

func threadIDs(ts []storage.Thread) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ThreadID
	}
	return out
}

func statusp(s string) *string { return &s }

// putCheckpoints writes n chained checkpoints in ns of a thread through
// its checkpointer and returns their configs, oldest first.
func putCheckpoints(t *testing.T, s storage.Store, thread, ns string, n int) []checkpoint.Config {
	t.Helper()
	sv := val(s.Checkpointer(ctx(), sys(), thread)).get(t)
	parent := checkpoint.Config{ThreadID: thread, CheckpointNS: ns}
	var out []checkpoint.Config
	for i := range n {
		c := checkpoint.Checkpoint{V: 1, ID: checkpoint.NewID(), TS: checkpoint.Now(),
			ChannelValues:   map[string]json.RawMessage{"n": json.RawMessage(fmt.Sprint(i))},
			ChannelVersions: map[string]string{"n": checkpoint.FormatVersion(int64(i + 1))},
			VersionsSeen:    map[string]map[string]string{}}
		cfg := val(sv.Put(ctx(), parent, c, checkpoint.Metadata{"step": i, "thread_id": thread}, c.ChannelVersions)).get(t)
		out = append(out, cfg)
		parent = cfg
	}
	return out
}

func listCheckpoints(t *testing.T, s storage.Store, thread, ns string) []string {
	t.Helper()
	sv := val(s.Checkpointer(ctx(), sys(), thread)).get(t)
	list := val(sv.List(ctx(), checkpoint.Config{ThreadID: thread, CheckpointNS: ns}, checkpoint.ListOptions{})).get(t)
	ids := make([]string, len(list))
	for i, tup := range list {
		ids[i] = tup.Config.CheckpointID
	}
	return ids
}

func testThreadCreateGet(t *testing.T, s storage.Store) {
	ts := s.Threads()
	th := val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t1", Metadata: map[string]any{"owner": "alice", "n": 2}})).get(t)
	want := storage.Thread{
		ThreadID: "t1", CreatedAt: th.CreatedAt, UpdatedAt: th.CreatedAt, StateUpdatedAt: th.CreatedAt,
		Metadata: map[string]any{"owner": "alice", "n": 2.0}, Status: storage.StatusIdle,
		Config: map[string]any{}, Values: nil, Interrupts: map[string]any{},
	}
	if diff := cmp.Diff(want, th); diff != "" {
		t.Errorf("Create (-want +got):\n%s", diff)
	}
	if th.CreatedAt.IsZero() || th.CreatedAt.Location().String() != "UTC" || th.CreatedAt.Nanosecond()%1000 != 0 {
		t.Errorf("created_at = %v, want a UTC time in whole microseconds", th.CreatedAt)
	}
	if diff := cmp.Diff(want, val(ts.Get(ctx(), all(), "t1")).get(t)); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	gen := val(ts.Create(ctx(), all(), storage.ThreadCreate{TTL: &storage.ThreadTTL{Minutes: 1.5}})).get(t)
	if gen.ThreadID == "" || gen.Metadata == nil || len(gen.Metadata) != 0 {
		t.Errorf("generated thread = %+v", gen)
	}
	if gen.TTL == nil || gen.TTL.Strategy != "delete" || gen.TTL.Minutes != 1.5 {
		t.Errorf("ttl = %+v, want delete after 1.5 minutes", gen.TTL)
	}
	if got := val(ts.Get(ctx(), all(), gen.ThreadID)).get(t); got.TTL == nil || *got.TTL != *gen.TTL {
		t.Errorf("stored ttl = %+v", got.TTL)
	}
	_, err := ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t1"})
	isErr(t, err, storage.ErrConflict, "Create existing")
	same := val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t1", Metadata: map[string]any{"x": 1}, IfExists: storage.IfExistsDoNothing})).get(t)
	if diff := cmp.Diff(want, same); diff != "" {
		t.Errorf("Create do_nothing (-want +got):\n%s", diff)
	}
	_, err = ts.Create(ctx(), all(), storage.ThreadCreate{IfExists: "update"})
	isErr(t, err, storage.ErrInvalid, "bad if_exists")
	_, err = ts.Create(ctx(), all(), storage.ThreadCreate{TTL: &storage.ThreadTTL{Strategy: "archive", Minutes: 1}})
	isErr(t, err, storage.ErrInvalid, "bad ttl strategy")
	_, err = ts.Get(ctx(), all(), "missing")
	isErr(t, err, storage.ErrNotFound, "Get missing")
	isErr(t, ts.Delete(ctx(), all(), "missing"), storage.ErrNotFound, "Delete missing")

	// No aliasing either way.
	md := map[string]any{"list": []any{"a"}}
	th2 := val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t2", Metadata: md})).get(t)
	md["list"].([]any)[0] = "changed"
	th2.Metadata["list"].([]any)[0] = "changed"
	th2.Interrupts["x"] = 1
	got := val(ts.Get(ctx(), all(), "t2")).get(t)
	if diff := cmp.Diff(map[string]any{"list": []any{"a"}}, got.Metadata); diff != "" || len(got.Interrupts) != 0 {
		t.Errorf("stored thread aliased (-want +got):\n%s", diff)
	}
}

func testThreadUpdate(t *testing.T, s storage.Store) {
	ts := s.Threads()
	th := val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t1", Metadata: map[string]any{"a": 1, "b": 2}})).get(t)
	up := val(ts.Update(ctx(), all(), "t1", storage.ThreadPatch{Metadata: map[string]any{"b": 3, "c": map[string]any{"d": true}}, TTL: &storage.ThreadTTL{Minutes: 5}})).get(t)
	if diff := cmp.Diff(map[string]any{"a": 1.0, "b": 3.0, "c": map[string]any{"d": true}}, up.Metadata); diff != "" {
		t.Errorf("merged metadata (-want +got):\n%s", diff)
	}
	if !up.UpdatedAt.After(th.UpdatedAt) || !up.CreatedAt.Equal(th.CreatedAt) || up.TTL == nil || up.TTL.Minutes != 5 {
		t.Errorf("after update: %+v", up)
	}
	if diff := cmp.Diff(up, val(ts.Get(ctx(), all(), "t1")).get(t)); diff != "" {
		t.Errorf("Get after update (-want +got):\n%s", diff)
	}
	// An empty patch still touches updated_at and keeps the ttl.
	again := val(ts.Update(ctx(), all(), "t1", storage.ThreadPatch{})).get(t)
	if !again.UpdatedAt.After(up.UpdatedAt) || again.TTL == nil || len(again.Metadata) != 3 {
		t.Errorf("after empty patch: %+v", again)
	}
	_, err := ts.Update(ctx(), all(), "missing", storage.ThreadPatch{})
	isErr(t, err, storage.ErrNotFound, "Update missing")
}

func testThreadSetState(t *testing.T, s storage.Store) {
	ts := s.Threads()
	th := val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t1", Metadata: map[string]any{"owner": "alice"}})).get(t)
	got := val(ts.SetState(ctx(), all(), "t1", storage.ThreadState{
		Status:     statusp(storage.StatusInterrupted),
		Values:     map[string]any{"messages": []any{map[string]any{"type": "human", "content": "hi"}}},
		Interrupts: map[string]any{"task": []any{map[string]any{"id": "i1", "value": "ok?"}}},
		Error:      "boom",
		Config:     map[string]any{"configurable": map[string]any{"user_id": "u"}},
		Metadata:   map[string]any{"graph_id": "agent"},
	})).get(t)
	want := storage.Thread{
		ThreadID: "t1", CreatedAt: th.CreatedAt, UpdatedAt: got.UpdatedAt, StateUpdatedAt: got.StateUpdatedAt,
		Metadata:   map[string]any{"owner": "alice", "graph_id": "agent"},
		Status:     storage.StatusInterrupted,
		Config:     map[string]any{"configurable": map[string]any{"user_id": "u"}},
		Values:     map[string]any{"messages": []any{map[string]any{"type": "human", "content": "hi"}}},
		Interrupts: map[string]any{"task": []any{map[string]any{"id": "i1", "value": "ok?"}}},
		Error:      "boom",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetState (-want +got):\n%s", diff)
	}
	if !got.UpdatedAt.After(th.UpdatedAt) || !got.StateUpdatedAt.After(th.StateUpdatedAt) {
		t.Errorf("timestamps not moved: %+v", got)
	}
	if diff := cmp.Diff(want, val(ts.Get(ctx(), all(), "t1")).get(t)); diff != "" {
		t.Errorf("Get after SetState (-want +got):\n%s", diff)
	}
	// Nil fields stay; ClearError removes the error.
	got = val(ts.SetState(ctx(), all(), "t1", storage.ThreadState{Status: statusp(storage.StatusIdle), ClearError: true})).get(t)
	want.Status, want.Error, want.UpdatedAt, want.StateUpdatedAt = storage.StatusIdle, nil, got.UpdatedAt, got.StateUpdatedAt
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetState with nil fields (-want +got):\n%s", diff)
	}
	// Values may be any JSON value, and interrupts can be emptied.
	got = val(ts.SetState(ctx(), all(), "t1", storage.ThreadState{Values: []any{1, "two"}, Interrupts: map[string]any{}})).get(t)
	if diff := cmp.Diff([]any{1.0, "two"}, got.Values); diff != "" || len(got.Interrupts) != 0 || got.Interrupts == nil {
		t.Errorf("list values (-want +got):\n%s interrupts %#v", diff, got.Interrupts)
	}
	_, err := ts.SetState(ctx(), all(), "t1", storage.ThreadState{Status: statusp("sleeping")})
	isErr(t, err, storage.ErrInvalid, "bad status")
	_, err = ts.SetState(ctx(), all(), "missing", storage.ThreadState{Status: statusp(storage.StatusBusy)})
	isErr(t, err, storage.ErrNotFound, "SetState missing")
}

func testThreadSearch(t *testing.T, s storage.Store) {
	ts := s.Threads()
	mk := func(id string, md map[string]any, status string, values any) {
		t.Helper()
		val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: id, Metadata: md})).get(t)
		if status != "" || values != nil {
			st := storage.ThreadState{Values: values}
			if status != "" {
				st.Status = &status
			}
			val(ts.SetState(ctx(), all(), id, st)).get(t)
		}
	}
	mk("t1", map[string]any{"graph_id": "chat", "tags": []any{"a", "b"}}, "", map[string]any{"topic": "cats", "n": 1})
	mk("t2", map[string]any{"graph_id": "chat", "user": map[string]any{"id": "u1", "plan": "pro"}}, storage.StatusBusy, nil)
	mk("t3", map[string]any{"graph_id": "rag"}, storage.StatusError, map[string]any{"topic": "dogs", "list": []any{1, 2}})
	mk("t4", map[string]any{}, storage.StatusInterrupted, []any{"x"})
	// Default order: updated_at DESC, so t4 (last written) comes first.
	cases := []struct {
		name string
		q    storage.ThreadSearch
		want []string
	}{
		{"all", storage.ThreadSearch{}, []string{"t4", "t3", "t2", "t1"}},
		{"ids", storage.ThreadSearch{IDs: []string{"t1", "t3", "nope"}}, []string{"t3", "t1"}},
		{"metadata", storage.ThreadSearch{Metadata: map[string]any{"graph_id": "chat"}}, []string{"t2", "t1"}},
		{"metadata array element", storage.ThreadSearch{Metadata: map[string]any{"tags": []any{"b"}}}, []string{"t1"}},
		{"metadata nested", storage.ThreadSearch{Metadata: map[string]any{"user": map[string]any{"plan": "pro"}}}, []string{"t2"}},
		{"metadata two keys", storage.ThreadSearch{Metadata: map[string]any{"graph_id": "chat", "tags": []any{"a"}}}, []string{"t1"}},
		{"values", storage.ThreadSearch{Values: map[string]any{"topic": "cats"}}, []string{"t1"}},
		{"values number", storage.ThreadSearch{Values: map[string]any{"n": 1}}, []string{"t1"}},
		{"values list", storage.ThreadSearch{Values: map[string]any{"list": []any{2}}}, []string{"t3"}},
		{"values no match", storage.ThreadSearch{Values: map[string]any{"topic": "birds"}}, nil},
		{"status", storage.ThreadSearch{Status: storage.StatusBusy}, []string{"t2"}},
		{"status idle", storage.ThreadSearch{Status: storage.StatusIdle}, []string{"t1"}},
		{"status and metadata", storage.ThreadSearch{Status: storage.StatusError, Metadata: map[string]any{"graph_id": "chat"}}, nil},
		{"limit", storage.ThreadSearch{Limit: 3}, []string{"t4", "t3", "t2"}},
		{"limit offset", storage.ThreadSearch{Limit: 2, Offset: 1}, []string{"t3", "t2"}},
		{"offset past end", storage.ThreadSearch{Offset: 4}, nil},
	}
	for _, c := range cases {
		got := val(ts.Search(ctx(), all(), c.q)).get(t)
		if diff := cmp.Diff(c.want, threadIDs(got), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
		c.q.Limit, c.q.Offset = 0, 0
		n := val(ts.Count(ctx(), all(), c.q)).get(t)
		if full := val(ts.Search(ctx(), all(), c.q)).get(t); n != len(full) {
			t.Errorf("%s: Count = %d, Search found %d", c.name, n, len(full))
		}
	}
	// Search returns whole threads.
	got := val(ts.Search(ctx(), all(), storage.ThreadSearch{IDs: []string{"t3"}})).get(t)
	if diff := cmp.Diff([]storage.Thread{val(ts.Get(ctx(), all(), "t3")).get(t)}, got); diff != "" {
		t.Errorf("searched thread differs from Get (-get +search):\n%s", diff)
	}
	_, err := ts.Search(ctx(), all(), storage.ThreadSearch{Status: "done"})
	isErr(t, err, storage.ErrInvalid, "bad status")
	_, err = ts.Count(ctx(), all(), storage.ThreadSearch{Status: "done"})
	isErr(t, err, storage.ErrInvalid, "Count with bad status")
	_, err = ts.Search(ctx(), all(), storage.ThreadSearch{Offset: -1})
	isErr(t, err, storage.ErrInvalid, "negative offset")
}

func testThreadSort(t *testing.T, s storage.Store) {
	ts := s.Threads()
	for _, id := range []string{"t1", "t2", "t3"} {
		val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: id})).get(t)
	}
	val(ts.SetState(ctx(), all(), "t2", storage.ThreadState{Status: statusp(storage.StatusBusy)})).get(t)
	val(ts.Update(ctx(), all(), "t1", storage.ThreadPatch{Metadata: map[string]any{"x": 1}})).get(t)
	// updated: t3 < t2 < t1; state_updated: t1 = t3 < t2 by creation order, t2 set later.
	cases := []struct {
		by, order string
		want      []string
	}{
		{"", "", []string{"t1", "t2", "t3"}},
		{"updated_at", "asc", []string{"t3", "t2", "t1"}},
		{"created_at", "desc", []string{"t3", "t2", "t1"}},
		{"created_at", "asc", []string{"t1", "t2", "t3"}},
		{"thread_id", "asc", []string{"t1", "t2", "t3"}},
		{"thread_id", "desc", []string{"t3", "t2", "t1"}},
		{"status", "asc", []string{"t2", "t1", "t3"}},
		{"status", "desc", []string{"t3", "t1", "t2"}},
		{"state_updated_at", "desc", []string{"t2", "t3", "t1"}},
		{"state_updated_at", "ASC", []string{"t1", "t3", "t2"}},
	}
	for _, c := range cases {
		got := val(ts.Search(ctx(), all(), storage.ThreadSearch{SortBy: c.by, SortOrder: c.order})).get(t)
		if diff := cmp.Diff(c.want, threadIDs(got)); diff != "" {
			t.Errorf("sort %q %q (-want +got):\n%s", c.by, c.order, diff)
		}
	}
	for _, bad := range []storage.ThreadSearch{{SortBy: "metadata"}, {SortBy: "values"}, {SortBy: "updated_at", SortOrder: "random"}, {SortBy: "thread_id; --"}} {
		_, err := ts.Search(ctx(), all(), bad)
		isErr(t, err, storage.ErrInvalid, fmt.Sprintf("sort %q %q", bad.SortBy, bad.SortOrder))
	}
}

func testThreadScope(t *testing.T, s storage.Store) {
	ts := s.Threads()
	alice, bob := owner(t, "alice"), owner(t, "bob")
	for i := range 6 {
		who := "alice"
		if i%2 == 1 {
			who = "bob"
		}
		val(ts.Create(ctx(), sys(), storage.ThreadCreate{ThreadID: fmt.Sprintf("t%d", i), Metadata: map[string]any{"owner": who}})).get(t)
	}
	_, err := ts.Get(ctx(), bob, "t0")
	isErr(t, err, storage.ErrNotFound, "Get hidden")
	_, err = ts.Update(ctx(), bob, "t0", storage.ThreadPatch{Metadata: map[string]any{"owner": "bob"}})
	isErr(t, err, storage.ErrNotFound, "Update hidden")
	isErr(t, ts.Delete(ctx(), bob, "t0"), storage.ErrNotFound, "Delete hidden")
	_, err = ts.SetState(ctx(), bob, "t0", storage.ThreadState{Status: statusp(storage.StatusBusy)})
	isErr(t, err, storage.ErrNotFound, "SetState hidden")
	_, err = ts.Copy(ctx(), bob, "t0", storage.ThreadCreate{Metadata: map[string]any{"owner": "bob"}})
	isErr(t, err, storage.ErrNotFound, "Copy hidden")
	_, err = ts.Prune(ctx(), bob, []string{"t1", "t0"}, "delete")
	isErr(t, err, storage.ErrNotFound, "Prune with a hidden thread")
	_, err = s.Checkpointer(ctx(), bob, "t0")
	isErr(t, err, storage.ErrNotFound, "Checkpointer of hidden thread")
	for _, ie := range []string{"", storage.IfExistsRaise, storage.IfExistsDoNothing} {
		_, err = ts.Create(ctx(), bob, storage.ThreadCreate{ThreadID: "t0", Metadata: map[string]any{"owner": "bob"}, IfExists: ie})
		isErr(t, err, storage.ErrConflict, "Create hidden id, if_exists="+ie)
	}
	if _, err := ts.Get(ctx(), bob, "t1"); err != nil {
		t.Errorf("the refused prune deleted bob's own thread: %v", err)
	}
	got := val(ts.Get(ctx(), alice, "t0")).get(t)
	if got.Status != storage.StatusIdle || len(got.Metadata) != 1 {
		t.Errorf("hidden thread changed: %+v", got)
	}
	list := val(ts.Search(ctx(), alice, storage.ThreadSearch{SortBy: "thread_id", SortOrder: "asc"})).get(t)
	if diff := cmp.Diff([]string{"t0", "t2", "t4"}, threadIDs(list)); diff != "" {
		t.Errorf("alice's search (-want +got):\n%s", diff)
	}
	list = val(ts.Search(ctx(), alice, storage.ThreadSearch{SortBy: "thread_id", SortOrder: "asc", Limit: 2, Offset: 1})).get(t)
	if diff := cmp.Diff([]string{"t2", "t4"}, threadIDs(list)); diff != "" {
		t.Errorf("alice's page 2 (-want +got):\n%s", diff)
	}
	list = val(ts.Search(ctx(), bob, storage.ThreadSearch{IDs: []string{"t0", "t1"}})).get(t)
	if diff := cmp.Diff([]string{"t1"}, threadIDs(list)); diff != "" {
		t.Errorf("bob's search by ids (-want +got):\n%s", diff)
	}
	if n := val(ts.Count(ctx(), bob, storage.ThreadSearch{Metadata: map[string]any{"owner": "alice"}})).get(t); n != 0 {
		t.Errorf("bob counts %d of alice's threads", n)
	}
	if n := val(ts.Count(ctx(), alice, storage.ThreadSearch{})).get(t); n != 3 {
		t.Errorf("alice counts %d, want 3", n)
	}
	// Visible threads work normally under the scope.
	val(ts.Update(ctx(), alice, "t0", storage.ThreadPatch{Metadata: map[string]any{"title": "x"}})).get(t)
	cp := val(ts.Copy(ctx(), alice, "t0", storage.ThreadCreate{})).get(t)
	if cp.Metadata["owner"] != "alice" {
		t.Errorf("copy metadata = %v", cp.Metadata)
	}
	if n := val(ts.Prune(ctx(), alice, []string{"t0", cp.ThreadID}, "delete")).get(t); n != 2 {
		t.Errorf("pruned %d, want 2", n)
	}
}

func testThreadScopeGrammar(t *testing.T, s storage.Store) {
	ts := s.Threads()
	mk := func(id string, md map[string]any) {
		t.Helper()
		val(ts.Create(ctx(), sys(), storage.ThreadCreate{ThreadID: id, Metadata: md})).get(t)
	}
	mk("t1", map[string]any{"owner": "alice", "tags": []any{"red", "blue"}})
	mk("t2", map[string]any{"owner": "bob", "shared": true, "tags": []any{"red"}})
	mk("t3", map[string]any{"owner": "carol", "shared": false, "org": map[string]any{"id": 7}})
	mk("t4", map[string]any{"owner": "dave", "level": 3, "doc": map[string]any{"s": "<a&b> \"q\" é", "z": []any{1.5, nil}}, "a.b": "dotted"})
	cases := []struct {
		name string
		f    map[string]any
		want []string
	}{
		{"$eq", map[string]any{"owner": map[string]any{"$eq": "bob"}}, []string{"t2"}},
		{"bool", map[string]any{"shared": true}, []string{"t2"}},
		{"number", map[string]any{"level": 3}, []string{"t4"}},
		{"$eq object", map[string]any{"org": map[string]any{"$eq": map[string]any{"id": 7}}}, []string{"t3"}},
		{"$eq list", map[string]any{"tags": map[string]any{"$eq": []any{"red"}}}, []string{"t2"}},
		{"$contains scalar", map[string]any{"tags": map[string]any{"$contains": "red"}}, []string{"t1", "t2"}},
		{"$contains list", map[string]any{"tags": map[string]any{"$contains": []any{"blue", "red"}}}, []string{"t1"}},
		{"$or", map[string]any{"$or": []any{map[string]any{"owner": "alice"}, map[string]any{"shared": true}}}, []string{"t1", "t2"}},
		{"$or and key", map[string]any{"tags": map[string]any{"$contains": "red"}, "$or": []any{map[string]any{"owner": "bob"}, map[string]any{"owner": "carol"}}}, []string{"t2"}},
		{"$and", map[string]any{"$and": []any{map[string]any{"owner": "carol"}, map[string]any{"shared": false}}}, []string{"t3"}},
		{"missing key", map[string]any{"shared": nil}, nil},
		{"$eq object with escapes", map[string]any{"doc": map[string]any{"$eq": map[string]any{"z": []any{1.5, nil}, "s": "<a&b> \"q\" é"}}}, []string{"t4"}},
		{"dotted key is literal", map[string]any{"a.b": "dotted"}, []string{"t4"}},
	}
	for _, c := range cases {
		sc := scope(t, c.f)
		got := val(ts.Search(ctx(), sc, storage.ThreadSearch{SortBy: "thread_id", SortOrder: "asc"})).get(t)
		if diff := cmp.Diff(c.want, threadIDs(got), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
		if n := val(ts.Count(ctx(), sc, storage.ThreadSearch{})).get(t); n != len(c.want) {
			t.Errorf("%s: Count = %d, want %d", c.name, n, len(c.want))
		}
		for _, id := range []string{"t1", "t2", "t3", "t4"} {
			_, err := ts.Get(ctx(), sc, id)
			visible := err == nil
			if !visible && !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("%s: Get %s: %v", c.name, id, err)
			}
			want := false
			for _, w := range c.want {
				want = want || w == id
			}
			if visible != want {
				t.Errorf("%s: Get %s visible=%v, Search says %v", c.name, id, visible, want)
			}
		}
	}
}

func testThreadDeleteCascades(t *testing.T, s storage.Store) {
	ts := s.Threads()
	val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t1"})).get(t)
	val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t2"})).get(t)
	putCheckpoints(t, s, "t1", "", 2)
	putCheckpoints(t, s, "t1", "sub:1", 1)
	keep := putCheckpoints(t, s, "t2", "", 1)
	must(t, ts.Delete(ctx(), all(), "t1"))
	_, err := ts.Get(ctx(), all(), "t1")
	isErr(t, err, storage.ErrNotFound, "Get deleted")
	_, err = s.Checkpointer(ctx(), sys(), "t1")
	isErr(t, err, storage.ErrNotFound, "Checkpointer of deleted thread")
	val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t1"})).get(t)
	if ids := listCheckpoints(t, s, "t1", ""); len(ids) != 0 {
		t.Errorf("re-created thread has old checkpoints %v", ids)
	}
	if ids := listCheckpoints(t, s, "t1", "sub:1"); len(ids) != 0 {
		t.Errorf("re-created thread has old subgraph checkpoints %v", ids)
	}
	if diff := cmp.Diff([]string{keep[0].CheckpointID}, listCheckpoints(t, s, "t2", "")); diff != "" {
		t.Errorf("other thread's checkpoints (-want +got):\n%s", diff)
	}
}

func testThreadCopy(t *testing.T, s storage.Store) {
	ts := s.Threads()
	src := val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "src", Metadata: map[string]any{"owner": "alice", "k": []any{1}}})).get(t)
	val(ts.SetState(ctx(), all(), "src", storage.ThreadState{
		Status: statusp(storage.StatusBusy), Values: map[string]any{"v": 1},
		Config: map[string]any{"configurable": map[string]any{"x": "y"}}, Interrupts: map[string]any{"t": []any{}},
	})).get(t)
	root := putCheckpoints(t, s, "src", "", 3)
	sub := putCheckpoints(t, s, "src", "child:1", 1)

	cp := val(ts.Copy(ctx(), all(), "src", storage.ThreadCreate{})).get(t)
	if cp.ThreadID == "" || cp.ThreadID == "src" {
		t.Fatalf("copy id = %q", cp.ThreadID)
	}
	if cp.Status != storage.StatusIdle || len(cp.Interrupts) != 0 || cp.Interrupts == nil {
		t.Errorf("copy status %q interrupts %v, want idle and none", cp.Status, cp.Interrupts)
	}
	if diff := cmp.Diff(src.Metadata, cp.Metadata); diff != "" {
		t.Errorf("copy metadata (-src +copy):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"v": 1.0}, cp.Values); diff != "" {
		t.Errorf("copy values (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"configurable": map[string]any{"x": "y"}}, cp.Config); diff != "" {
		t.Errorf("copy config (-want +got):\n%s", diff)
	}
	if !cp.CreatedAt.After(src.CreatedAt) {
		t.Errorf("copy created_at %v not after source %v", cp.CreatedAt, src.CreatedAt)
	}
	if diff := cmp.Diff(cp, val(ts.Get(ctx(), all(), cp.ThreadID)).get(t)); diff != "" {
		t.Errorf("Get copy (-copy +get):\n%s", diff)
	}
	wantRoot := []string{root[2].CheckpointID, root[1].CheckpointID, root[0].CheckpointID}
	if diff := cmp.Diff(wantRoot, listCheckpoints(t, s, cp.ThreadID, "")); diff != "" {
		t.Errorf("copied checkpoints (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{sub[0].CheckpointID}, listCheckpoints(t, s, cp.ThreadID, "child:1")); diff != "" {
		t.Errorf("copied subgraph checkpoints (-want +got):\n%s", diff)
	}
	sv := val(s.Checkpointer(ctx(), sys(), cp.ThreadID)).get(t)
	tup := val(sv.GetTuple(ctx(), checkpoint.Config{ThreadID: cp.ThreadID})).get(t)
	if tup.Metadata["thread_id"] != cp.ThreadID || tup.ParentConfig == nil || tup.ParentConfig.ThreadID != cp.ThreadID {
		t.Errorf("copied tuple = %+v", tup)
	}
	// The source is unchanged.
	if got := val(ts.Get(ctx(), all(), "src")).get(t); got.Status != storage.StatusBusy {
		t.Errorf("source status changed to %q", got.Status)
	}
	// Given id and metadata.
	cp2 := val(ts.Copy(ctx(), all(), "src", storage.ThreadCreate{ThreadID: "dst", Metadata: map[string]any{"owner": "alice", "thread_id": "dst"}})).get(t)
	if cp2.ThreadID != "dst" || cp2.Metadata["thread_id"] != "dst" || len(cp2.Metadata) != 2 {
		t.Errorf("copy with id and metadata = %+v", cp2)
	}
	_, err := ts.Copy(ctx(), all(), "src", storage.ThreadCreate{ThreadID: "dst"})
	isErr(t, err, storage.ErrConflict, "Copy onto an existing id")
	_, err = ts.Copy(ctx(), all(), "missing", storage.ThreadCreate{})
	isErr(t, err, storage.ErrNotFound, "Copy of a missing thread")
	// Deleting the source leaves the copy whole.
	must(t, ts.Delete(ctx(), all(), "src"))
	if n := len(listCheckpoints(t, s, "dst", "")); n != 3 {
		t.Errorf("copy has %d checkpoints after the source was deleted", n)
	}
}

func testThreadPrune(t *testing.T, s storage.Store) {
	ts := s.Threads()
	for _, id := range []string{"t1", "t2", "t3"} {
		val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: id})).get(t)
	}
	r1 := putCheckpoints(t, s, "t1", "", 3)
	s1 := putCheckpoints(t, s, "t1", "sub:1", 2)
	r2 := putCheckpoints(t, s, "t2", "", 2)
	sv := val(s.Checkpointer(ctx(), sys(), "t1")).get(t)
	must(t, sv.PutWrites(ctx(), r1[2], []checkpoint.Write{{Channel: "x", Value: json.RawMessage(`1`)}}, "task"))

	_, err := ts.Prune(ctx(), all(), []string{"t1", "missing"}, "keep_latest")
	isErr(t, err, storage.ErrNotFound, "Prune with a missing thread")
	if n := len(listCheckpoints(t, s, "t1", "")); n != 3 {
		t.Errorf("failed prune removed checkpoints: %d left", n)
	}
	_, err = ts.Prune(ctx(), all(), []string{"t1"}, "archive")
	isErr(t, err, storage.ErrInvalid, "bad strategy")

	if n := val(ts.Prune(ctx(), all(), []string{"t1", "t2", "t1"}, "keep_latest")).get(t); n != 2 {
		t.Errorf("keep_latest pruned %d threads, want 2", n)
	}
	if diff := cmp.Diff([]string{r1[2].CheckpointID}, listCheckpoints(t, s, "t1", "")); diff != "" {
		t.Errorf("t1 root after keep_latest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{s1[1].CheckpointID}, listCheckpoints(t, s, "t1", "sub:1")); diff != "" {
		t.Errorf("t1 subgraph after keep_latest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{r2[1].CheckpointID}, listCheckpoints(t, s, "t2", "")); diff != "" {
		t.Errorf("t2 after keep_latest (-want +got):\n%s", diff)
	}
	tup := val(sv.GetTuple(ctx(), checkpoint.Config{ThreadID: "t1"})).get(t)
	if len(tup.PendingWrites) != 1 {
		t.Errorf("latest checkpoint lost its writes: %v", tup.PendingWrites)
	}
	if _, err := ts.Get(ctx(), all(), "t1"); err != nil {
		t.Errorf("keep_latest deleted the thread: %v", err)
	}

	if n := val(ts.Prune(ctx(), all(), []string{"t1", "t3"}, "")).get(t); n != 2 {
		t.Errorf("delete pruned %d, want 2", n)
	}
	for _, id := range []string{"t1", "t3"} {
		_, err := ts.Get(ctx(), all(), id)
		isErr(t, err, storage.ErrNotFound, "Get pruned "+id)
	}
	if n := val(ts.Count(ctx(), all(), storage.ThreadSearch{})).get(t); n != 1 {
		t.Errorf("%d threads left, want 1", n)
	}
	if n := val(ts.Prune(ctx(), all(), nil, "delete")).get(t); n != 0 {
		t.Errorf("pruning nothing = %d", n)
	}
}
