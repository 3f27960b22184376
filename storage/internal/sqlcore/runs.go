package sqlcore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

type runs struct{ s *Store }

// Runs implements storage.Store.
func (s *Store) Runs() storage.Runs { return runs{s} }

const runCols = `r.run_id, r.thread_id, r.assistant_id, r.created_at, r.updated_at, r.status, r.metadata,
	r.multitask_strategy, r.kwargs, r.attempt, r.cancel`

// runReturning is runCols in a RETURNING clause (SQLite allows no alias).
const runReturning = `run_id, thread_id, assistant_id, created_at, updated_at, status, metadata,
	multitask_strategy, kwargs, attempt, cancel`

// scanClaim scans runCols and the thread's created_at.
func scanClaim(row Row) (storage.Run, error) {
	var created int64
	r, err := scanRunAnd(row, &created)
	r.ThreadCreatedAt = fromTS(created)
	return r, err
}

func scanRun(row interface{ Scan(...any) error }) (storage.Run, error) { return scanRunAnd(row) }

// scanRunAnd scans runCols, then extra.
func scanRunAnd(row interface{ Scan(...any) error }, extra ...any) (storage.Run, error) {
	var (
		r            storage.Run
		created, upd int64
		md, kw       string
	)
	if err := row.Scan(append([]any{&r.RunID, &r.ThreadID, &r.AssistantID, &created, &upd, &r.Status, &md,
		&r.MultitaskStrategy, &kw, &r.Attempt, &r.Cancel}, extra...)...); err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = fromTS(created), fromTS(upd)
	var err error
	if r.Metadata, err = decodeMap(md); err != nil {
		return r, err
	}
	r.Kwargs, err = decodeMap(kw)
	return r, err
}

func queryRuns(ctx context.Context, q Querier, stmt string, args ...any) ([]storage.Run, error) {
	rows, err := q.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, dbErr("read runs", err)
	}
	defer rows.Close()
	out := []storage.Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, dbErr("read runs", err)
		}
		out = append(out, r)
	}
	return out, dbErr("read runs", rows.Err())
}

// active reports whether a thread has a pending or running run other than
// except.
func active(ctx context.Context, q Querier, thread, except string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM runs WHERE thread_id = ? AND run_id != ?
		AND status IN ('pending', 'running') LIMIT 1`, thread, except).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, dbErr("read runs", err)
}

// settle sets a thread's status once a run stopped without finishing
// (cancelled while pending, rolled back): busy while others are active,
// else what its stored state says.
func (s *Store) settle(ctx context.Context, tx Querier, thread, except string) error {
	busy, err := active(ctx, tx, thread, except)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE threads SET updated_at = ?, status = CASE
		WHEN ? THEN 'busy'
		WHEN error IS NOT NULL AND error != 'null' THEN 'error'
		WHEN interrupts != '{}' THEN 'interrupted'
		ELSE 'idle' END WHERE thread_id = ?`, ts(s.now()), busy, thread)
	return dbErr("update thread", err)
}

func (r runs) Get(ctx context.Context, sc storage.Scope, threadID, runID string) (storage.Run, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Run{}, err
	}
	var out storage.Run
	err := r.s.e.Read(ctx, func(tx Querier) error {
		if threadID == "" { // by run id alone: the run's thread must be visible
			err := tx.QueryRowContext(ctx, `SELECT thread_id FROM runs WHERE run_id = ?`, runID).Scan(&threadID)
			if errors.Is(err, sql.ErrNoRows) {
				return query.RunNotFound(runID)
			} else if err != nil {
				return dbErr("get run", err)
			}
			if err := visibleThread(&r.s.d, ctx, tx, sc, threadID); errors.Is(err, storage.ErrNotFound) {
				return query.RunNotFound(runID)
			} else if err != nil {
				return err
			}
		} else if err := visibleThread(&r.s.d, ctx, tx, sc, threadID); err != nil {
			return err
		}
		var err error
		out, err = scanRun(tx.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs r WHERE run_id = ? AND thread_id = ?`, runID, threadID))
		if errors.Is(err, sql.ErrNoRows) {
			return query.RunNotFound(runID)
		}
		return dbErr("get run", err)
	})
	return out, err
}

func (r runs) List(ctx context.Context, sc storage.Scope, threadID string, q storage.RunList) ([]storage.Run, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	if err := query.RunStatus(q.Status, true); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	var out []storage.Run
	err := r.s.e.Read(ctx, func(tx Querier) error {
		if err := visibleThread(&r.s.d, ctx, tx, sc, threadID); err != nil {
			return err
		}
		w := r.s.d.newWhere()
		w.add("r.thread_id = ?", threadID)
		if q.Status != "" {
			w.add("r.status = ?", q.Status)
		}
		var err error
		out, err = queryRuns(ctx, tx, `SELECT `+runCols+` FROM runs r WHERE `+w.sql()+
			` ORDER BY r.created_at DESC, r.run_id DESC`+w.limit(q.Limit, q.Offset), w.args.Values()...)
		return err
	})
	return out, err
}

func (r runs) Delete(ctx context.Context, sc storage.Scope, threadID, runID string) error {
	if err := query.Begin(ctx, sc); err != nil {
		return err
	}
	return r.s.write(ctx, []string{threadKey(threadID)}, func(ctx context.Context, tx Querier) error {
		if err := visibleThread(&r.s.d, ctx, tx, sc, threadID); err != nil {
			return err
		}
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE run_id = ? AND thread_id = ?`, runID, threadID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return query.RunNotFound(runID)
		} else if err != nil {
			return dbErr("delete run", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE run_id = ?`, runID); err != nil {
			return dbErr("delete run", err)
		}
		if status == storage.RunPending || status == storage.RunRunning {
			return r.s.settle(ctx, tx, threadID, runID)
		}
		return nil
	})
}

func (r runs) Cancel(ctx context.Context, sc storage.Scope, c storage.RunCancel) ([]storage.Run, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	c, err := query.RunCancel(c)
	if err != nil {
		return nil, err
	}
	var out []storage.Run
	var keys []string
	if c.ThreadID != "" {
		keys = []string{threadKey(c.ThreadID)}
	}
	err = r.s.write(ctx, keys, func(ctx context.Context, tx Querier) error {
		out = nil
		w := r.s.d.newWhere()
		if c.ThreadID != "" {
			if err := visibleThread(&r.s.d, ctx, tx, sc, c.ThreadID); err != nil {
				return err
			}
			w.add("r.thread_id = ?", c.ThreadID)
		}
		w.add("r.status IN ('pending', 'running')")
		if len(c.RunIDs) > 0 {
			w.in("r.run_id", c.RunIDs)
		}
		w.scopeThreads(sc)
		find := func() ([]storage.Run, error) {
			return queryRuns(ctx, tx, `SELECT `+runCols+` FROM runs r JOIN threads t ON t.thread_id = r.thread_id
			WHERE `+w.sql()+` ORDER BY r.thread_id, r.created_at, r.run_id`, w.args.Values()...)
		}
		found, err := find()
		if err != nil {
			return err
		}
		if c.ThreadID == "" && r.s.d.Lock != "" && len(found) > 0 {
			// Lock the threads of the runs found, then find them again.
			if found, err = r.s.relock(ctx, tx, found, find); err != nil {
				return err
			}
		}
		touched := map[string]bool{}
		now := r.s.now()
		for _, run := range found {
			if !query.CancelMatches(c, run) {
				continue
			}
			out = append(out, run)
			switch {
			case run.Status == storage.RunRunning:
				_, err = tx.ExecContext(ctx, `UPDATE runs SET cancel = ? WHERE run_id = ?`, c.Action, run.RunID)
			case c.Action == storage.CancelRollback:
				_, err = tx.ExecContext(ctx, `DELETE FROM runs WHERE run_id = ?`, run.RunID)
				touched[run.ThreadID] = true
			default:
				_, err = tx.ExecContext(ctx, `UPDATE runs SET status = 'interrupted', updated_at = ? WHERE run_id = ?`, ts(now), run.RunID)
				touched[run.ThreadID] = true
			}
			if err != nil {
				return dbErr("cancel run", err)
			}
		}
		for tid := range touched {
			if err := r.s.settle(ctx, tx, tid, ""); err != nil {
				return err
			}
		}
		if len(out) == 0 {
			return query.NoRunsToCancel()
		}
		return nil
	})
	return out, err
}

func (r runs) Claim(ctx context.Context, sc storage.Scope, lease time.Duration) (storage.Run, bool, error) {
	if err := query.System(sc, "Runs.Claim"); err != nil {
		return storage.Run{}, false, err
	}
	// Look on a reader first: idle polls must not open a write transaction.
	var id string
	rctx, end := r.s.bound(ctx)
	err := end(r.s.e.Reader().QueryRowContext(rctx, sqlClaimable, ts(time.Now())).Scan(&id))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Run{}, false, nil
	} else if err != nil {
		return storage.Run{}, false, dbErr("claim run", err)
	}
	var out storage.Run
	var ok bool
	err = r.s.e.Write(ctx, nil, func(ctx context.Context, tx Querier) error {
		ok = false
		var skip []string
		for range claimTries {
			wall := time.Now()
			// The oldest claimable run, and (Postgres) whether its thread's
			// lock was free: writes to one thread are serialized, so a run
			// being started or finished there is left for the next try.
			var thread string
			var got bool
			q, args := claimQuery(r.s.d, wall, skip)
			err := tx.QueryRowContext(ctx, q, args...).Scan(&id, &thread, &got)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			} else if err != nil {
				return dbErr("claim run", err)
			}
			if got {
				// A new statement: with the lock held, it sees the claims
				// committed on the thread since.
				out, err = scanClaim(tx.QueryRowContext(ctx, `UPDATE runs SET status = 'running', attempt = attempt + 1,
					cancel = '', updated_at = ?, lease_until = ? WHERE run_id = ?
					AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.thread_id = runs.thread_id AND o.status = 'running')
					RETURNING `+runReturning+`, (SELECT t.created_at FROM threads t WHERE t.thread_id = runs.thread_id)`,
					ts(r.s.now()), ts(wall.Add(lease)), id))
				if got = err == nil; !got && !errors.Is(err, sql.ErrNoRows) {
					return dbErr("claim run", err)
				}
			}
			if got {
				ok = true
				return nil
			}
			skip = append(skip, id)
		}
		return nil
	})
	return out, ok, err
}

// claimTries bounds the runs one claim looks at when their threads are
// busy with other writes.
const claimTries = 8

func (r runs) Heartbeat(ctx context.Context, sc storage.Scope, runID string, lease time.Duration) (string, error) {
	if err := query.System(sc, "Runs.Heartbeat"); err != nil {
		return "", err
	}
	var cancel string
	err := r.s.write(ctx, nil, func(ctx context.Context, tx Querier) error {
		err := Last(tx).QueryRowContext(ctx, `UPDATE runs SET lease_until = ? WHERE run_id = ? AND status = 'running' RETURNING cancel`,
			ts(time.Now().Add(lease)), runID).Scan(&cancel)
		if errors.Is(err, sql.ErrNoRows) {
			return query.RunNotFound(runID)
		}
		return dbErr("renew lease", err)
	})
	return cancel, err
}

func (r runs) Finish(ctx context.Context, sc storage.Scope, f storage.RunFinish) (storage.Run, error) {
	if err := query.System(sc, "Runs.Finish"); err != nil {
		return storage.Run{}, err
	}
	if err := query.FinalStatus(f.Status); err != nil {
		return storage.Run{}, err
	}
	var values, errv sql.NullString
	var err error
	if f.Values != nil {
		if values.String, err = encode(f.Values); err != nil {
			return storage.Run{}, err
		}
		values.Valid = true
	}
	if f.Error != nil {
		if errv.String, err = encode(f.Error); err != nil {
			return storage.Run{}, err
		}
		errv.Valid = true
	}
	intr, err := encodeMap(f.Interrupts)
	if err != nil {
		return storage.Run{}, err
	}
	var out storage.Run
	err = r.s.write(ctx, []string{threadKey(f.ThreadID)}, func(ctx context.Context, tx Querier) error {
		now := r.s.now()
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, updated_at = ?, cancel = '', lease_until = NULL
			WHERE run_id = ? AND thread_id = ? AND status = 'running'`, f.Status, ts(now), f.RunID, f.ThreadID)
		if err != nil {
			return dbErr("finish run", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return query.RunNotFound(f.RunID)
		}
		busy, err := active(ctx, tx, f.ThreadID, f.RunID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE threads SET status = ?, state_values = coalesce(?, state_values), interrupts = ?,
			error = ?, updated_at = ?, state_updated_at = ? WHERE thread_id = ?`,
			query.ThreadStatusAfter(busy, f.Status, f.Next), values, intr, errv, ts(now), ts(now), f.ThreadID)
		if err != nil {
			return dbErr("finish run", err)
		}
		out, err = scanRun(Last(tx).QueryRowContext(ctx, `SELECT `+runCols+` FROM runs r WHERE run_id = ?`, f.RunID))
		return dbErr("finish run", err)
	})
	return out, err
}

func (r runs) Discard(ctx context.Context, sc storage.Scope, threadID, runID string) error {
	if err := query.System(sc, "Runs.Discard"); err != nil {
		return err
	}
	return r.s.write(ctx, []string{threadKey(threadID)}, func(ctx context.Context, tx Querier) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE run_id = ? AND thread_id = ?`, runID, threadID)
		if err != nil {
			return dbErr("discard run", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return query.RunNotFound(runID)
		}
		return r.s.discard(ctx, tx, threadID, runID)
	})
}

// discard deletes the checkpoints (with their writes) whose metadata names
// a deleted run, and settles its thread.
func (s *Store) discard(ctx context.Context, tx Querier, threadID, runID string) error {
	for _, q := range []string{
		`DELETE FROM checkpoint_writes WHERE thread_id = ?1 AND checkpoint_id IN (SELECT checkpoint_id FROM checkpoints
				WHERE thread_id = ?1 AND ` + s.d.RunIDOf + ` = ?2)`,
		`DELETE FROM checkpoints WHERE thread_id = ?1 AND ` + s.d.RunIDOf + ` = ?2`,
	} {
		if _, err := tx.ExecContext(ctx, q, threadID, runID); err != nil {
			return dbErr("discard run", err)
		}
	}
	return s.settle(ctx, tx, threadID, runID)
}

func (r runs) RequeueExpired(ctx context.Context, sc storage.Scope) ([]storage.Run, error) {
	if err := query.System(sc, "Runs.RequeueExpired"); err != nil {
		return nil, err
	}
	var out []storage.Run
	err := r.s.e.Write(ctx, nil, func(ctx context.Context, tx Querier) error {
		out = nil
		find := func() ([]storage.Run, error) {
			return queryRuns(ctx, tx, `SELECT `+runCols+sqlExpiredFrom, ts(time.Now()))
		}
		expired, err := find()
		if err != nil {
			return err
		}
		if len(expired) > 0 {
			if expired, err = r.s.relock(ctx, tx, expired, find); err != nil {
				return err
			}
		}
		lost, err := encode(query.WorkerLost())
		if err != nil {
			return err
		}
		for _, run := range expired {
			now := r.s.now()
			run.UpdatedAt = now
			switch {
			case run.Cancel == storage.CancelRollback:
				// Its canceller wanted it gone: finish the rollback.
				run.Status = storage.RunInterrupted
				if _, err = tx.ExecContext(ctx, `DELETE FROM runs WHERE run_id = ?`, run.RunID); err == nil {
					err = r.s.discard(ctx, tx, run.ThreadID, run.RunID)
				}
			case run.Cancel == storage.CancelInterrupt:
				run.Status = storage.RunInterrupted
				if _, err = tx.ExecContext(ctx, `UPDATE runs SET status = 'interrupted', lease_until = NULL, updated_at = ? WHERE run_id = ?`, ts(now), run.RunID); err == nil {
					err = r.s.settle(ctx, tx, run.ThreadID, run.RunID)
				}
			case run.Attempt < storage.MaxRunAttempts:
				run.Status = storage.RunPending
				_, err = tx.ExecContext(ctx, `UPDATE runs SET status = 'pending', lease_until = NULL, updated_at = ? WHERE run_id = ?`, ts(now), run.RunID)
			default:
				run.Status = storage.RunError
				if _, err = tx.ExecContext(ctx, `UPDATE runs SET status = 'error', lease_until = NULL, updated_at = ? WHERE run_id = ?`, ts(now), run.RunID); err == nil {
					var busy bool
					if busy, err = active(ctx, tx, run.ThreadID, run.RunID); err == nil {
						_, err = tx.ExecContext(ctx, `UPDATE threads SET status = ?, error = ?, updated_at = ?, state_updated_at = ? WHERE thread_id = ?`,
							query.ThreadStatusAfter(busy, storage.RunError, false), lost, ts(now), ts(now), run.ThreadID)
					}
				}
			}
			if err != nil {
				return dbErr("requeue runs", err)
			}
			out = append(out, run)
		}
		return nil
	})
	return out, err
}

func (r runs) Stats(ctx context.Context, sc storage.Scope) (storage.RunStats, error) {
	var st storage.RunStats
	if err := query.System(sc, "Runs.Stats"); err != nil {
		return st, err
	}
	ctx, end := r.s.bound(ctx)
	// Running counts live leases only: a dead process's runs are not running.
	err := r.s.e.Reader().QueryRowContext(ctx, sqlRunStats, ts(time.Now())).Scan(&st.Pending, &st.Running)
	return st, end(dbErr("run stats", err))
}
