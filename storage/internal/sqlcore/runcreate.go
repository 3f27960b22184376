package sqlcore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

// runCreate is a run to create, checked and encoded.
type runCreate struct {
	storage.RunCreate
	md, kw string
	tmd    map[string]any
	tcfg   sql.NullString
}

func (r runs) Create(ctx context.Context, sc storage.Scope, c storage.RunCreate) (storage.RunCreated, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.RunCreated{}, err
	}
	c, err := query.RunCreate(c)
	if err != nil {
		return storage.RunCreated{}, err
	}
	rc := runCreate{RunCreate: c}
	if rc.md, err = encodeMap(c.Metadata); err != nil {
		return storage.RunCreated{}, err
	}
	if rc.kw, err = encodeMap(c.Kwargs); err != nil {
		return storage.RunCreated{}, err
	}
	if rc.tmd, err = query.NormalizeMap(c.ThreadMetadata); err != nil {
		return storage.RunCreated{}, err
	}
	if c.ThreadConfig != nil {
		if rc.tcfg.String, err = encodeMap(c.ThreadConfig); err != nil {
			return storage.RunCreated{}, err
		}
		rc.tcfg.Valid = true
	}
	if c.IfNotExists == "create" && r.s.d.InsertWith {
		if out, ok, err := r.createWithThread(ctx, rc); ok || err != nil {
			return out, err
		}
	}
	return r.create(ctx, sc, rc)
}

// newThread is the thread a run creates: busy, with the run's metadata
// and config.
func (r runs) newThread(c runCreate, now time.Time) storage.Thread {
	cfg := c.ThreadConfig
	if cfg == nil {
		cfg = map[string]any{}
	}
	return storage.Thread{ThreadID: c.ThreadID, CreatedAt: now, UpdatedAt: now, StateUpdatedAt: now,
		Metadata: query.Merge(c.tmd, threadPatch(c)), Status: storage.StatusBusy, Config: cfg, Interrupts: map[string]any{},
		TTL: r.s.ttlOr(nil)}
}

// threadPatch is what a run sets in its thread's metadata.
func threadPatch(c runCreate) map[string]any {
	patch := map[string]any{"assistant_id": c.AssistantID}
	if c.GraphID != "" {
		patch["graph_id"] = c.GraphID
	}
	return patch
}

// runStart is how a run is inserted: pending, or running on a lease when
// it is started at once (a free worker and a thread with no other run).
func runStart(c runCreate, busy bool) (started bool, status string, attempt int, lease sql.NullInt64) {
	if c.StartLease > 0 && c.Delay <= 0 && !busy {
		return true, storage.RunRunning, 1, sql.NullInt64{Int64: ts(time.Now().Add(c.StartLease)), Valid: true}
	}
	return false, storage.RunPending, 0, sql.NullInt64{}
}

// runInsert is the INSERT of a run's columns (without its source) and its
// values' arguments.
func runInsert(c runCreate, now time.Time, busy bool) (started bool, stmt string, args []any) {
	started, status, attempt, lease := runStart(c, busy)
	return started, `INSERT INTO runs (run_id, thread_id, assistant_id, created_at,
			updated_at, status, metadata, multitask_strategy, kwargs, attempt, lease_until)
			SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`,
		[]any{c.RunID, c.ThreadID, c.AssistantID, ts(now.Add(c.Delay).Truncate(time.Microsecond)), ts(now), status, c.md,
			c.MultitaskStrategy, c.kw, attempt, lease}
}

// createWithThread creates the run and its thread in one statement, when
// the thread is new; ok is false, with nothing written, when it exists.
// With an engine that commits with the statement (Finisher), this is one
// round trip. It takes no thread lock: until it commits, no other write
// sees the thread (one that inserts it too waits on its key, then finds
// it), and when the thread exists it writes nothing.
func (r runs) createWithThread(ctx context.Context, c runCreate) (out storage.RunCreated, ok bool, err error) {
	err = r.s.write(ctx, nil, func(ctx context.Context, tx Querier) error {
		now := r.s.now()
		tstmt, targs, err := threadInsert(r.newThread(c, now), true)
		if err != nil {
			return err
		}
		started, rstmt, rargs := runInsert(c, now, false)
		run, err := scanRun(Last(tx).QueryRowContext(ctx, `WITH t AS (`+tstmt+` RETURNING thread_id) `+
			rstmt+` FROM t RETURNING `+runReturning, append(targs, rargs...)...))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			ok = false
			return nil
		case err != nil && r.s.d.UniqueViolation != nil && r.s.d.UniqueViolation(err):
			return storage.Errorf(storage.ErrConflict, "Run with ID %s already exists", c.RunID)
		case err != nil:
			return dbErr("create run", err)
		}
		ok = true
		out = storage.RunCreated{Run: run, ThreadCreated: true, Started: started}
		if started {
			out.Run.ThreadCreatedAt = now
		}
		return nil
	})
	return out, ok, err
}

// create creates the run in a transaction that reads its thread first.
func (r runs) create(ctx context.Context, sc storage.Scope, c runCreate) (storage.RunCreated, error) {
	var out storage.RunCreated
	err := r.s.write(ctx, []string{threadKey(c.ThreadID)}, func(ctx context.Context, tx Querier) error {
		out = storage.RunCreated{}
		now := r.s.now()
		var t storage.Thread
		var err error
		busy := false
		if c.IfNotExists == "create" {
			// Born busy with the run's metadata and config: no update below.
			if out.ThreadCreated, err = insertThreadIf(ctx, tx, r.newThread(c, now), true); err != nil {
				return err
			}
		}
		if !out.ThreadCreated {
			if t, err = getThread(ctx, tx, sc, c.ThreadID); err != nil {
				return err
			}
			if busy, err = active(ctx, tx, c.ThreadID, ""); err != nil {
				return err
			}
			if busy {
				if out.Stopping, err = r.multitask(ctx, tx, c.RunCreate, now); err != nil {
					return err
				}
			}
		}
		var stmt string
		var args []any
		out.Started, stmt, args = runInsert(c, now, busy)
		// A run id in use inserts nothing (ids are server-made UUIDs: two
		// creates racing on one are not guarded further).
		out.Run, err = scanRun(tx.QueryRowContext(ctx, stmt+` WHERE NOT EXISTS (SELECT 1 FROM runs WHERE run_id = ?)
			RETURNING `+runReturning, append(args, c.RunID)...))
		if errors.Is(err, sql.ErrNoRows) {
			return storage.Errorf(storage.ErrConflict, "Run with ID %s already exists", c.RunID)
		} else if err != nil {
			return dbErr("create run", err)
		}
		if out.Started {
			out.Run.ThreadCreatedAt = t.CreatedAt
			if out.ThreadCreated {
				out.Run.ThreadCreatedAt = now
			}
		}
		if out.ThreadCreated {
			return nil
		}
		tm, err := encodeMap(query.Merge(t.Metadata, threadPatch(c)))
		if err != nil {
			return err
		}
		_, err = Last(tx).ExecContext(ctx, `UPDATE threads SET status = 'busy', metadata = ?, config = coalesce(?, config),
			updated_at = ? WHERE thread_id = ?`, tm, c.tcfg, ts(now), c.ThreadID)
		return dbErr("create run", err)
	})
	return out, err
}

// multitask applies c's strategy to a busy thread and returns the running
// runs asked to stop.
func (r runs) multitask(ctx context.Context, tx Querier, c storage.RunCreate, now time.Time) ([]storage.Run, error) {
	switch c.MultitaskStrategy {
	case storage.MultitaskReject:
		return nil, query.ThreadBusy()
	case storage.MultitaskEnqueue:
		return nil, nil
	}
	var err error
	if c.MultitaskStrategy == storage.MultitaskRollback {
		_, err = tx.ExecContext(ctx, `DELETE FROM runs WHERE thread_id = ? AND status = 'pending'`, c.ThreadID)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE runs SET status = 'interrupted', updated_at = ? WHERE thread_id = ? AND status = 'pending'`,
			ts(now), c.ThreadID)
	}
	if err != nil {
		return nil, dbErr("cancel runs", err)
	}
	stopping, err := queryRuns(ctx, tx, `SELECT `+runCols+` FROM runs r WHERE thread_id = ? AND status = 'running'
		ORDER BY created_at, run_id`, c.ThreadID)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET cancel = ? WHERE thread_id = ? AND status = 'running'`,
		c.MultitaskStrategy, c.ThreadID); err != nil {
		return nil, dbErr("cancel runs", err)
	}
	return stopping, nil
}
