package conformance

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/agentgate/agentgate/storage"
)

func testSweep(t *testing.T, s storage.Store) {
	ts, is := s.Threads(), s.Items()
	var zero storage.Scope
	_, err := s.Sweep(ctx(), zero, storage.SweepOptions{Now: time.Now()})
	if !errors.Is(err, storage.ErrNoScope) {
		t.Errorf("Sweep with the zero scope: %v", err)
	}
	_, err = s.Sweep(ctx(), all(), storage.SweepOptions{Now: time.Now()})
	isErr(t, err, storage.ErrForbidden, "Sweep with a request scope")

	short := val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "short", TTL: &storage.ThreadTTL{Minutes: 1}})).get(t)
	val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "long", TTL: &storage.ThreadTTL{Minutes: 60}})).get(t)
	val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "forever"})).get(t)
	putCheckpoints(t, s, "short", "", 2)
	hour := time.Hour
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: []string{"n"}, Key: "hour", Value: map[string]any{}, TTL: &hour}))
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: []string{"n"}, Key: "kept", Value: map[string]any{}}))

	// Nothing has run out yet.
	res := val(s.Sweep(ctx(), sys(), storage.SweepOptions{Now: short.UpdatedAt.Add(59 * time.Second)})).get(t)
	if res != (storage.SweepResult{}) {
		t.Errorf("early sweep = %+v", res)
	}
	// An update restarts the countdown.
	up := val(ts.Update(ctx(), all(), "short", storage.ThreadPatch{})).get(t)
	res = val(s.Sweep(ctx(), sys(), storage.SweepOptions{Now: short.UpdatedAt.Add(time.Minute)})).get(t)
	if res.Threads != 0 {
		t.Errorf("sweep after an update = %+v", res)
	}
	res = val(s.Sweep(ctx(), sys(), storage.SweepOptions{Now: up.UpdatedAt.Add(time.Minute)})).get(t)
	if res.Threads != 1 {
		t.Errorf("sweep at the ttl = %+v, want 1 thread", res)
	}
	_, err = ts.Get(ctx(), all(), "short")
	isErr(t, err, storage.ErrNotFound, "Get swept thread")
	val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "short"})).get(t)
	if ids := listCheckpoints(t, s, "short", ""); len(ids) != 0 {
		t.Errorf("swept thread left checkpoints %v", ids)
	}
	res = val(s.Sweep(ctx(), sys(), storage.SweepOptions{Now: time.Now().Add(2 * time.Hour)})).get(t)
	if res.Threads != 1 || res.Items != 1 {
		t.Errorf("late sweep = %+v, want the 60-minute thread and the item", res)
	}
	if n := val(ts.Count(ctx(), all(), storage.ThreadSearch{})).get(t); n != 2 {
		t.Errorf("%d threads left, want 2", n)
	}
	if _, err := is.Get(ctx(), all(), []string{"n"}, "kept", false); err != nil {
		t.Errorf("item without ttl swept: %v", err)
	}
}

// testSweepHugeTTL: TTLs too long to add to a time (as nanoseconds) must
// mean "much later", never overflow into the past.
func testSweepHugeTTL(t *testing.T, s storage.Store) {
	ts, is := s.Threads(), s.Items()
	val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "huge", TTL: &storage.ThreadTTL{Minutes: 1e300}})).get(t)
	huge := time.Duration(math.MaxInt64)
	must(t, is.Put(ctx(), all(), storage.ItemPut{Namespace: []string{"n"}, Key: "huge", Value: map[string]any{}, TTL: &huge}))
	res := val(s.Sweep(ctx(), sys(), storage.SweepOptions{Now: time.Now().Add(24 * time.Hour)})).get(t)
	if res != (storage.SweepResult{}) {
		t.Errorf("sweep = %+v: a huge TTL expired", res)
	}
	val(ts.Get(ctx(), all(), "huge")).get(t)
	val(is.Get(ctx(), all(), []string{"n"}, "huge", true)).get(t)
	if _, err := is.Get(ctx(), all(), []string{"n"}, "huge", false); err != nil {
		t.Errorf("item with a huge TTL after a refresh: %v", err)
	}
}

// testSweepKeepLatestAndLimit: keep_latest keeps the thread and its latest
// checkpoint, once per update; ThreadLimit bounds a sweep, oldest first.
func testSweepKeepLatestAndLimit(t *testing.T, s storage.Store) {
	ts := s.Threads()
	ttl := func(strategy string) *storage.ThreadTTL { return &storage.ThreadTTL{Strategy: strategy, Minutes: 1} }
	val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "keep", TTL: ttl("keep_latest")})).get(t)
	putCheckpoints(t, s, "keep", "", 3)
	for _, id := range []string{"d1", "d2", "d3"} {
		val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: id, TTL: ttl("delete")})).get(t)
	}
	later := func() storage.SweepOptions { return storage.SweepOptions{Now: time.Now().Add(2 * time.Minute)} }

	o := later()
	o.ThreadLimit = 2
	res := val(s.Sweep(ctx(), sys(), o)).get(t)
	if res.Threads != 1 || res.Pruned != 1 {
		t.Errorf("sweep limited to 2 = %+v, want the oldest two: keep pruned, d1 deleted", res)
	}
	if ids := listCheckpoints(t, s, "keep", ""); len(ids) != 1 {
		t.Errorf("keep_latest left %d checkpoints, want 1", len(ids))
	}
	val(ts.Get(ctx(), all(), "keep")).get(t)
	_, err := ts.Get(ctx(), all(), "d1")
	isErr(t, err, storage.ErrNotFound, "Get the deleted thread")

	res = val(s.Sweep(ctx(), sys(), later())).get(t)
	if res.Threads != 2 || res.Pruned != 0 {
		t.Errorf("second sweep = %+v, want d2 and d3 deleted and keep left alone", res)
	}
	putCheckpoints(t, s, "keep", "", 2)
	val(ts.Update(ctx(), all(), "keep", storage.ThreadPatch{})).get(t)
	res = val(s.Sweep(ctx(), sys(), later())).get(t)
	if res.Pruned != 1 || len(listCheckpoints(t, s, "keep", "")) != 1 {
		t.Errorf("sweep after an update = %+v, want keep pruned again to 1 checkpoint", res)
	}
}
