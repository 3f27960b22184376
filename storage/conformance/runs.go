package conformance

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/storage"
)

func runTests() []test {
	return []test{
		{"RunCreateGetList", testRunCreateGetList},
		{"RunIfNotExists", testRunIfNotExists},
		{"RunMultitask", testRunMultitask},
		{"RunClaim", testRunClaim},
		{"RunStartLease", testRunStartLease},
		{"RunStats", testRunStats},
		{"RunFinish", testRunFinish},
		{"RunCancel", testRunCancel},
		{"RunDeleteAndCascade", testRunDeleteAndCascade},
		{"RunDiscard", testRunDiscard},
		{"RunRequeueExpired", testRunRequeueExpired},
		{"RunScope", testRunScope},
		{"RunWorkerNeedsSystem", testRunWorkerNeedsSystem},
	}
}

const asst = "fe096781-5601-53d2-b2f6-0d3403f7e9ca"

func newRun(thread string) storage.RunCreate {
	return storage.RunCreate{ThreadID: thread, AssistantID: asst, GraphID: "agent",
		Metadata: map[string]any{"m": 1}, Kwargs: map[string]any{"input": map[string]any{"x": "y"}}}
}

func threadStatus(t *testing.T, s storage.Store, id string) string {
	t.Helper()
	return val(s.Threads().Get(ctx(), sys(), id)).get(t).Status
}

func runStatus(t *testing.T, s storage.Store, thread, id string) string {
	t.Helper()
	return val(s.Runs().Get(ctx(), sys(), thread, id)).get(t).Status
}

// claim claims the next run, failing when none is ready.
func claim(t *testing.T, s storage.Store) storage.Run {
	t.Helper()
	r, ok, err := s.Runs().Claim(ctx(), sys(), time.Minute)
	if err != nil || !ok {
		t.Fatalf("Claim = %v, %v; want a run", ok, err)
	}
	return r
}

func noClaim(t *testing.T, s storage.Store) {
	t.Helper()
	r, ok, err := s.Runs().Claim(ctx(), sys(), time.Minute)
	if err != nil || ok {
		t.Fatalf("Claim = %s %v, %v; want none", r.RunID, ok, err)
	}
}

func testRunCreateGetList(t *testing.T, s storage.Store) {
	th := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{Metadata: map[string]any{"a": "b"}})).get(t)
	c := newRun(th.ThreadID)
	c.ThreadConfig = map[string]any{"configurable": map[string]any{"k": "v"}}
	got := val(s.Runs().Create(ctx(), all(), c)).get(t)
	r := got.Run
	if r.RunID == "" || r.Status != storage.RunPending || r.ThreadID != th.ThreadID || r.AssistantID != asst ||
		r.MultitaskStrategy != storage.MultitaskEnqueue || r.Metadata["m"] != float64(1) || got.ThreadCreated {
		t.Fatalf("created run = %+v", got)
	}
	if kw, _ := r.Kwargs["input"].(map[string]any); kw["x"] != "y" {
		t.Errorf("kwargs = %v", r.Kwargs)
	}
	tt := val(s.Threads().Get(ctx(), sys(), th.ThreadID)).get(t)
	if tt.Status != storage.StatusBusy || tt.Metadata["graph_id"] != "agent" || tt.Metadata["assistant_id"] != asst || tt.Metadata["a"] != "b" {
		t.Errorf("thread after create = %+v", tt)
	}
	if cfg, _ := tt.Config["configurable"].(map[string]any); cfg["k"] != "v" {
		t.Errorf("thread config = %v", tt.Config)
	}
	g := val(s.Runs().Get(ctx(), all(), th.ThreadID, r.RunID)).get(t)
	if g.RunID != r.RunID || !g.CreatedAt.Equal(r.CreatedAt) || g.Status != storage.RunPending {
		t.Errorf("Get = %+v, want %+v", g, r)
	}
	b, err := json.Marshal(g)
	must(t, err)
	var wire map[string]any
	must(t, json.Unmarshal(b, &wire))
	for _, k := range []string{"run_id", "thread_id", "assistant_id", "created_at", "updated_at", "status", "metadata", "multitask_strategy", "kwargs"} {
		if _, ok := wire[k]; !ok {
			t.Errorf("wire shape lacks %q: %s", k, b)
		}
	}
	_, err = s.Runs().Get(ctx(), all(), th.ThreadID, "00000000-0000-0000-0000-000000000000")
	isErr(t, err, storage.ErrNotFound, "Get missing run")
	other := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t)
	_, err = s.Runs().Get(ctx(), all(), other.ThreadID, r.RunID)
	isErr(t, err, storage.ErrNotFound, "Get run through another thread")

	// List: newest first, paging, status filter.
	ids := []string{r.RunID}
	for range 3 {
		ids = append(ids, val(s.Runs().Create(ctx(), all(), newRun(th.ThreadID))).get(t).Run.RunID)
	}
	list := val(s.Runs().List(ctx(), all(), th.ThreadID, storage.RunList{})).get(t)
	if len(list) != 4 || list[0].RunID != ids[3] || list[3].RunID != ids[0] {
		t.Errorf("List order = %v, want reverse of %v", runIDs(list), ids)
	}
	page := val(s.Runs().List(ctx(), all(), th.ThreadID, storage.RunList{Limit: 2, Offset: 1})).get(t)
	if len(page) != 2 || page[0].RunID != ids[2] || page[1].RunID != ids[1] {
		t.Errorf("List page = %v", runIDs(page))
	}
	first := claim(t, s)
	if first.RunID != ids[0] {
		t.Errorf("claimed %s, want the oldest %s", first.RunID, ids[0])
	}
	running := val(s.Runs().List(ctx(), all(), th.ThreadID, storage.RunList{Status: storage.RunRunning})).get(t)
	if len(running) != 1 || running[0].RunID != ids[0] {
		t.Errorf("List running = %v", runIDs(running))
	}
	_, err = s.Runs().List(ctx(), all(), th.ThreadID, storage.RunList{Status: "bogus"})
	isErr(t, err, storage.ErrInvalid, "List with a bad status")
	_, err = s.Runs().List(ctx(), all(), "00000000-0000-0000-0000-000000000000", storage.RunList{})
	isErr(t, err, storage.ErrNotFound, "List on a missing thread")
	_, err = s.Runs().Create(ctx(), all(), storage.RunCreate{ThreadID: th.ThreadID, AssistantID: asst, RunID: r.RunID})
	isErr(t, err, storage.ErrConflict, "Create with an existing run id")
	c = newRun(th.ThreadID)
	c.MultitaskStrategy = "sometimes"
	_, err = s.Runs().Create(ctx(), all(), c)
	isErr(t, err, storage.ErrInvalid, "Create with a bad strategy")
}

func runIDs(rs []storage.Run) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.RunID
	}
	return out
}

func testRunIfNotExists(t *testing.T, s storage.Store) {
	id := "6f1c1ad4-7d3c-4a6e-9d0b-1d2f3e4a5b6c"
	_, err := s.Runs().Create(ctx(), all(), newRun(id))
	isErr(t, err, storage.ErrNotFound, "Create on a missing thread")
	if n := val(s.Threads().Count(ctx(), sys(), storage.ThreadSearch{})).get(t); n != 0 {
		t.Fatalf("%d threads after a rejected run", n)
	}
	c := newRun(id)
	c.IfNotExists = "create"
	c.ThreadMetadata = map[string]any{"owner": "alice"}
	got := val(s.Runs().Create(ctx(), all(), c)).get(t)
	if !got.ThreadCreated {
		t.Error("ThreadCreated not set")
	}
	th := val(s.Threads().Get(ctx(), sys(), id)).get(t)
	if th.Status != storage.StatusBusy || th.Metadata["owner"] != "alice" || th.Metadata["graph_id"] != "agent" || th.Metadata["assistant_id"] != asst {
		t.Errorf("created thread = %+v", th)
	}
	// An existing thread is used as is.
	c.ThreadMetadata = map[string]any{"owner": "bob"}
	got = val(s.Runs().Create(ctx(), all(), c)).get(t)
	if got.ThreadCreated {
		t.Error("ThreadCreated set for an existing thread")
	}
	if o := val(s.Threads().Get(ctx(), sys(), id)).get(t).Metadata["owner"]; o != "alice" {
		t.Errorf("owner = %v after a second create", o)
	}
	// A run id in use, on a thread the call would create: nothing stays.
	other := "7a2d2be5-8e4d-4b7f-8e1c-2e3f4a5b6c7d"
	c = newRun(other)
	c.IfNotExists, c.RunID = "create", got.Run.RunID
	_, err = s.Runs().Create(ctx(), all(), c)
	isErr(t, err, storage.ErrConflict, "Create with a run id in use on a new thread")
	if _, err := s.Threads().Get(ctx(), sys(), other); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the thread of a conflicting create: %v, want not found", err)
	}
}

func testRunMultitask(t *testing.T, s storage.Store) {
	th := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	first := val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run

	c := newRun(th)
	c.MultitaskStrategy = storage.MultitaskReject
	_, err := s.Runs().Create(ctx(), all(), c)
	isErr(t, err, storage.ErrConflict, "reject on a busy thread")
	if err != nil && err.Error() != "Thread is already running a task. Wait for it to finish or choose a different multitask strategy." {
		t.Errorf("reject message = %q", err)
	}
	if n := len(val(s.Runs().List(ctx(), all(), th, storage.RunList{})).get(t)); n != 1 {
		t.Errorf("%d runs after a rejected one", n)
	}

	// Interrupt: the pending run is interrupted at once.
	c.MultitaskStrategy = storage.MultitaskInterrupt
	second := val(s.Runs().Create(ctx(), all(), c)).get(t)
	if len(second.Stopping) != 0 {
		t.Errorf("Stopping = %v with no running run", runIDs(second.Stopping))
	}
	if st := runStatus(t, s, th, first.RunID); st != storage.RunInterrupted {
		t.Errorf("pending run after interrupt: %s", st)
	}
	// A running run is asked to stop.
	running := claim(t, s)
	if running.RunID != second.Run.RunID || running.Attempt != 1 {
		t.Fatalf("claimed %+v", running)
	}
	third := val(s.Runs().Create(ctx(), all(), c)).get(t)
	if len(third.Stopping) != 1 || third.Stopping[0].RunID != running.RunID {
		t.Errorf("Stopping = %v, want [%s]", runIDs(third.Stopping), running.RunID)
	}
	if cancel := val(s.Runs().Heartbeat(ctx(), sys(), running.RunID, time.Minute)).get(t); cancel != storage.CancelInterrupt {
		t.Errorf("Heartbeat cancel = %q, want interrupt", cancel)
	}
	noClaim(t, s) // one running run per thread
	val(s.Runs().Finish(ctx(), sys(), storage.RunFinish{ThreadID: th, RunID: running.RunID, Status: storage.RunInterrupted})).get(t)
	if st := threadStatus(t, s, th); st != storage.StatusBusy {
		t.Errorf("thread with a pending run: %s", st)
	}

	// Rollback: pending runs are deleted, running ones asked to roll back.
	c.MultitaskStrategy = storage.MultitaskRollback
	fourth := val(s.Runs().Create(ctx(), all(), c)).get(t)
	if _, err := s.Runs().Get(ctx(), all(), th, third.Run.RunID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("pending run after rollback: %v", err)
	}
	r4 := claim(t, s)
	if r4.RunID != fourth.Run.RunID {
		t.Fatalf("claimed %s, want %s", r4.RunID, fourth.Run.RunID)
	}
	fifth := val(s.Runs().Create(ctx(), all(), c)).get(t)
	if len(fifth.Stopping) != 1 || fifth.Stopping[0].RunID != r4.RunID {
		t.Errorf("Stopping = %v", runIDs(fifth.Stopping))
	}
	if cancel := val(s.Runs().Heartbeat(ctx(), sys(), r4.RunID, time.Minute)).get(t); cancel != storage.CancelRollback {
		t.Errorf("Heartbeat cancel = %q, want rollback", cancel)
	}

	// Enqueue: both stay.
	th2 := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	a := val(s.Runs().Create(ctx(), all(), newRun(th2))).get(t)
	b := val(s.Runs().Create(ctx(), all(), newRun(th2))).get(t)
	if len(b.Stopping) != 0 || runStatus(t, s, th2, a.Run.RunID) != storage.RunPending {
		t.Error("enqueue changed the earlier run")
	}
}

func testRunClaim(t *testing.T, s storage.Store) {
	noClaim(t, s)
	t1 := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	t2 := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	delayed := newRun(t2)
	delayed.Delay = 300 * time.Millisecond
	d := val(s.Runs().Create(ctx(), all(), delayed)).get(t).Run
	if time.Until(d.CreatedAt) < 200*time.Millisecond {
		t.Errorf("delayed run created_at = %v, want about now + 300ms", d.CreatedAt)
	}
	a := val(s.Runs().Create(ctx(), all(), newRun(t1))).get(t).Run
	b := val(s.Runs().Create(ctx(), all(), newRun(t1))).get(t).Run
	got := claim(t, s)
	if got.RunID != a.RunID || got.Status != storage.RunRunning || got.Attempt != 1 {
		t.Fatalf("claimed %+v, want %s running attempt 1", got, a.RunID)
	}
	noClaim(t, s) // b waits for a; d waits for its time
	time.Sleep(time.Until(d.CreatedAt) + 10*time.Millisecond)
	if got := claim(t, s); got.RunID != d.RunID {
		t.Errorf("claimed %s, want the delayed run %s", got.RunID, d.RunID)
	}
	val(s.Runs().Finish(ctx(), sys(), storage.RunFinish{ThreadID: t1, RunID: a.RunID, Status: storage.RunSuccess})).get(t)
	if got := claim(t, s); got.RunID != b.RunID {
		t.Errorf("claimed %s, want %s", got.RunID, b.RunID)
	}
	noClaim(t, s)
}

func testRunFinish(t *testing.T, s storage.Store) {
	th := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	finish := func(status string, f storage.RunFinish) storage.Thread {
		t.Helper()
		r := val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
		claim(t, s)
		f.ThreadID, f.RunID, f.Status = th, r.RunID, status
		got := val(s.Runs().Finish(ctx(), sys(), f)).get(t)
		if got.Status != status {
			t.Errorf("finished run status = %s, want %s", got.Status, status)
		}
		if _, err := s.Runs().Finish(ctx(), sys(), f); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("second Finish: %v, want ErrNotFound", err)
		}
		if _, err := s.Runs().Heartbeat(ctx(), sys(), r.RunID, time.Minute); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Heartbeat of a finished run: %v, want ErrNotFound", err)
		}
		return val(s.Threads().Get(ctx(), sys(), th)).get(t)
	}
	got := finish(storage.RunSuccess, storage.RunFinish{Values: map[string]any{"n": 1}})
	if got.Status != storage.StatusIdle || got.Values.(map[string]any)["n"] != float64(1) || len(got.Interrupts) != 0 || got.Error != nil {
		t.Errorf("after success: %+v", got)
	}
	intr := map[string]any{"task": []any{map[string]any{"id": "i1", "value": "?"}}}
	got = finish(storage.RunSuccess, storage.RunFinish{Values: map[string]any{"n": 2}, Interrupts: intr, Next: true})
	if got.Status != storage.StatusInterrupted || len(got.Interrupts) != 1 {
		t.Errorf("after an interrupt: %+v", got)
	}
	e := map[string]any{"error": "ValueError", "message": "boom"}
	got = finish(storage.RunError, storage.RunFinish{Error: e})
	if got.Status != storage.StatusError || got.Error.(map[string]any)["message"] != "boom" || got.Values.(map[string]any)["n"] != float64(2) || len(got.Interrupts) != 0 {
		t.Errorf("after an error: %+v", got)
	}
	got = finish(storage.RunInterrupted, storage.RunFinish{Values: map[string]any{"n": 3}})
	if got.Status != storage.StatusIdle || got.Error != nil {
		t.Errorf("after a cancelled run: %+v", got)
	}
	// Busy while another run waits.
	r := val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	claim(t, s)
	val(s.Runs().Create(ctx(), all(), newRun(th))).get(t)
	val(s.Runs().Finish(ctx(), sys(), storage.RunFinish{ThreadID: th, RunID: r.RunID, Status: storage.RunError, Error: e})).get(t)
	if st := threadStatus(t, s, th); st != storage.StatusBusy {
		t.Errorf("thread with a pending run after an error: %s", st)
	}
	_, err := s.Runs().Finish(ctx(), sys(), storage.RunFinish{ThreadID: th, RunID: r.RunID, Status: storage.RunPending})
	isErr(t, err, storage.ErrInvalid, "Finish with status pending")
}

func testRunCancel(t *testing.T, s storage.Store) {
	th := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	r := val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	got := val(s.Runs().Cancel(ctx(), all(), storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}})).get(t)
	if len(got) != 1 || got[0].Status != storage.RunPending {
		t.Errorf("Cancel returned %+v", got)
	}
	if runStatus(t, s, th, r.RunID) != storage.RunInterrupted || threadStatus(t, s, th) != storage.StatusIdle {
		t.Error("pending run not interrupted or thread not idle")
	}
	_, err := s.Runs().Cancel(ctx(), all(), storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}})
	isErr(t, err, storage.ErrNotFound, "cancel a finished run")

	r = val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	val(s.Runs().Cancel(ctx(), all(), storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}, Action: storage.CancelRollback})).get(t)
	if _, err := s.Runs().Get(ctx(), all(), th, r.RunID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("rolled back pending run: %v", err)
	}
	if threadStatus(t, s, th) != storage.StatusIdle {
		t.Error("thread not idle after rollback of its pending run")
	}

	// A running run is asked to stop and stays running until its worker ends it.
	r = val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	claim(t, s)
	val(s.Runs().Cancel(ctx(), all(), storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}})).get(t)
	if runStatus(t, s, th, r.RunID) != storage.RunRunning {
		t.Error("running run changed by cancel")
	}
	if c := val(s.Runs().Heartbeat(ctx(), sys(), r.RunID, time.Minute)).get(t); c != storage.CancelInterrupt {
		t.Errorf("Heartbeat cancel = %q", c)
	}

	// Bulk by status across threads.
	th2 := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	p1 := val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	p2 := val(s.Runs().Create(ctx(), all(), newRun(th2))).get(t).Run
	got = val(s.Runs().Cancel(ctx(), all(), storage.RunCancel{Status: storage.RunPending})).get(t)
	if len(got) != 2 {
		t.Errorf("bulk cancel pending = %v, want %s and %s", runIDs(got), p1.RunID, p2.RunID)
	}
	if threadStatus(t, s, th) != storage.StatusBusy || threadStatus(t, s, th2) != storage.StatusIdle {
		t.Error("thread statuses after bulk cancel: want busy (running run) and idle")
	}
	got = val(s.Runs().Cancel(ctx(), all(), storage.RunCancel{Status: "all"})).get(t)
	if len(got) != 1 || got[0].RunID != r.RunID {
		t.Errorf("bulk cancel all = %v", runIDs(got))
	}
	_, err = s.Runs().Cancel(ctx(), all(), storage.RunCancel{Status: storage.RunPending})
	isErr(t, err, storage.ErrNotFound, "bulk cancel with nothing pending")
	_, err = s.Runs().Cancel(ctx(), all(), storage.RunCancel{})
	isErr(t, err, storage.ErrInvalid, "cancel without ids or status")
	_, err = s.Runs().Cancel(ctx(), all(), storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}, Status: "all"})
	isErr(t, err, storage.ErrInvalid, "cancel with ids and status")
	_, err = s.Runs().Cancel(ctx(), all(), storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}, Action: "explode"})
	isErr(t, err, storage.ErrInvalid, "cancel with a bad action")
}

func testRunDeleteAndCascade(t *testing.T, s storage.Store) {
	th := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	r := val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	must(t, s.Runs().Delete(ctx(), all(), th, r.RunID))
	if threadStatus(t, s, th) != storage.StatusIdle {
		t.Error("thread still busy after its only run was deleted")
	}
	isErr(t, s.Runs().Delete(ctx(), all(), th, r.RunID), storage.ErrNotFound, "delete a deleted run")
	r = val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	must(t, s.Threads().Delete(ctx(), all(), th))
	noClaim(t, s)
	if _, err := s.Runs().Heartbeat(ctx(), sys(), r.RunID, time.Minute); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("run of a deleted thread: %v", err)
	}
	// Recreating the thread id does not bring the runs back.
	val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{ThreadID: th})).get(t)
	if n := len(val(s.Runs().List(ctx(), all(), th, storage.RunList{})).get(t)); n != 0 {
		t.Errorf("%d runs on a recreated thread", n)
	}
	// Prune cascades too.
	r = val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	val(s.Threads().Prune(ctx(), all(), []string{th}, "delete")).get(t)
	noClaim(t, s)
}

func testRunDiscard(t *testing.T, s storage.Store) {
	th := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	sv := val(s.Checkpointer(ctx(), sys(), th)).get(t)
	put := func(parent checkpoint.Config, runID string) checkpoint.Config {
		t.Helper()
		c := checkpoint.Checkpoint{V: 1, ID: checkpoint.NewID(), TS: checkpoint.Now(),
			ChannelValues: map[string]json.RawMessage{}, ChannelVersions: map[string]string{}, VersionsSeen: map[string]map[string]string{}}
		cfg := val(sv.Put(ctx(), parent, c, checkpoint.Metadata{"run_id": runID}, nil)).get(t)
		must(t, sv.PutWrites(ctx(), cfg, []checkpoint.Write{{Channel: "x", Value: json.RawMessage(`1`)}}, "task"))
		return cfg
	}
	before := put(checkpoint.Config{ThreadID: th}, "earlier-run")
	r := val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	claim(t, s)
	c1 := put(before, r.RunID)
	sub := put(checkpoint.Config{ThreadID: th, CheckpointNS: "child:1"}, r.RunID)
	put(c1, r.RunID)
	must(t, s.Runs().Discard(ctx(), sys(), th, r.RunID))
	if _, err := s.Runs().Get(ctx(), sys(), th, r.RunID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("discarded run: %v", err)
	}
	if got := listCheckpoints(t, s, th, ""); len(got) != 1 || got[0] != before.CheckpointID {
		t.Errorf("checkpoints after discard = %v, want only %s", got, before.CheckpointID)
	}
	if got := listCheckpoints(t, s, th, sub.CheckpointNS); len(got) != 0 {
		t.Errorf("subgraph checkpoints after discard = %v", got)
	}
	tup := val(sv.GetTuple(ctx(), checkpoint.Config{ThreadID: th})).get(t)
	if tup.Config.CheckpointID != before.CheckpointID || len(tup.PendingWrites) != 1 {
		t.Errorf("latest checkpoint = %s with %d writes", tup.Config.CheckpointID, len(tup.PendingWrites))
	}
	if threadStatus(t, s, th) != storage.StatusIdle {
		t.Error("thread not idle after discard")
	}
	isErr(t, s.Runs().Discard(ctx(), sys(), th, r.RunID), storage.ErrNotFound, "discard twice")
}

func testRunRequeueExpired(t *testing.T, s storage.Store) {
	th := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	r := val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	for attempt := 1; attempt <= storage.MaxRunAttempts; attempt++ {
		got, ok, err := s.Runs().Claim(ctx(), sys(), time.Millisecond)
		if err != nil || !ok || got.RunID != r.RunID || got.Attempt != attempt {
			t.Fatalf("attempt %d: claimed %+v %v %v", attempt, got, ok, err)
		}
		time.Sleep(5 * time.Millisecond)
		re := val(s.Runs().RequeueExpired(ctx(), sys())).get(t)
		want := storage.RunPending
		if attempt == storage.MaxRunAttempts {
			want = storage.RunError
		}
		st := runStatus(t, s, th, r.RunID)
		if st != want || (len(re) == 1 && re[0].Status != want) {
			t.Fatalf("attempt %d: requeued %+v, status %s; want %s", attempt, re, st, want)
		}
	}
	got := val(s.Threads().Get(ctx(), sys(), th)).get(t)
	if got.Status != storage.StatusError || got.Error == nil {
		t.Errorf("thread after the last attempt: %+v", got)
	}
	noClaim(t, s)

	// A live lease is left alone.
	r2 := val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	claim(t, s)
	if re := val(s.Runs().RequeueExpired(ctx(), sys())).get(t); len(re) != 0 {
		t.Errorf("requeued a leased run: %v", runIDs(re))
	}
	// A run asked to stop whose worker died ends instead of running again.
	val(s.Runs().Cancel(ctx(), all(), storage.RunCancel{ThreadID: th, RunIDs: []string{r2.RunID}})).get(t)
	val(s.Runs().Heartbeat(ctx(), sys(), r2.RunID, time.Millisecond)).get(t)
	time.Sleep(5 * time.Millisecond)
	val(s.Runs().RequeueExpired(ctx(), sys())).get(t)
	if st := runStatus(t, s, th, r2.RunID); st != storage.RunInterrupted {
		t.Errorf("cancelled run with an expired lease: %s", st)
	}
	noClaim(t, s)
}

func testRunScope(t *testing.T, s storage.Store) {
	alice, bob := owner(t, "alice"), owner(t, "bob")
	th := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{Metadata: map[string]any{"owner": "alice"}})).get(t).ThreadID
	r := val(s.Runs().Create(ctx(), alice, newRun(th))).get(t).Run
	_, err := s.Runs().Create(ctx(), bob, newRun(th))
	isErr(t, err, storage.ErrNotFound, "bob creates a run on alice's thread")
	c := newRun(th)
	c.IfNotExists = "create"
	_, err = s.Runs().Create(ctx(), bob, c)
	isErr(t, err, storage.ErrNotFound, "bob creates a run on alice's thread with if_not_exists=create")
	_, err = s.Runs().Get(ctx(), bob, th, r.RunID)
	isErr(t, err, storage.ErrNotFound, "bob gets alice's run")
	_, err = s.Runs().List(ctx(), bob, th, storage.RunList{})
	isErr(t, err, storage.ErrNotFound, "bob lists alice's runs")
	isErr(t, s.Runs().Delete(ctx(), bob, th, r.RunID), storage.ErrNotFound, "bob deletes alice's run")
	_, err = s.Runs().Cancel(ctx(), bob, storage.RunCancel{ThreadID: th, RunIDs: []string{r.RunID}})
	isErr(t, err, storage.ErrNotFound, "bob cancels alice's run")
	_, err = s.Runs().Cancel(ctx(), bob, storage.RunCancel{Status: "all"})
	isErr(t, err, storage.ErrNotFound, "bob cancels all runs")
	if runStatus(t, s, th, r.RunID) != storage.RunPending {
		t.Fatal("bob changed alice's run")
	}
	// By run id alone (stateless runs): the thread's scope still applies,
	// and the error names neither the thread nor its existence.
	_, err = s.Runs().Get(ctx(), bob, "", r.RunID)
	isErr(t, err, storage.ErrNotFound, "bob gets alice's run by its id alone")
	if err != nil && strings.Contains(err.Error(), th) {
		t.Errorf("the error for bob names alice's thread: %v", err)
	}
	_, err = s.Runs().Get(ctx(), alice, "", "00000000-0000-0000-0000-000000000000")
	isErr(t, err, storage.ErrNotFound, "Get a missing run by its id alone")
	if g := val(s.Runs().Get(ctx(), alice, "", r.RunID)).get(t); g.ThreadID != th || g.RunID != r.RunID {
		t.Errorf("alice gets her run by its id alone: %+v", g)
	}
	val(s.Runs().Get(ctx(), alice, th, r.RunID)).get(t)
	if n := len(val(s.Runs().List(ctx(), alice, th, storage.RunList{})).get(t)); n != 1 {
		t.Errorf("alice sees %d runs", n)
	}
	val(s.Runs().Cancel(ctx(), alice, storage.RunCancel{Status: "all"})).get(t)
}

func testRunWorkerNeedsSystem(t *testing.T, s storage.Store) {
	th := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	r := val(s.Runs().Create(ctx(), all(), newRun(th))).get(t).Run
	var z storage.Scope
	for _, sc := range []storage.Scope{all(), z} {
		_, _, err := s.Runs().Claim(ctx(), sc, time.Minute)
		if err == nil {
			t.Error("Claim with a request scope succeeded")
		}
		_, err = s.Runs().Heartbeat(ctx(), sc, r.RunID, time.Minute)
		if err == nil {
			t.Error("Heartbeat with a request scope succeeded")
		}
		_, err = s.Runs().Finish(ctx(), sc, storage.RunFinish{ThreadID: th, RunID: r.RunID, Status: storage.RunSuccess})
		if err == nil {
			t.Error("Finish with a request scope succeeded")
		}
		if s.Runs().Discard(ctx(), sc, th, r.RunID) == nil {
			t.Error("Discard with a request scope succeeded")
		}
		if _, err := s.Runs().RequeueExpired(ctx(), sc); err == nil {
			t.Error("RequeueExpired with a request scope succeeded")
		}
	}
	_, err := s.Runs().Create(ctx(), z, newRun(th))
	if !errors.Is(err, storage.ErrNoScope) {
		t.Errorf("Create with the zero scope: %v", err)
	}
	if runStatus(t, s, th, r.RunID) != storage.RunPending {
		t.Error("refused calls changed the run")
	}
}

func testRunStats(t *testing.T, s storage.Store) {
	_, err := s.Runs().Stats(ctx(), all())
	isErr(t, err, storage.ErrForbidden, "Stats with a request scope")
	if st := val(s.Runs().Stats(ctx(), sys())).get(t); st != (storage.RunStats{}) {
		t.Fatalf("empty store: %+v", st)
	}
	t1 := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	t2 := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	val(s.Runs().Create(ctx(), all(), newRun(t1))).get(t)
	val(s.Runs().Create(ctx(), all(), newRun(t1))).get(t)
	done := val(s.Runs().Create(ctx(), all(), newRun(t2))).get(t).Run
	claim(t, s)
	if st := val(s.Runs().Stats(ctx(), sys())).get(t); st != (storage.RunStats{Pending: 2, Running: 1}) {
		t.Fatalf("after one claim: %+v, want 2 pending, 1 running", st)
	}
	claim(t, s)
	val(s.Runs().Finish(ctx(), sys(), storage.RunFinish{ThreadID: t2, RunID: done.RunID, Status: storage.RunSuccess})).get(t)
	if st := val(s.Runs().Stats(ctx(), sys())).get(t); st != (storage.RunStats{Pending: 1, Running: 1}) {
		t.Fatalf("after a second claim and a finish: %+v, want 1 pending, 1 running", st)
	}
	// A run whose lease ran out (its process died) is not counted running.
	t3 := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	val(s.Runs().Create(ctx(), all(), newRun(t3))).get(t)
	short, ok, err := s.Runs().Claim(ctx(), sys(), time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("Claim = %v, %v", ok, err)
	}
	time.Sleep(5 * time.Millisecond)
	if st := val(s.Runs().Stats(ctx(), sys())).get(t); st != (storage.RunStats{Pending: 1, Running: 1}) {
		t.Fatalf("with run %s's lease expired: %+v, want 1 pending, 1 running", short.RunID, st)
	}
}
