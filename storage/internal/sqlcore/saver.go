package sqlcore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

// saver is the checkpoint.Saver of one thread, or of every thread when
// thread is "" (only this package's tests use that).
type saver struct {
	s      *Store
	thread string
	scope  storage.Scope
}

var _ checkpoint.Saver = (*saver)(nil)

func (v *saver) check(ctx context.Context, thread string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if v.thread != "" && thread != v.thread {
		return query.OtherThread(v.thread, thread)
	}
	return nil
}

// threadGone reports ErrNotFound when the bound thread was deleted.
func (v *saver) threadGone(ctx context.Context, tx Querier) error {
	if v.thread == "" {
		return nil
	}
	ok, err := threadExists(ctx, tx, v.thread)
	if err != nil {
		return err
	}
	if !ok {
		return query.ThreadNotFound(v.thread)
	}
	return nil
}

func (v *saver) Put(ctx context.Context, cfg checkpoint.Config, cp checkpoint.Checkpoint, md checkpoint.Metadata, _ map[string]string) (checkpoint.Config, error) {
	if err := v.check(ctx, cfg.ThreadID); err != nil {
		return checkpoint.Config{}, err
	}
	if cfg.ThreadID == "" || cp.ID == "" {
		return checkpoint.Config{}, errors.New("storage: put checkpoint: thread id and checkpoint id are required")
	}
	cpb, err := json.Marshal(cp)
	if err != nil {
		return checkpoint.Config{}, fmt.Errorf("storage: encode checkpoint: %w", err)
	}
	if md == nil {
		md = checkpoint.Metadata{}
	}
	mdb, err := encode(map[string]any(md))
	if err != nil {
		return checkpoint.Config{}, fmt.Errorf("storage: encode checkpoint metadata: %w", err)
	}
	err = v.s.write(ctx, []string{threadKey(cfg.ThreadID)}, func(ctx context.Context, tx Querier) error {
		if err := v.threadGone(ctx, tx); err != nil {
			return err
		}
		_, err := Last(tx).ExecContext(ctx, `INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_id, checkpoint, metadata)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
				parent_id = excluded.parent_id, checkpoint = excluded.checkpoint, metadata = excluded.metadata`,
			cfg.ThreadID, cfg.CheckpointNS, cp.ID, cfg.CheckpointID, string(cpb), mdb)
		return dbErr("put checkpoint", err)
	})
	if err != nil {
		return checkpoint.Config{}, err
	}
	return checkpoint.Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS, CheckpointID: cp.ID}, nil
}

func (v *saver) PutWrites(ctx context.Context, cfg checkpoint.Config, writes []checkpoint.Write, taskID string) error {
	if err := v.check(ctx, cfg.ThreadID); err != nil {
		return err
	}
	if cfg.ThreadID == "" || cfg.CheckpointID == "" {
		return errors.New("storage: put writes: thread id and checkpoint id are required")
	}
	return v.s.write(ctx, []string{threadKey(cfg.ThreadID)}, func(ctx context.Context, tx Querier) error {
		if err := v.threadGone(ctx, tx); err != nil {
			return err
		}
		const ins = `INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET
				channel = excluded.channel, value = excluded.value`
		for i, w := range writes {
			val := []byte(w.Value)
			if len(val) == 0 {
				val = []byte("null")
			}
			if !json.Valid(val) {
				return fmt.Errorf("storage: put writes: value of %q is not JSON", w.Channel)
			}
			q := tx
			if i == len(writes)-1 {
				q = Last(tx)
			}
			if _, err := q.ExecContext(ctx, ins, cfg.ThreadID, cfg.CheckpointNS, cfg.CheckpointID, taskID,
				checkpoint.WriteIndex(w.Channel, i), w.Channel, string(val)); err != nil {
				return dbErr("put writes", err)
			}
		}
		return nil
	})
}

type cpRow struct {
	id, parent, cp, md string
}

func (v *saver) GetTuple(ctx context.Context, cfg checkpoint.Config) (checkpoint.Tuple, error) {
	if err := v.check(ctx, cfg.ThreadID); err != nil {
		return checkpoint.Tuple{}, err
	}
	var out checkpoint.Tuple
	err := v.s.e.Read(ctx, func(tx Querier) error {
		q := `SELECT checkpoint_id, parent_id, checkpoint, metadata FROM checkpoints
			WHERE thread_id = ? AND checkpoint_ns = ?`
		args := []any{cfg.ThreadID, cfg.CheckpointNS}
		if cfg.CheckpointID != "" {
			q += ` AND checkpoint_id = ?`
			args = append(args, cfg.CheckpointID)
		} else {
			q += ` ORDER BY checkpoint_id DESC LIMIT 1`
		}
		var r cpRow
		err := tx.QueryRowContext(ctx, q, args...).Scan(&r.id, &r.parent, &r.cp, &r.md)
		if errors.Is(err, sql.ErrNoRows) {
			return checkpoint.ErrNotFound
		}
		if err != nil {
			return dbErr("get checkpoint", err)
		}
		out, err = tuple(ctx, tx, cfg, r)
		return err
	})
	return out, err
}

// tuple decodes a checkpoint row and reads its pending writes.
func tuple(ctx context.Context, q Querier, cfg checkpoint.Config, r cpRow) (checkpoint.Tuple, error) {
	t := checkpoint.Tuple{Config: checkpoint.Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS, CheckpointID: r.id}}
	if err := json.Unmarshal([]byte(r.cp), &t.Checkpoint); err != nil {
		return t, fmt.Errorf("storage: decode checkpoint: %w", err)
	}
	if err := json.Unmarshal([]byte(r.md), &t.Metadata); err != nil {
		return t, fmt.Errorf("storage: decode checkpoint metadata: %w", err)
	}
	if r.parent != "" {
		t.ParentConfig = &checkpoint.Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS, CheckpointID: r.parent}
	}
	rows, err := q.QueryContext(ctx, `SELECT task_id, channel, value FROM checkpoint_writes
		WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? ORDER BY task_id, idx`,
		cfg.ThreadID, cfg.CheckpointNS, r.id)
	if err != nil {
		return t, dbErr("get writes", err)
	}
	defer rows.Close()
	t.PendingWrites = []checkpoint.PendingWrite{}
	for rows.Next() {
		var w checkpoint.PendingWrite
		var val string
		if err := rows.Scan(&w.TaskID, &w.Channel, &val); err != nil {
			return t, dbErr("get writes", err)
		}
		w.Value = json.RawMessage(val)
		t.PendingWrites = append(t.PendingWrites, w)
	}
	return t, dbErr("get writes", rows.Err())
}

func (v *saver) List(ctx context.Context, cfg checkpoint.Config, opts checkpoint.ListOptions) ([]checkpoint.Tuple, error) {
	if err := v.check(ctx, cfg.ThreadID); err != nil {
		return nil, err
	}
	var out []checkpoint.Tuple
	err := v.s.e.Read(ctx, func(tx Querier) error {
		q := `SELECT checkpoint_id, parent_id, checkpoint, metadata FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ?`
		args := []any{cfg.ThreadID, cfg.CheckpointNS}
		if cfg.CheckpointID != "" {
			q += ` AND checkpoint_id = ?`
			args = append(args, cfg.CheckpointID)
		}
		if opts.Before != "" {
			q += ` AND checkpoint_id < ?`
			args = append(args, opts.Before)
		}
		q += ` ORDER BY checkpoint_id DESC`
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return dbErr("list checkpoints", err)
		}
		// Metadata filters compare decoded JSON, so they run here; rows are
		// read until the limit is reached.
		var found []cpRow
		for rows.Next() {
			var r cpRow
			if err := rows.Scan(&r.id, &r.parent, &r.cp, &r.md); err != nil {
				rows.Close()
				return dbErr("list checkpoints", err)
			}
			if len(opts.Filter) > 0 {
				var md checkpoint.Metadata
				if err := json.Unmarshal([]byte(r.md), &md); err != nil {
					rows.Close()
					return fmt.Errorf("storage: decode checkpoint metadata: %w", err)
				}
				if !checkpoint.MatchFilter(md, opts.Filter) {
					continue
				}
			}
			found = append(found, r)
			if opts.Limit > 0 && len(found) >= opts.Limit {
				break
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbErr("list checkpoints", err)
		}
		for _, r := range found {
			t, err := tuple(ctx, tx, cfg, r)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

func (v *saver) DeleteThread(ctx context.Context, thread string) error {
	if err := v.check(ctx, thread); err != nil {
		return err
	}
	return v.s.write(ctx, []string{threadKey(thread)}, func(ctx context.Context, tx Querier) error {
		return deleteCheckpoints(ctx, tx, &v.s.d, thread)
	})
}

// CopyThread copies the bound thread's checkpoints to dst, which must be a
// thread the saver's scope can see.
func (v *saver) CopyThread(ctx context.Context, src, dst string) error {
	if err := v.check(ctx, src); err != nil {
		return err
	}
	if dst == "" {
		return errors.New("storage: copy checkpoints: empty destination")
	}
	return v.s.write(ctx, []string{threadKey(src), threadKey(dst)}, func(ctx context.Context, tx Querier) error {
		if v.thread != "" {
			if err := visibleThread(&v.s.d, ctx, tx, v.scope, dst); err != nil {
				return err
			}
		}
		return copyCheckpoints(&v.s.d, ctx, tx, src, dst)
	})
}

// copyCheckpoints copies every checkpoint and write of src to dst, keeping
// ids and setting an existing "thread_id" metadata key to dst. Copied
// checkpoints replace those of dst with the same ids, writes included.
func copyCheckpoints(d *Dialect, ctx context.Context, tx Querier, src, dst string) error {
	if src == dst {
		return nil
	}
	for _, q := range []string{
		`DELETE FROM checkpoint_writes WHERE thread_id = ?2 AND (checkpoint_ns, checkpoint_id) IN (
			SELECT checkpoint_ns, checkpoint_id FROM checkpoint_writes WHERE thread_id = ?1
			UNION SELECT checkpoint_ns, checkpoint_id FROM checkpoints WHERE thread_id = ?1)`,
		d.CopyCheckpoints,
		`INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value)
			SELECT ?2, checkpoint_ns, checkpoint_id, task_id, idx, channel, value
			FROM checkpoint_writes WHERE thread_id = ?1`,
	} {
		if _, err := tx.ExecContext(ctx, q, src, dst); err != nil {
			return dbErr("copy checkpoints", err)
		}
	}
	return nil
}

// keepLatest deletes all but the latest checkpoint of each namespace of a
// thread, with their writes.
func keepLatest(ctx context.Context, tx Querier, thread string) error {
	for _, q := range []string{
		`DELETE FROM checkpoints WHERE thread_id = ?1 AND checkpoint_id < (
			SELECT max(c.checkpoint_id) FROM checkpoints c
			WHERE c.thread_id = ?1 AND c.checkpoint_ns = checkpoints.checkpoint_ns)`,
		`DELETE FROM checkpoint_writes WHERE thread_id = ?1 AND checkpoint_id IS DISTINCT FROM (
			SELECT max(c.checkpoint_id) FROM checkpoints c
			WHERE c.thread_id = ?1 AND c.checkpoint_ns = checkpoint_writes.checkpoint_ns)`,
	} {
		if _, err := tx.ExecContext(ctx, q, thread); err != nil {
			return dbErr("prune checkpoints", err)
		}
	}
	return nil
}
