package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/graph/checkpoint/checkpointtest"
	"github.com/agentgate/agentgate/storage"
)

func checkpointerTests() []test {
	return []test{
		{"CheckpointerScope", testCheckpointerScope},
		{"CheckpointerDeletedThread", testCheckpointerDeletedThread},
		{"ConcurrentWrites", testConcurrentWrites},
	}
}

func testCheckpointerScope(t *testing.T, s storage.Store) {
	ts := s.Threads()
	val(ts.Create(ctx(), sys(), storage.ThreadCreate{ThreadID: "mine", Metadata: map[string]any{"owner": "alice"}})).get(t)
	val(ts.Create(ctx(), sys(), storage.ThreadCreate{ThreadID: "theirs", Metadata: map[string]any{"owner": "bob"}})).get(t)
	val(ts.Create(ctx(), sys(), storage.ThreadCreate{ThreadID: "mine2", Metadata: map[string]any{"owner": "alice"}})).get(t)
	alice := owner(t, "alice")
	_, err := s.Checkpointer(ctx(), alice, "theirs")
	isErr(t, err, storage.ErrNotFound, "Checkpointer of a hidden thread")
	_, err = s.Checkpointer(ctx(), alice, "missing")
	isErr(t, err, storage.ErrNotFound, "Checkpointer of a missing thread")
	theirs := putCheckpoints(t, s, "theirs", "", 1)[0]

	sv := val(s.Checkpointer(ctx(), alice, "mine")).get(t)
	mine := val(sv.Put(ctx(), checkpoint.Config{ThreadID: "mine"}, checkpoint.Checkpoint{V: 1, ID: checkpoint.NewID(), TS: checkpoint.Now()}, nil, nil)).get(t)
	if _, err := sv.GetTuple(ctx(), checkpoint.Config{ThreadID: "mine"}); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrForbidden) {
			t.Errorf("%s on another thread: err = %v, want ErrForbidden", what, err)
		}
	}
	other := checkpoint.Config{ThreadID: "theirs"}
	_, err = sv.Put(ctx(), other, checkpoint.Checkpoint{V: 1, ID: checkpoint.NewID()}, nil, nil)
	refused("Put", err)
	refused("PutWrites", sv.PutWrites(ctx(), theirs, []checkpoint.Write{{Channel: "x", Value: json.RawMessage(`1`)}}, "task"))
	_, err = sv.GetTuple(ctx(), other)
	refused("GetTuple", err)
	_, err = sv.List(ctx(), other, checkpoint.ListOptions{})
	refused("List", err)
	refused("DeleteThread", sv.DeleteThread(ctx(), "theirs"))
	refused("CopyThread from", sv.CopyThread(ctx(), "theirs", "mine"))
	_, err = sv.GetTuple(ctx(), checkpoint.Config{})
	refused("GetTuple without thread", err)
	isErr(t, sv.CopyThread(ctx(), "mine", "theirs"), storage.ErrNotFound, "CopyThread to a hidden thread")
	isErr(t, sv.CopyThread(ctx(), "mine", "missing"), storage.ErrNotFound, "CopyThread to a missing thread")
	must(t, sv.CopyThread(ctx(), "mine", "mine2"))
	if ids := listCheckpoints(t, s, "mine2", ""); len(ids) != 1 || ids[0] != mine.CheckpointID {
		t.Errorf("copied to mine2: %v", ids)
	}
	// bob's checkpoint is untouched.
	if ids := listCheckpoints(t, s, "theirs", ""); len(ids) != 1 || ids[0] != theirs.CheckpointID {
		t.Errorf("other thread's checkpoints = %v", ids)
	}
	must(t, sv.DeleteThread(ctx(), "mine"))
	if ids := listCheckpoints(t, s, "mine", ""); len(ids) != 0 {
		t.Errorf("after DeleteThread: %v", ids)
	}
	if _, err := ts.Get(ctx(), alice, "mine"); err != nil {
		t.Errorf("DeleteThread of the checkpointer removed the thread itself: %v", err)
	}
}

func testCheckpointerDeletedThread(t *testing.T, s storage.Store) {
	ts := s.Threads()
	val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t1"})).get(t)
	sv := val(s.Checkpointer(ctx(), all(), "t1")).get(t)
	cfg := val(sv.Put(ctx(), checkpoint.Config{ThreadID: "t1"}, checkpoint.Checkpoint{V: 1, ID: checkpoint.NewID(), TS: checkpoint.Now()}, nil, nil)).get(t)
	must(t, ts.Delete(ctx(), all(), "t1"))
	// A run still holding the checkpointer cannot write into a deleted thread.
	_, err := sv.Put(ctx(), cfg, checkpoint.Checkpoint{V: 1, ID: checkpoint.NewID(), TS: checkpoint.Now()}, nil, nil)
	isErr(t, err, storage.ErrNotFound, "Put after the thread was deleted")
	isErr(t, sv.PutWrites(ctx(), cfg, []checkpoint.Write{{Channel: "x", Value: json.RawMessage(`1`)}}, "task"), storage.ErrNotFound, "PutWrites after the thread was deleted")
	val(ts.Create(ctx(), all(), storage.ThreadCreate{ThreadID: "t1"})).get(t)
	if ids := listCheckpoints(t, s, "t1", ""); len(ids) != 0 {
		t.Errorf("re-created thread has checkpoints %v", ids)
	}
}

// testConcurrentWrites runs writers of every kind at once; run it with -race.
func testConcurrentWrites(t *testing.T, s storage.Store) {
	const workers, rounds = 6, 8
	val(s.Assistants().Create(ctx(), all(), storage.AssistantCreate{AssistantID: "shared", GraphID: "g"})).get(t)
	val(s.Threads().Create(ctx(), all(), storage.ThreadCreate{ThreadID: "shared"})).get(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- concurrentWorker(ctx(), s, w, rounds)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	vs := val(s.Assistants().Versions(ctx(), all(), "shared", storage.VersionSearch{})).get(t)
	if len(vs) != 1+workers*rounds || vs[0].Version != 1+workers*rounds {
		t.Errorf("%d versions, newest %d; want %d", len(vs), vs[0].Version, 1+workers*rounds)
	}
	for i, v := range vs {
		if v.Version != len(vs)-i {
			t.Fatalf("versions are not 1..%d without gaps: %v", len(vs), versionNumbers(vs))
		}
	}
	th := val(s.Threads().Get(ctx(), all(), "shared")).get(t)
	if len(th.Metadata) != workers {
		t.Errorf("shared thread metadata has %d keys, want %d (lost updates)", len(th.Metadata), workers)
	}
	if n := val(s.Threads().Count(ctx(), all(), storage.ThreadSearch{})).get(t); n != 1+workers*rounds {
		t.Errorf("%d threads, want %d", n, 1+workers*rounds)
	}
	items := val(s.Items().Search(ctx(), all(), storage.ItemSearch{Prefix: []string{"c"}})).get(t)
	if len(items) != workers*rounds+1 {
		t.Errorf("%d items, want %d", len(items), workers*rounds+1)
	}
}

func concurrentWorker(ctx context.Context, s storage.Store, w, rounds int) error {
	for i := range rounds {
		if _, err := s.Assistants().Update(ctx, all(), "shared", storage.AssistantPatch{Metadata: map[string]any{fmt.Sprintf("w%d", w): i}}); err != nil {
			return fmt.Errorf("assistant update: %w", err)
		}
		th, err := s.Threads().Create(ctx, all(), storage.ThreadCreate{Metadata: map[string]any{"w": w}})
		if err != nil {
			return fmt.Errorf("thread create: %w", err)
		}
		if _, err := s.Threads().Update(ctx, all(), "shared", storage.ThreadPatch{Metadata: map[string]any{fmt.Sprintf("w%d", w): i}}); err != nil {
			return fmt.Errorf("thread update: %w", err)
		}
		st := storage.StatusBusy
		if _, err := s.Threads().SetState(ctx, all(), th.ThreadID, storage.ThreadState{Status: &st, Values: map[string]any{"i": i}}); err != nil {
			return fmt.Errorf("set state: %w", err)
		}
		if err := s.Items().Put(ctx, all(), storage.ItemPut{Namespace: []string{"c", fmt.Sprint(w)}, Key: fmt.Sprint(i), Value: map[string]any{"i": i}}); err != nil {
			return fmt.Errorf("item put: %w", err)
		}
		if err := s.Items().Put(ctx, all(), storage.ItemPut{Namespace: []string{"c"}, Key: "same", Value: map[string]any{"w": w}}); err != nil {
			return fmt.Errorf("item put same: %w", err)
		}
		if _, err := s.Threads().Search(ctx, all(), storage.ThreadSearch{Metadata: map[string]any{"w": w}, Limit: 5}); err != nil {
			return fmt.Errorf("thread search: %w", err)
		}
		if _, err := s.Items().Search(ctx, all(), storage.ItemSearch{Prefix: []string{"c"}, Limit: 5}); err != nil {
			return fmt.Errorf("item search: %w", err)
		}
	}
	return nil
}

// runSaverSuite runs the checkpoint saver conformance suite on savers
// returned by Store.Checkpointer: each call is routed to the checkpointer
// of the thread it names, creating that thread first.
func runSaverSuite(t *testing.T, newStore func(t *testing.T) storage.Store) {
	checkpointtest.Run(t, func(t *testing.T) checkpoint.Saver {
		return &routingSaver{s: newStore(t)}
	})
}

type routingSaver struct {
	s storage.Store
}

func (r *routingSaver) saver(ctx context.Context, thread string) (checkpoint.Saver, error) {
	if _, err := r.s.Threads().Create(ctx, storage.System(), storage.ThreadCreate{ThreadID: thread, IfExists: storage.IfExistsDoNothing}); err != nil {
		return nil, err
	}
	return r.s.Checkpointer(ctx, storage.System(), thread)
}

func (r *routingSaver) Put(ctx context.Context, cfg checkpoint.Config, cp checkpoint.Checkpoint, md checkpoint.Metadata, nv map[string]string) (checkpoint.Config, error) {
	sv, err := r.saver(ctx, cfg.ThreadID)
	if err != nil {
		return checkpoint.Config{}, err
	}
	return sv.Put(ctx, cfg, cp, md, nv)
}

func (r *routingSaver) PutWrites(ctx context.Context, cfg checkpoint.Config, writes []checkpoint.Write, taskID string) error {
	sv, err := r.saver(ctx, cfg.ThreadID)
	if err != nil {
		return err
	}
	return sv.PutWrites(ctx, cfg, writes, taskID)
}

func (r *routingSaver) GetTuple(ctx context.Context, cfg checkpoint.Config) (checkpoint.Tuple, error) {
	sv, err := r.saver(ctx, cfg.ThreadID)
	if err != nil {
		return checkpoint.Tuple{}, err
	}
	return sv.GetTuple(ctx, cfg)
}

func (r *routingSaver) List(ctx context.Context, cfg checkpoint.Config, opts checkpoint.ListOptions) ([]checkpoint.Tuple, error) {
	sv, err := r.saver(ctx, cfg.ThreadID)
	if err != nil {
		return nil, err
	}
	return sv.List(ctx, cfg, opts)
}

func (r *routingSaver) DeleteThread(ctx context.Context, thread string) error {
	sv, err := r.saver(ctx, thread)
	if err != nil {
		return err
	}
	return sv.DeleteThread(ctx, thread)
}

func (r *routingSaver) CopyThread(ctx context.Context, src, dst string) error {
	if _, err := r.saver(ctx, dst); err != nil {
		return err
	}
	sv, err := r.saver(ctx, src)
	if err != nil {
		return err
	}
	return sv.CopyThread(ctx, src, dst)
}
