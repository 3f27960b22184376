package memory

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

type runRec struct {
	run   storage.Run
	lease time.Time // while running
}

type runs struct{ s *Store }

func copyRun(r *storage.Run) storage.Run {
	c := *r
	c.Metadata = query.CopyMap(r.Metadata)
	c.Kwargs = query.CopyMap(r.Kwargs)
	return c
}

// threadRuns returns the runs of a thread, oldest first.
func (s *Store) threadRuns(thread string) []*runRec {
	var out []*runRec
	for _, rr := range s.runs {
		if rr.run.ThreadID == thread {
			out = append(out, rr)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].run, out[j].run
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.RunID < b.RunID
	})
	return out
}

// active reports whether the thread has a pending or running run other
// than except.
func (s *Store) active(thread, except string) bool {
	for _, rr := range s.runs {
		if rr.run.ThreadID == thread && rr.run.RunID != except &&
			(rr.run.Status == storage.RunPending || rr.run.Status == storage.RunRunning) {
			return true
		}
	}
	return false
}

// settle sets a thread's status once a run stopped without finishing
// (cancelled while pending, rolled back): busy while others are active,
// else what its stored state says.
func (s *Store) settle(t *storage.Thread, except string) {
	switch {
	case s.active(t.ThreadID, except):
		t.Status = storage.StatusBusy
	case t.Error != nil:
		t.Status = storage.StatusError
	case len(t.Interrupts) > 0:
		t.Status = storage.StatusInterrupted
	default:
		t.Status = storage.StatusIdle
	}
	t.UpdatedAt = s.now()
}

func (r runs) Create(ctx context.Context, sc storage.Scope, c storage.RunCreate) (storage.RunCreated, error) {
	c, err := query.RunCreate(c)
	if err != nil {
		return storage.RunCreated{}, err
	}
	md, err := query.NormalizeMap(c.Metadata)
	if err != nil {
		return storage.RunCreated{}, err
	}
	kw, err := query.NormalizeMap(c.Kwargs)
	if err != nil {
		return storage.RunCreated{}, err
	}
	tmd, err := query.NormalizeMap(c.ThreadMetadata)
	if err != nil {
		return storage.RunCreated{}, err
	}
	var tcfg map[string]any
	if c.ThreadConfig != nil {
		if tcfg, err = query.NormalizeMap(c.ThreadConfig); err != nil {
			return storage.RunCreated{}, err
		}
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.RunCreated{}, err
	}
	defer r.s.mu.Unlock()
	var out storage.RunCreated
	if r.s.runs[c.RunID] != nil {
		return out, storage.Errorf(storage.ErrConflict, "Run with ID %s already exists", c.RunID)
	}
	now := r.s.now()
	t := r.s.threads[c.ThreadID]
	busy := t != nil && r.s.active(c.ThreadID, "")
	switch {
	case t == nil && c.IfNotExists == "create":
		t = &storage.Thread{ThreadID: c.ThreadID, CreatedAt: now, UpdatedAt: now, StateUpdatedAt: now,
			Metadata: tmd, Config: map[string]any{}, Interrupts: map[string]any{}, TTL: r.s.ttlOr(nil)}
		r.s.threads[c.ThreadID] = t
		out.ThreadCreated = true
	case t == nil || !sc.Match(t.Metadata):
		return out, query.ThreadNotFound(c.ThreadID)
	case busy:
		switch c.MultitaskStrategy {
		case storage.MultitaskReject:
			return out, query.ThreadBusy()
		case storage.MultitaskInterrupt, storage.MultitaskRollback:
			for _, rr := range r.s.threadRuns(c.ThreadID) {
				switch rr.run.Status {
				case storage.RunPending:
					if c.MultitaskStrategy == storage.MultitaskRollback {
						delete(r.s.runs, rr.run.RunID)
						continue
					}
					rr.run.Status, rr.run.UpdatedAt = storage.RunInterrupted, now
				case storage.RunRunning:
					rr.run.Cancel = c.MultitaskStrategy
					out.Stopping = append(out.Stopping, copyRun(&rr.run))
				}
			}
		}
	}
	run := storage.Run{RunID: c.RunID, ThreadID: c.ThreadID, AssistantID: c.AssistantID,
		CreatedAt: now.Add(c.Delay).Truncate(time.Microsecond), UpdatedAt: now, Status: storage.RunPending,
		Metadata: md, MultitaskStrategy: c.MultitaskStrategy, Kwargs: kw}
	rec := &runRec{run: run}
	if c.StartLease > 0 && c.Delay <= 0 && !busy {
		rec.run.Status, rec.run.Attempt, rec.lease = storage.RunRunning, 1, time.Now().Add(c.StartLease)
		out.Started = true
	}
	r.s.runs[run.RunID] = rec
	t.Status = storage.StatusBusy
	patch := map[string]any{"assistant_id": c.AssistantID}
	if c.GraphID != "" {
		patch["graph_id"] = c.GraphID
	}
	t.Metadata = query.Merge(t.Metadata, patch)
	if tcfg != nil {
		t.Config = tcfg
	}
	t.UpdatedAt = now
	out.Run = copyRun(&rec.run)
	if out.Started {
		out.Run.ThreadCreatedAt = t.CreatedAt
	}
	return out, nil
}

// visibleRun returns a run of a thread the scope can see.
func (s *Store) visibleRun(sc storage.Scope, threadID, runID string) (*runRec, error) {
	if _, err := s.visibleThread(sc, threadID); err != nil {
		return nil, err
	}
	rr := s.runs[runID]
	if rr == nil || rr.run.ThreadID != threadID {
		return nil, query.RunNotFound(runID)
	}
	return rr, nil
}

func (r runs) Get(ctx context.Context, sc storage.Scope, threadID, runID string) (storage.Run, error) {
	if err := r.s.rlock(ctx, sc); err != nil {
		return storage.Run{}, err
	}
	defer r.s.mu.RUnlock()
	if threadID == "" { // by run id alone: the run's thread must be visible
		rr := r.s.runs[runID]
		if rr == nil {
			return storage.Run{}, query.RunNotFound(runID)
		}
		if _, err := r.s.visibleThread(sc, rr.run.ThreadID); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return storage.Run{}, query.RunNotFound(runID)
			}
			return storage.Run{}, err
		}
		return copyRun(&rr.run), nil
	}
	rr, err := r.s.visibleRun(sc, threadID, runID)
	if err != nil {
		return storage.Run{}, err
	}
	return copyRun(&rr.run), nil
}

func (r runs) List(ctx context.Context, sc storage.Scope, threadID string, q storage.RunList) ([]storage.Run, error) {
	if err := query.RunStatus(q.Status, true); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	if err := r.s.rlock(ctx, sc); err != nil {
		return nil, err
	}
	defer r.s.mu.RUnlock()
	if _, err := r.s.visibleThread(sc, threadID); err != nil {
		return nil, err
	}
	all := r.s.threadRuns(threadID)
	var found []*runRec
	for i := len(all) - 1; i >= 0; i-- {
		if q.Status == "" || all[i].run.Status == q.Status {
			found = append(found, all[i])
		}
	}
	lo, hi := page(len(found), q.Limit, q.Offset)
	out := make([]storage.Run, 0, hi-lo)
	for _, rr := range found[lo:hi] {
		out = append(out, copyRun(&rr.run))
	}
	return out, nil
}

func (r runs) Delete(ctx context.Context, sc storage.Scope, threadID, runID string) error {
	if err := r.s.lock(ctx, sc); err != nil {
		return err
	}
	defer r.s.mu.Unlock()
	rr, err := r.s.visibleRun(sc, threadID, runID)
	if err != nil {
		return err
	}
	delete(r.s.runs, runID)
	if rr.run.Status == storage.RunPending || rr.run.Status == storage.RunRunning {
		r.s.settle(r.s.threads[threadID], runID)
	}
	return nil
}

func (r runs) Cancel(ctx context.Context, sc storage.Scope, c storage.RunCancel) ([]storage.Run, error) {
	c, err := query.RunCancel(c)
	if err != nil {
		return nil, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return nil, err
	}
	defer r.s.mu.Unlock()
	var threadIDs []string
	if c.ThreadID != "" {
		if _, err := r.s.visibleThread(sc, c.ThreadID); err != nil {
			return nil, err
		}
		threadIDs = []string{c.ThreadID}
	} else {
		for id, t := range r.s.threads {
			if sc.Match(t.Metadata) {
				threadIDs = append(threadIDs, id)
			}
		}
		sort.Strings(threadIDs)
	}
	var out []storage.Run
	for _, tid := range threadIDs {
		touched := false
		for _, rr := range r.s.threadRuns(tid) {
			if !query.CancelMatches(c, rr.run) {
				continue
			}
			out = append(out, copyRun(&rr.run))
			if rr.run.Status == storage.RunRunning {
				rr.run.Cancel = c.Action
				continue
			}
			touched = true
			if c.Action == storage.CancelRollback {
				delete(r.s.runs, rr.run.RunID)
			} else {
				rr.run.Status, rr.run.UpdatedAt = storage.RunInterrupted, r.s.now()
			}
		}
		if touched {
			r.s.settle(r.s.threads[tid], "")
		}
	}
	if len(out) == 0 {
		return nil, query.NoRunsToCancel()
	}
	return out, nil
}

func (r runs) Claim(ctx context.Context, sc storage.Scope, lease time.Duration) (storage.Run, bool, error) {
	if err := query.System(sc, "Runs.Claim"); err != nil {
		return storage.Run{}, false, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Run{}, false, err
	}
	defer r.s.mu.Unlock()
	wall := time.Now()
	running := map[string]bool{}
	for _, rr := range r.s.runs {
		if rr.run.Status == storage.RunRunning {
			running[rr.run.ThreadID] = true
		}
	}
	var best *runRec
	for _, rr := range r.s.runs {
		x := &rr.run
		if x.Status != storage.RunPending || running[x.ThreadID] || x.CreatedAt.After(wall) {
			continue
		}
		if best == nil || x.CreatedAt.Before(best.run.CreatedAt) ||
			x.CreatedAt.Equal(best.run.CreatedAt) && x.RunID < best.run.RunID {
			best = rr
		}
	}
	if best == nil {
		return storage.Run{}, false, nil
	}
	best.run.Status = storage.RunRunning
	best.run.Attempt++
	best.run.Cancel = ""
	best.run.UpdatedAt = r.s.now()
	best.lease = wall.Add(lease)
	out := copyRun(&best.run)
	if t := r.s.threads[out.ThreadID]; t != nil {
		out.ThreadCreatedAt = t.CreatedAt
	}
	return out, true, nil
}

func (r runs) Heartbeat(ctx context.Context, sc storage.Scope, runID string, lease time.Duration) (string, error) {
	if err := query.System(sc, "Runs.Heartbeat"); err != nil {
		return "", err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return "", err
	}
	defer r.s.mu.Unlock()
	rr := r.s.runs[runID]
	if rr == nil || rr.run.Status != storage.RunRunning {
		return "", query.RunNotFound(runID)
	}
	rr.lease = time.Now().Add(lease)
	return rr.run.Cancel, nil
}

func (r runs) Finish(ctx context.Context, sc storage.Scope, f storage.RunFinish) (storage.Run, error) {
	if err := query.System(sc, "Runs.Finish"); err != nil {
		return storage.Run{}, err
	}
	if err := query.FinalStatus(f.Status); err != nil {
		return storage.Run{}, err
	}
	n, err := normalizeState(storage.ThreadState{Values: f.Values, Interrupts: f.Interrupts, Error: f.Error})
	if err != nil {
		return storage.Run{}, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return storage.Run{}, err
	}
	defer r.s.mu.Unlock()
	rr := r.s.runs[f.RunID]
	t := r.s.threads[f.ThreadID]
	if rr == nil || t == nil || rr.run.ThreadID != f.ThreadID || rr.run.Status != storage.RunRunning {
		return storage.Run{}, query.RunNotFound(f.RunID)
	}
	now := r.s.now()
	rr.run.Status, rr.run.UpdatedAt, rr.run.Cancel = f.Status, now, ""
	if f.Values != nil {
		t.Values = n.values
	}
	t.Interrupts = n.interrupts
	t.Error = n.err
	t.Status = query.ThreadStatusAfter(r.s.active(f.ThreadID, f.RunID), f.Status, f.Next)
	t.UpdatedAt, t.StateUpdatedAt = now, now
	return copyRun(&rr.run), nil
}

func (r runs) Discard(ctx context.Context, sc storage.Scope, threadID, runID string) error {
	if err := query.System(sc, "Runs.Discard"); err != nil {
		return err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return err
	}
	defer r.s.mu.Unlock()
	rr := r.s.runs[runID]
	if rr == nil || rr.run.ThreadID != threadID {
		return query.RunNotFound(runID)
	}
	delete(r.s.runs, runID)
	r.s.discardCheckpoints(threadID, runID)
	if t := r.s.threads[threadID]; t != nil {
		r.s.settle(t, runID)
	}
	return nil
}

func (r runs) RequeueExpired(ctx context.Context, sc storage.Scope) ([]storage.Run, error) {
	if err := query.System(sc, "Runs.RequeueExpired"); err != nil {
		return nil, err
	}
	if err := r.s.lock(ctx, sc); err != nil {
		return nil, err
	}
	defer r.s.mu.Unlock()
	wall := time.Now()
	var out []storage.Run
	for _, rr := range r.s.runs {
		if rr.run.Status != storage.RunRunning || rr.lease.After(wall) {
			continue
		}
		now := r.s.now()
		rr.run.UpdatedAt = now
		switch {
		case rr.run.Cancel == storage.CancelRollback:
			// Its canceller wanted it gone: finish the rollback.
			delete(r.s.runs, rr.run.RunID)
			r.s.discardCheckpoints(rr.run.ThreadID, rr.run.RunID)
			if t := r.s.threads[rr.run.ThreadID]; t != nil {
				r.s.settle(t, rr.run.RunID)
			}
			rr.run.Status = storage.RunInterrupted
		case rr.run.Cancel == storage.CancelInterrupt:
			rr.run.Status = storage.RunInterrupted
			if t := r.s.threads[rr.run.ThreadID]; t != nil {
				r.s.settle(t, rr.run.RunID)
			}
		case rr.run.Attempt < storage.MaxRunAttempts:
			rr.run.Status = storage.RunPending
		default:
			rr.run.Status = storage.RunError
			if t := r.s.threads[rr.run.ThreadID]; t != nil {
				t.Error = query.WorkerLost()
				t.Status = query.ThreadStatusAfter(r.s.active(t.ThreadID, rr.run.RunID), storage.RunError, false)
				t.UpdatedAt, t.StateUpdatedAt = now, now
			}
		}
		out = append(out, copyRun(&rr.run))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RunID < out[j].RunID })
	return out, nil
}

// discardCheckpoints deletes the checkpoints (with their writes) whose
// metadata names the run.
func (s *Store) discardCheckpoints(threadID, runID string) {
	for _, ns := range s.cps[threadID] {
		for id, e := range ns {
			var md map[string]any
			if e.metadata != nil && json.Unmarshal(e.metadata, &md) == nil && md["run_id"] == runID {
				delete(ns, id)
			}
		}
	}
}

func (r runs) Stats(ctx context.Context, sc storage.Scope) (storage.RunStats, error) {
	var st storage.RunStats
	if err := query.System(sc, "Runs.Stats"); err != nil {
		return st, err
	}
	if err := r.s.rlock(ctx, sc); err != nil {
		return st, err
	}
	defer r.s.mu.RUnlock()
	now := time.Now()
	for _, rr := range r.s.runs {
		switch {
		case rr.run.Status == storage.RunPending:
			st.Pending++
		case rr.run.Status == storage.RunRunning && rr.lease.After(now):
			// Live leases only: a dead process's runs are not running.
			st.Running++
		}
	}
	return st, nil
}
