package conformance

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/agentgate/agentgate/storage"
)

// testRunStartLease: a run created with StartLease starts at once when its
// thread is free and it has no delay, as if claimed; otherwise it waits.
func testRunStartLease(t *testing.T, s storage.Store) {
	start := func(c storage.RunCreate) storage.RunCreated {
		t.Helper()
		c.StartLease = time.Minute
		return val(s.Runs().Create(ctx(), all(), c)).get(t)
	}
	fresh := newRun(uuid.NewString())
	fresh.IfNotExists = "create"
	a := start(fresh)
	if !a.Started || a.Run.Status != storage.RunRunning || a.Run.Attempt != 1 || a.Run.ThreadCreatedAt.IsZero() {
		t.Fatalf("started run on a new thread: %+v", a)
	}
	th := a.Run.ThreadID
	if got := val(s.Threads().Get(ctx(), sys(), th)).get(t); got.Status != storage.StatusBusy ||
		!got.CreatedAt.Equal(a.Run.ThreadCreatedAt) {
		t.Errorf("thread of a started run: %+v (run says created %v)", got, a.Run.ThreadCreatedAt)
	}
	noClaim(t, s) // it is running already
	if got := runStatus(t, s, th, a.Run.RunID); got != storage.RunRunning {
		t.Errorf("stored status %s, want running", got)
	}
	if cancel, err := s.Runs().Heartbeat(ctx(), sys(), a.Run.RunID, time.Minute); err != nil || cancel != "" {
		t.Errorf("Heartbeat of a started run: %q, %v", cancel, err)
	}
	// The thread is busy: the next run waits for the first.
	b := start(newRun(th))
	if b.Started || b.Run.Status != storage.RunPending {
		t.Fatalf("run on a busy thread: %+v", b)
	}
	val(s.Runs().Finish(ctx(), sys(), storage.RunFinish{ThreadID: th, RunID: a.Run.RunID, Status: storage.RunSuccess})).get(t)
	if got := claim(t, s); got.RunID != b.Run.RunID {
		t.Errorf("claimed %s, want the waiting run %s", got.RunID, b.Run.RunID)
	}
	val(s.Runs().Finish(ctx(), sys(), storage.RunFinish{ThreadID: th, RunID: b.Run.RunID, Status: storage.RunSuccess})).get(t)
	// A delayed run waits for its time; without StartLease nothing starts.
	delayed := newRun(th)
	delayed.Delay = time.Hour
	if d := start(delayed); d.Started || d.Run.Status != storage.RunPending {
		t.Errorf("delayed run: %+v", d)
	}
	other := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{})).get(t).ThreadID
	if p := val(s.Runs().Create(ctx(), all(), newRun(other))).get(t); p.Started || p.Run.Status != storage.RunPending {
		t.Errorf("run without StartLease: %+v", p)
	}
}
