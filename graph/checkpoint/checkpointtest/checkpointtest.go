// Package checkpointtest is the conformance suite every checkpoint.Saver
// must pass. A backend's test calls Run with a constructor of empty savers.
package checkpointtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/graph/checkpoint"
)

// Run runs the suite. newSaver must return an empty saver for each call.
func Run(t *testing.T, newSaver func(t *testing.T) checkpoint.Saver) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s checkpoint.Saver)
	}{
		{"NotFound", testNotFound},
		{"PutGetRoundTrip", testPutGetRoundTrip},
		{"LatestAndParents", testLatestAndParents},
		{"Namespaces", testNamespaces},
		{"PartialNewVersions", testPartialNewVersions},
		{"PendingWrites", testPendingWrites},
		{"ListOrderLimitBefore", testListOrderLimitBefore},
		{"ListFilter", testListFilter},
		{"DeleteThread", testDeleteThread},
		{"CopyThread", testCopyThread},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newSaver(t)) })
	}
}

func cp(id string, step int) checkpoint.Checkpoint {
	return checkpoint.Checkpoint{
		V:  1,
		ID: id,
		TS: "2026-01-02T03:04:05.123456789Z",
		ChannelValues: map[string]json.RawMessage{
			"messages": json.RawMessage(`[{"type":"human","content":"hi","id":"m1"}]`),
			"count":    json.RawMessage(fmt.Sprint(step)),
		},
		ChannelVersions: map[string]string{
			"messages": checkpoint.FormatVersion(int64(step + 1)),
			"count":    checkpoint.FormatVersion(int64(step + 1)),
		},
		VersionsSeen: map[string]map[string]string{
			"agent": {"messages": checkpoint.FormatVersion(int64(step))},
		},
		UpdatedChannels: []string{"count", "messages"},
	}
}

func md(source string, step int) checkpoint.Metadata {
	return checkpoint.Metadata{
		"source":  source,
		"step":    step,
		"parents": map[string]any{},
		"writes":  map[string]any{"agent": map[string]any{"count": step}},
		"user_id": "alice",
	}
}

// normal gives the JSON-decoded form of v, which is what savers return.
func normal(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustPut(t *testing.T, s checkpoint.Saver, cfg checkpoint.Config, c checkpoint.Checkpoint, m checkpoint.Metadata) checkpoint.Config {
	t.Helper()
	got, err := s.Put(context.Background(), cfg, c, m, c.ChannelVersions)
	if err != nil {
		t.Fatalf("Put(%+v, %s): %v", cfg, c.ID, err)
	}
	want := checkpoint.Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS, CheckpointID: c.ID}
	if got != want {
		t.Fatalf("Put returned %+v, want %+v", got, want)
	}
	return got
}

// chain puts n checkpoints on thread/ns, each the child of the previous,
// and returns their configs oldest first.
func chain(t *testing.T, s checkpoint.Saver, thread, ns string, n int) []checkpoint.Config {
	t.Helper()
	var out []checkpoint.Config
	parent := checkpoint.Config{ThreadID: thread, CheckpointNS: ns}
	for i := range n {
		source := "loop"
		if i == 0 {
			source = "input"
		}
		c := mustPut(t, s, parent, cp(checkpoint.NewID(), i), md(source, i-1))
		out = append(out, c)
		parent = c
	}
	return out
}

func testNotFound(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	_, err := s.GetTuple(ctx, checkpoint.Config{ThreadID: "t1"})
	if !errors.Is(err, checkpoint.ErrNotFound) {
		t.Fatalf("GetTuple on empty thread: err = %v, want ErrNotFound", err)
	}
	chain(t, s, "t1", "", 1)
	_, err = s.GetTuple(ctx, checkpoint.Config{ThreadID: "t1", CheckpointID: checkpoint.NewID()})
	if !errors.Is(err, checkpoint.ErrNotFound) {
		t.Fatalf("GetTuple of unknown id: err = %v, want ErrNotFound", err)
	}
	_, err = s.GetTuple(ctx, checkpoint.Config{ThreadID: "t2"})
	if !errors.Is(err, checkpoint.ErrNotFound) {
		t.Fatalf("GetTuple of other thread: err = %v, want ErrNotFound", err)
	}
	list, err := s.List(ctx, checkpoint.Config{ThreadID: "t2"}, checkpoint.ListOptions{})
	if err != nil || len(list) != 0 {
		t.Fatalf("List of empty thread = %v, %v; want none", list, err)
	}
}

func testPutGetRoundTrip(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	c := cp(checkpoint.NewID(), 3)
	m := md("loop", 3)
	m["nested"] = map[string]any{"a": []any{1, "x", true, nil}}
	cfg := mustPut(t, s, checkpoint.Config{ThreadID: "t1"}, c, m)
	for _, q := range []checkpoint.Config{cfg, {ThreadID: "t1"}} {
		got, err := s.GetTuple(ctx, q)
		if err != nil {
			t.Fatalf("GetTuple(%+v): %v", q, err)
		}
		if got.Config != cfg {
			t.Errorf("config = %+v, want %+v", got.Config, cfg)
		}
		if got.ParentConfig != nil {
			t.Errorf("parent config = %+v, want nil", got.ParentConfig)
		}
		if diff := cmp.Diff(c, got.Checkpoint); diff != "" {
			t.Errorf("checkpoint differs (-put +got):\n%s", diff)
		}
		if diff := cmp.Diff(normal(t, m), normal(t, got.Metadata)); diff != "" {
			t.Errorf("metadata differs (-put +got):\n%s", diff)
		}
		if got.Metadata.Source() != "loop" || got.Metadata.Step() != 3 {
			t.Errorf("metadata source/step = %q/%d", got.Metadata.Source(), got.Metadata.Step())
		}
		if len(got.PendingWrites) != 0 {
			t.Errorf("pending writes = %v, want none", got.PendingWrites)
		}
	}
	// The returned tuple is a copy: changing it does not change the store.
	got, _ := s.GetTuple(ctx, cfg)
	got.Checkpoint.ChannelValues["count"] = json.RawMessage("99")
	got.Metadata["source"] = "changed"
	again, _ := s.GetTuple(ctx, cfg)
	if string(again.Checkpoint.ChannelValues["count"]) != "3" || again.Metadata.Source() != "loop" {
		t.Error("changing a returned tuple changed the stored checkpoint")
	}
	// Putting the same id again replaces it and keeps its pending writes.
	if err := s.PutWrites(ctx, cfg, []checkpoint.Write{{Channel: "x", Value: json.RawMessage(`1`)}}, "task"); err != nil {
		t.Fatal(err)
	}
	c2 := cp(c.ID, 4)
	mustPut(t, s, checkpoint.Config{ThreadID: "t1"}, c2, md("update", 4))
	got, err := s.GetTuple(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Checkpoint.ChannelValues["count"]) != "4" || got.Metadata.Source() != "update" {
		t.Errorf("re-put did not replace: %s %v", got.Checkpoint.ChannelValues["count"], got.Metadata)
	}
	if len(got.PendingWrites) != 1 {
		t.Errorf("re-put lost pending writes: %v", got.PendingWrites)
	}
	// Nil metadata is stored as an empty object.
	c3 := cp(checkpoint.NewID(), 5)
	cfg3 := mustPut(t, s, checkpoint.Config{ThreadID: "t1"}, c3, nil)
	got, err = s.GetTuple(ctx, cfg3)
	if err != nil {
		t.Fatal(err)
	}
	if got.Metadata == nil || len(got.Metadata) != 0 {
		t.Errorf("nil metadata came back as %#v, want empty map", got.Metadata)
	}
}

func testLatestAndParents(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	cfgs := chain(t, s, "t1", "", 4)
	latest, err := s.GetTuple(ctx, checkpoint.Config{ThreadID: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if latest.Config != cfgs[3] {
		t.Fatalf("latest = %+v, want %+v", latest.Config, cfgs[3])
	}
	for i := 1; i < len(cfgs); i++ {
		tup, err := s.GetTuple(ctx, cfgs[i])
		if err != nil {
			t.Fatal(err)
		}
		if tup.ParentConfig == nil || *tup.ParentConfig != cfgs[i-1] {
			t.Errorf("parent of %d = %+v, want %+v", i, tup.ParentConfig, cfgs[i-1])
		}
	}
	// A fork: a child of an old checkpoint becomes the latest.
	fork := mustPut(t, s, cfgs[1], cp(checkpoint.NewID(), 9), md("fork", 9))
	latest, err = s.GetTuple(ctx, checkpoint.Config{ThreadID: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if latest.Config != fork || latest.ParentConfig == nil || *latest.ParentConfig != cfgs[1] {
		t.Errorf("after fork latest = %+v parent %+v", latest.Config, latest.ParentConfig)
	}
}

// testPartialNewVersions: the runtime passes only the channels that
// changed; the whole checkpoint must still come back.
func testPartialNewVersions(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	first := cp(checkpoint.NewID(), 1)
	cfg1, err := s.Put(ctx, checkpoint.Config{ThreadID: "t1"}, first, md("loop", 1), first.ChannelVersions)
	if err != nil {
		t.Fatal(err)
	}
	second := cp(checkpoint.NewID(), 1)
	second.ChannelValues["count"] = json.RawMessage(`2`)
	second.ChannelVersions["count"] = checkpoint.FormatVersion(3)
	cfg2, err := s.Put(ctx, cfg1, second, md("loop", 2), map[string]string{"count": second.ChannelVersions["count"]})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetTuple(ctx, cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(second, got.Checkpoint); diff != "" {
		t.Errorf("checkpoint put with partial new versions (-put +got):\n%s", diff)
	}
}

func testNamespaces(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	root := chain(t, s, "t1", "", 2)
	sub := chain(t, s, "t1", "child:task-1", 3)
	got, err := s.GetTuple(ctx, checkpoint.Config{ThreadID: "t1"})
	if err != nil || got.Config != root[1] {
		t.Fatalf("latest root = %+v, %v; want %+v", got.Config, err, root[1])
	}
	got, err = s.GetTuple(ctx, checkpoint.Config{ThreadID: "t1", CheckpointNS: "child:task-1"})
	if err != nil || got.Config != sub[2] {
		t.Fatalf("latest sub = %+v, %v; want %+v", got.Config, err, sub[2])
	}
	_, err = s.GetTuple(ctx, checkpoint.Config{ThreadID: "t1", CheckpointID: sub[0].CheckpointID})
	if !errors.Is(err, checkpoint.ErrNotFound) {
		t.Errorf("sub checkpoint found in root namespace: %v", err)
	}
	list, err := s.List(ctx, checkpoint.Config{ThreadID: "t1", CheckpointNS: "child:task-1"}, checkpoint.ListOptions{})
	if err != nil || len(list) != 3 {
		t.Fatalf("List sub = %d, %v; want 3", len(list), err)
	}
	list, err = s.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{})
	if err != nil || len(list) != 2 {
		t.Fatalf("List root = %d, %v; want 2", len(list), err)
	}
}

func raw(v string) json.RawMessage { return json.RawMessage(v) }

func testPendingWrites(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	cfg := chain(t, s, "t1", "", 1)[0]
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutWrites(ctx, cfg, []checkpoint.Write{{Channel: "b", Value: raw(`{"x":1}`)}, {Channel: "a", Value: raw(`"two"`)}}, "task-b"))
	must(s.PutWrites(ctx, cfg, []checkpoint.Write{{Channel: "c", Value: raw(`3`)}}, "task-a"))
	must(s.PutWrites(ctx, cfg, []checkpoint.Write{{Channel: checkpoint.InterruptChannel, Value: raw(`[{"id":"i1","value":"q1"}]`)}}, "task-c"))
	// A special channel written again replaces the earlier write.
	must(s.PutWrites(ctx, cfg, []checkpoint.Write{{Channel: checkpoint.InterruptChannel, Value: raw(`[{"id":"i2","value":"q2"}]`)}}, "task-c"))
	must(s.PutWrites(ctx, cfg, []checkpoint.Write{{Channel: checkpoint.ResumeChannel, Value: raw(`["yes"]`)}}, "task-c"))
	// Writes to another checkpoint do not show here.
	other := mustPut(t, s, cfg, cp(checkpoint.NewID(), 1), md("loop", 0))
	must(s.PutWrites(ctx, other, []checkpoint.Write{{Channel: "z", Value: raw(`0`)}}, "task-z"))

	want := []checkpoint.PendingWrite{
		{TaskID: "task-a", Channel: "c", Value: raw(`3`)},
		{TaskID: "task-b", Channel: "b", Value: raw(`{"x":1}`)},
		{TaskID: "task-b", Channel: "a", Value: raw(`"two"`)},
		{TaskID: "task-c", Channel: checkpoint.ResumeChannel, Value: raw(`["yes"]`)},
		{TaskID: "task-c", Channel: checkpoint.InterruptChannel, Value: raw(`[{"id":"i2","value":"q2"}]`)},
	}
	got, err := s.GetTuple(ctx, cfg)
	must(err)
	if diff := cmp.Diff(want, got.PendingWrites); diff != "" {
		t.Errorf("pending writes differ (-want +got):\n%s", diff)
	}
	list, err := s.List(ctx, checkpoint.Config{ThreadID: "t1", CheckpointID: cfg.CheckpointID}, checkpoint.ListOptions{})
	must(err)
	if len(list) != 1 {
		t.Fatalf("List by id = %d tuples, want 1", len(list))
	}
	if diff := cmp.Diff(want, list[0].PendingWrites); diff != "" {
		t.Errorf("List pending writes differ (-want +got):\n%s", diff)
	}
	// A regular write at the same position replaces too.
	must(s.PutWrites(ctx, cfg, []checkpoint.Write{{Channel: "c", Value: raw(`4`)}}, "task-a"))
	got, err = s.GetTuple(ctx, cfg)
	must(err)
	if string(got.PendingWrites[0].Value) != "4" || len(got.PendingWrites) != len(want) {
		t.Errorf("after rewrite: %v", got.PendingWrites)
	}
}

func ids(ts []checkpoint.Tuple) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Config.CheckpointID
	}
	return out
}

func testListOrderLimitBefore(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	cfgs := chain(t, s, "t1", "", 5)
	chain(t, s, "t2", "", 2)
	all := []string{cfgs[4].CheckpointID, cfgs[3].CheckpointID, cfgs[2].CheckpointID, cfgs[1].CheckpointID, cfgs[0].CheckpointID}
	list, err := s.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all, ids(list)); diff != "" {
		t.Errorf("List order (-want +got):\n%s", diff)
	}
	list, err = s.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all[:2], ids(list)); diff != "" {
		t.Errorf("List limit 2 (-want +got):\n%s", diff)
	}
	list, err = s.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{Before: cfgs[3].CheckpointID, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all[2:4], ids(list)); diff != "" {
		t.Errorf("List before+limit (-want +got):\n%s", diff)
	}
	if list[0].ParentConfig == nil || *list[0].ParentConfig != cfgs[1] {
		t.Errorf("listed parent = %+v, want %+v", list[0].ParentConfig, cfgs[1])
	}
}

func testListFilter(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	cfgs := chain(t, s, "t1", "", 4) // sources input, loop, loop, loop; steps -1..2
	list, err := s.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{Filter: map[string]any{"source": "loop"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{cfgs[3].CheckpointID, cfgs[2].CheckpointID, cfgs[1].CheckpointID}
	if diff := cmp.Diff(want, ids(list)); diff != "" {
		t.Errorf("filter source=loop (-want +got):\n%s", diff)
	}
	list, err = s.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{Filter: map[string]any{"source": "loop", "step": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{cfgs[2].CheckpointID}, ids(list)); diff != "" {
		t.Errorf("filter source=loop,step=1 (-want +got):\n%s", diff)
	}
	list, err = s.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{Filter: map[string]any{"step": -1.0, "user_id": "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{cfgs[0].CheckpointID}, ids(list)); diff != "" {
		t.Errorf("filter step=-1.0 (-want +got):\n%s", diff)
	}
	list, err = s.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{Filter: map[string]any{"missing": "x"}})
	if err != nil || len(list) != 0 {
		t.Errorf("filter on missing key = %v, %v; want none", ids(list), err)
	}
	list, err = s.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{Filter: map[string]any{"writes": map[string]any{"agent": map[string]any{"count": 0}}}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{cfgs[1].CheckpointID}, ids(list)); diff != "" {
		t.Errorf("filter on nested object (-want +got):\n%s", diff)
	}
	list, err = s.List(ctx, checkpoint.Config{ThreadID: "t1"}, checkpoint.ListOptions{Filter: map[string]any{"source": "loop"}, Limit: 1})
	if err != nil || len(list) != 1 || list[0].Config != cfgs[3] {
		t.Errorf("filter with limit = %v, %v", ids(list), err)
	}
}

func testDeleteThread(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	c := chain(t, s, "t1", "", 2)
	chain(t, s, "t1", "sub:1", 2)
	keep := chain(t, s, "t2", "", 1)
	if err := s.PutWrites(ctx, c[1], []checkpoint.Write{{Channel: "x", Value: raw(`1`)}}, "task"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteThread(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"", "sub:1"} {
		if _, err := s.GetTuple(ctx, checkpoint.Config{ThreadID: "t1", CheckpointNS: ns}); !errors.Is(err, checkpoint.ErrNotFound) {
			t.Errorf("ns %q after delete: %v, want ErrNotFound", ns, err)
		}
	}
	if got, err := s.GetTuple(ctx, checkpoint.Config{ThreadID: "t2"}); err != nil || got.Config != keep[0] {
		t.Errorf("other thread after delete = %+v, %v", got.Config, err)
	}
	if err := s.DeleteThread(ctx, "unknown"); err != nil {
		t.Errorf("deleting an unknown thread: %v", err)
	}
	// The thread can be used again after deletion, without old writes.
	again := mustPut(t, s, checkpoint.Config{ThreadID: "t1"}, cp(c[1].CheckpointID, 0), md("input", -1))
	got, err := s.GetTuple(ctx, again)
	if err != nil || len(got.PendingWrites) != 0 || got.ParentConfig != nil {
		t.Errorf("re-created checkpoint = %+v, %v", got, err)
	}
}

func testCopyThread(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	var src []checkpoint.Config
	parent := checkpoint.Config{ThreadID: "src"}
	for i := range 3 {
		m := md("loop", i)
		m["thread_id"] = "src"
		c := mustPut(t, s, parent, cp(checkpoint.NewID(), i), m)
		src = append(src, c)
		parent = c
	}
	sub := chain(t, s, "src", "child:1", 1)
	if err := s.PutWrites(ctx, src[2], []checkpoint.Write{{Channel: "x", Value: raw(`"w"`)}}, "task"); err != nil {
		t.Fatal(err)
	}
	if err := s.CopyThread(ctx, "src", "dst"); err != nil {
		t.Fatal(err)
	}
	srcList, err := s.List(ctx, checkpoint.Config{ThreadID: "src"}, checkpoint.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dstList, err := s.List(ctx, checkpoint.Config{ThreadID: "dst"}, checkpoint.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(srcList), ids(dstList)); diff != "" {
		t.Fatalf("copied ids differ (-src +dst):\n%s", diff)
	}
	for i := range dstList {
		d, s := dstList[i], srcList[i]
		if d.Config.ThreadID != "dst" || (d.ParentConfig != nil && d.ParentConfig.ThreadID != "dst") {
			t.Errorf("copied configs not on dst: %+v parent %+v", d.Config, d.ParentConfig)
		}
		if diff := cmp.Diff(s.Checkpoint, d.Checkpoint); diff != "" {
			t.Errorf("copied checkpoint differs:\n%s", diff)
		}
		if d.Metadata["thread_id"] != "dst" || s.Metadata["thread_id"] != "src" {
			t.Errorf("metadata thread_id: src %v dst %v", s.Metadata["thread_id"], d.Metadata["thread_id"])
		}
		if diff := cmp.Diff(s.PendingWrites, d.PendingWrites); diff != "" {
			t.Errorf("copied writes differ:\n%s", diff)
		}
	}
	if len(dstList[0].PendingWrites) != 1 {
		t.Errorf("latest copied checkpoint has %d writes, want 1", len(dstList[0].PendingWrites))
	}
	got, err := s.GetTuple(ctx, checkpoint.Config{ThreadID: "dst", CheckpointNS: "child:1"})
	if err != nil || got.Config.CheckpointID != sub[0].CheckpointID {
		t.Errorf("copied subgraph checkpoint = %+v, %v", got.Config, err)
	}
	// The copies are independent.
	if err := s.DeleteThread(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTuple(ctx, checkpoint.Config{ThreadID: "dst"}); err != nil {
		t.Errorf("dst after deleting src: %v", err)
	}
}

func testConcurrent(t *testing.T, s checkpoint.Saver) {
	ctx := context.Background()
	const threads, steps = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, threads)
	for i := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			thread := fmt.Sprintf("t%d", i)
			parent := checkpoint.Config{ThreadID: thread}
			for j := range steps {
				c := cp(checkpoint.NewID(), j)
				cfg, err := s.Put(ctx, parent, c, md("loop", j), c.ChannelVersions)
				if err != nil {
					errs <- err
					return
				}
				if err := s.PutWrites(ctx, cfg, []checkpoint.Write{{Channel: "x", Value: raw(fmt.Sprint(j))}}, "task"); err != nil {
					errs <- err
					return
				}
				if _, err := s.GetTuple(ctx, checkpoint.Config{ThreadID: thread}); err != nil {
					errs <- err
					return
				}
				parent = cfg
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range threads {
		list, err := s.List(ctx, checkpoint.Config{ThreadID: fmt.Sprintf("t%d", i)}, checkpoint.ListOptions{})
		if err != nil || len(list) != steps {
			t.Errorf("thread %d: %d checkpoints, %v; want %d", i, len(list), err, steps)
		}
	}
}
