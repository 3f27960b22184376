package sqlcore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

type threads struct{ s *Store }

const threadCols = `t.thread_id, t.created_at, t.updated_at, t.state_updated_at, t.metadata, t.status,
	t.config, t.state_values, t.interrupts, t.error, t.ttl_strategy, t.ttl_minutes`

func scanThread(row interface{ Scan(...any) error }) (storage.Thread, error) {
	var (
		t                      storage.Thread
		created, upd, stateUpd int64
		md, cfg, intr          string
		values, errv, strategy sql.NullString
		minutes                sql.NullFloat64
	)
	if err := row.Scan(&t.ThreadID, &created, &upd, &stateUpd, &md, &t.Status, &cfg, &values, &intr, &errv, &strategy, &minutes); err != nil {
		return t, err
	}
	t.CreatedAt, t.UpdatedAt, t.StateUpdatedAt = fromTS(created), fromTS(upd), fromTS(stateUpd)
	var err error
	if t.Metadata, err = decodeMap(md); err != nil {
		return t, err
	}
	if t.Config, err = decodeMap(cfg); err != nil {
		return t, err
	}
	if t.Interrupts, err = decodeMap(intr); err != nil {
		return t, err
	}
	if t.Values, err = decodeAny(values); err != nil {
		return t, err
	}
	if t.Error, err = decodeAny(errv); err != nil {
		return t, err
	}
	if strategy.Valid {
		t.TTL = &storage.ThreadTTL{Strategy: strategy.String, Minutes: minutes.Float64}
	}
	return t, nil
}

// scopeThreads ANDs the scope on t.metadata. A filter's top-level string
// equality on "owner" becomes a test of the owner column, which is exactly
// that string (see the migration), so that its index serves the query and
// the metadata JSON is not read twice for it.
func (w *Where) scopeThreads(sc storage.Scope) {
	for _, f := range sc.Filters() {
		o, rest, ok := f.CutString("owner")
		if ok {
			w.add("t.owner = ?", o)
			f = rest
		}
		if !f.IsEmpty() {
			w.conds = append(w.conds, f.SQL(w.args, w.d.JSON("t.metadata")))
		}
	}
}

// getThread reads a thread the scope can see. The scope is tested in Go
// on the decoded metadata (filter.Match, which the filter package's property
// tests hold equal to its SQL), so that one statement serves every scope and
// the row's JSON is not parsed again by SQL functions.
func getThread(ctx context.Context, q Querier, sc storage.Scope, id string) (storage.Thread, error) {
	t, err := scanThread(q.QueryRowContext(ctx, `SELECT `+threadCols+` FROM threads t WHERE t.thread_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && !sc.Match(t.Metadata) {
		return storage.Thread{}, query.ThreadNotFound(id)
	}
	return t, dbErr("get thread", err)
}

// visibleThread returns nil when the thread exists and the scope can see it.
func visibleThread(d *Dialect, ctx context.Context, q Querier, sc storage.Scope, id string) error {
	w := d.newWhere()
	w.add("t.thread_id = ?", id)
	w.scopeThreads(sc)
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM threads t WHERE `+w.sql(), w.args.Values()...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return query.ThreadNotFound(id)
	}
	return dbErr("get thread", err)
}

func threadExists(ctx context.Context, q Querier, id string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM threads WHERE thread_id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, dbErr("get thread", err)
}

func insertThread(ctx context.Context, q Querier, t storage.Thread) error {
	_, err := insertThreadIf(ctx, q, t, false)
	return err
}

// insertThreadIf inserts t; with missing, only if no thread has its id,
// reporting whether it did.
func insertThreadIf(ctx context.Context, q Querier, t storage.Thread, missing bool) (bool, error) {
	stmt, args, err := threadInsert(t, missing)
	if err != nil {
		return false, err
	}
	res, err := q.ExecContext(ctx, stmt, args...)
	if err != nil {
		return false, dbErr("insert thread", err)
	}
	n, err := res.RowsAffected()
	return n == 1, dbErr("insert thread", err)
}

// threadInsert is the statement that inserts t (with missing, unless a
// thread has its id) and its arguments.
func threadInsert(t storage.Thread, missing bool) (string, []any, error) {
	md, err := encodeMap(t.Metadata)
	if err != nil {
		return "", nil, err
	}
	cfg, err := encodeMap(t.Config)
	if err != nil {
		return "", nil, err
	}
	var values sql.NullString
	if t.Values != nil {
		if values.String, err = encode(t.Values); err != nil {
			return "", nil, err
		}
		values.Valid = true
	}
	var strategy sql.NullString
	var minutes sql.NullFloat64
	if t.TTL != nil {
		strategy = sql.NullString{String: t.TTL.Strategy, Valid: true}
		minutes = sql.NullFloat64{Float64: t.TTL.Minutes, Valid: true}
	}
	stmt := `INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at, metadata,
		status, config, state_values, interrupts, error, ttl_strategy, ttl_minutes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', NULL, ?, ?)`
	if missing {
		stmt += ` ON CONFLICT (thread_id) DO NOTHING`
	}
	return stmt, []any{t.ThreadID, ts(t.CreatedAt), ts(t.UpdatedAt), ts(t.StateUpdatedAt), md, t.Status, cfg, values,
		strategy, minutes}, nil
}

func (r threads) Create(ctx context.Context, sc storage.Scope, c storage.ThreadCreate) (storage.Thread, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Thread{}, err
	}
	ttl, md, err := query.ThreadCreateInput(c)
	if err != nil {
		return storage.Thread{}, err
	}
	id := c.ThreadID
	if id == "" {
		id = query.NewID()
	}
	var out storage.Thread
	err = r.s.write(ctx, []string{threadKey(id)}, func(ctx context.Context, tx Querier) error {
		exists, err := threadExists(ctx, tx, id)
		if err != nil {
			return err
		}
		if exists {
			if c.IfExists == storage.IfExistsDoNothing {
				out, err = getThread(ctx, tx, sc, id)
				if !errors.Is(err, storage.ErrNotFound) {
					return err
				}
			}
			return query.ThreadExists(id)
		}
		now := r.s.now()
		out = storage.Thread{
			ThreadID: id, CreatedAt: now, UpdatedAt: now, StateUpdatedAt: now, Metadata: md,
			Status: storage.StatusIdle, Config: map[string]any{}, Interrupts: map[string]any{}, TTL: r.s.ttlOr(ttl),
		}
		return insertThread(ctx, tx, out)
	})
	if err != nil {
		return storage.Thread{}, err
	}
	return out, nil
}

func (r threads) Get(ctx context.Context, sc storage.Scope, id string) (storage.Thread, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Thread{}, err
	}
	ctx, end := r.s.bound(ctx)
	t, err := getThread(ctx, r.s.e.Reader(), sc, id)
	return t, end(err)
}

func (r threads) Update(ctx context.Context, sc storage.Scope, id string, p storage.ThreadPatch) (storage.Thread, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Thread{}, err
	}
	ttl, err := query.TTL(p.TTL)
	if err != nil {
		return storage.Thread{}, err
	}
	patch, err := query.NormalizeMap(p.Metadata)
	if err != nil {
		return storage.Thread{}, err
	}
	var out storage.Thread
	err = r.s.write(ctx, []string{threadKey(id)}, func(ctx context.Context, tx Querier) error {
		t, err := getThread(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		t.Metadata = query.Merge(t.Metadata, patch)
		if ttl != nil {
			t.TTL = ttl
		}
		t.UpdatedAt = r.s.now()
		md, err := encodeMap(t.Metadata)
		if err != nil {
			return err
		}
		var strategy sql.NullString
		var minutes sql.NullFloat64
		if t.TTL != nil {
			strategy = sql.NullString{String: t.TTL.Strategy, Valid: true}
			minutes = sql.NullFloat64{Float64: t.TTL.Minutes, Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE threads SET metadata = ?, updated_at = ?, ttl_strategy = ?, ttl_minutes = ? WHERE thread_id = ?`,
			md, ts(t.UpdatedAt), strategy, minutes, id); err != nil {
			return dbErr("update thread", err)
		}
		out = t
		return nil
	})
	return out, err
}

// deleteThread removes a thread and everything stored under it.
func deleteThread(ctx context.Context, tx Querier, d *Dialect, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM threads WHERE thread_id = ?`, id); err != nil {
		return dbErr("delete thread", err)
	}
	return deleteCheckpoints(ctx, tx, d, id)
}

// deleteCheckpoints removes a thread's checkpoints and their writes.
func deleteCheckpoints(ctx context.Context, tx Querier, d *Dialect, id string) error {
	for _, q := range d.DeleteCheckpoints {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return dbErr("delete checkpoints", err)
		}
	}
	return nil
}

func (r threads) Delete(ctx context.Context, sc storage.Scope, id string) error {
	if err := query.Begin(ctx, sc); err != nil {
		return err
	}
	return r.s.write(ctx, []string{threadKey(id)}, func(ctx context.Context, tx Querier) error {
		w := r.s.d.newWhere()
		w.add("t.thread_id = ?", id)
		w.scopeThreads(sc)
		if r.s.d.DeleteThreadWhere != "" {
			// Nothing deleted leaves nothing to undo: one statement, and
			// the COMMIT with it.
			var n int
			err := Last(tx).QueryRowContext(ctx, strings.Replace(r.s.d.DeleteThreadWhere, "$WHERE", w.sql(), 1),
				w.args.Values()...).Scan(&n)
			if err != nil {
				return dbErr("delete thread", err)
			}
			if n == 0 {
				return query.ThreadNotFound(id)
			}
			return nil
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM threads AS t WHERE `+w.sql(), w.args.Values()...)
		if err != nil {
			return dbErr("delete thread", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(dbErr("delete thread", err), query.ThreadNotFound(id))
		}
		return deleteCheckpoints(ctx, tx, &r.s.d, id)
	})
}

func threadWhere(d *Dialect, sc storage.Scope, q storage.ThreadSearch) (*Where, error) {
	if err := query.Status(q.Status, true); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	w := d.newWhere()
	if d.MetadataHints != nil {
		d.MetadataHints(w, sc, q.Metadata, "t.metadata")
	}
	w.scopeThreads(sc)
	if o, ok := q.Metadata["owner"].(string); ok {
		// Containment of a top-level string is equality (see scopeThreads).
		w.add("t.owner = ?", o)
	}
	if len(q.IDs) > 0 {
		w.in("t.thread_id", q.IDs)
	}
	if q.Status != "" {
		w.add("t.status = ?", q.Status)
	}
	if len(q.Metadata) > 0 {
		if err := w.contains("t.metadata", q.Metadata); err != nil {
			return nil, err
		}
	}
	if len(q.Values) > 0 {
		if d.ValuesHints != nil {
			d.ValuesHints(w, q.Values, "t.state_values")
		}
		if err := w.contains("t.state_values", q.Values); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (r threads) Search(ctx context.Context, sc storage.Scope, q storage.ThreadSearch) ([]storage.Thread, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	order, err := query.ThreadOrder(q.SortBy, q.SortOrder)
	if err != nil {
		return nil, err
	}
	w, err := threadWhere(&r.s.d, sc, q)
	if err != nil {
		return nil, err
	}
	dir := " ASC"
	if order.Desc {
		dir = " DESC"
	}
	stmt := `SELECT ` + threadCols + ` FROM threads t WHERE ` + w.sql() +
		` ORDER BY t.` + order.By + dir + `, t.thread_id` + dir + w.limit(q.Limit, q.Offset)
	return boundRead(r.s, ctx, func(ctx context.Context, q Querier) ([]storage.Thread, error) {
		rows, err := q.QueryContext(ctx, stmt, w.args.Values()...)
		if err != nil {
			return nil, dbErr("search threads", err)
		}
		defer rows.Close()
		out := []storage.Thread{}
		for rows.Next() {
			t, err := scanThread(rows)
			if err != nil {
				return nil, dbErr("search threads", err)
			}
			out = append(out, t)
		}
		return out, dbErr("search threads", rows.Err())
	})
}

func (r threads) Count(ctx context.Context, sc storage.Scope, q storage.ThreadSearch) (int, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return 0, err
	}
	q.Limit, q.Offset = 0, 0
	w, err := threadWhere(&r.s.d, sc, q)
	if err != nil {
		return 0, err
	}
	var n int
	ctx, end := r.s.bound(ctx)
	err = r.s.e.Reader().QueryRowContext(ctx, `SELECT count(*) FROM threads t WHERE `+w.sql(), w.args.Values()...).Scan(&n)
	return n, end(dbErr("count threads", err))
}

func (r threads) Copy(ctx context.Context, sc storage.Scope, id string, dst storage.ThreadCreate) (storage.Thread, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Thread{}, err
	}
	ttl, err := query.TTL(dst.TTL)
	if err != nil {
		return storage.Thread{}, err
	}
	var md map[string]any
	if dst.Metadata != nil {
		if md, err = query.NormalizeMap(dst.Metadata); err != nil {
			return storage.Thread{}, err
		}
	}
	newID := dst.ThreadID
	if newID == "" {
		newID = query.NewID()
	}
	var out storage.Thread
	err = r.s.write(ctx, []string{threadKey(id), threadKey(newID)}, func(ctx context.Context, tx Querier) error {
		src, err := getThread(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		exists, err := threadExists(ctx, tx, newID)
		if err != nil {
			return err
		}
		if exists {
			return query.ThreadExists(newID)
		}
		if md == nil {
			md = src.Metadata
		}
		now := r.s.now()
		out = storage.Thread{
			ThreadID: newID, CreatedAt: now, UpdatedAt: now, StateUpdatedAt: now, Metadata: md,
			Status: storage.StatusIdle, Config: src.Config, Values: src.Values, Interrupts: map[string]any{}, TTL: r.s.ttlOr(ttl),
		}
		if err := insertThread(ctx, tx, out); err != nil {
			return err
		}
		return copyCheckpoints(&r.s.d, ctx, tx, id, newID)
	})
	if err != nil {
		return storage.Thread{}, err
	}
	return out, nil
}

func (r threads) Prune(ctx context.Context, sc storage.Scope, ids []string, strategy string) (int, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return 0, err
	}
	strategy, err := query.PruneStrategy(strategy)
	if err != nil {
		return 0, err
	}
	uniq := map[string]bool{}
	err = r.s.write(ctx, threadKeys(ids), func(ctx context.Context, tx Querier) error {
		for _, id := range ids {
			if uniq[id] {
				continue
			}
			if err := visibleThread(&r.s.d, ctx, tx, sc, id); err != nil {
				return err
			}
			uniq[id] = true
		}
		for id := range uniq {
			var err error
			if strategy == "delete" {
				err = deleteThread(ctx, tx, &r.s.d, id)
			} else {
				err = keepLatest(ctx, tx, id)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(uniq), nil
}

func (r threads) SetState(ctx context.Context, sc storage.Scope, id string, st storage.ThreadState) (storage.Thread, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Thread{}, err
	}
	if st.Status != nil {
		if err := query.Status(*st.Status, false); err != nil {
			return storage.Thread{}, err
		}
	}
	var out storage.Thread
	err := r.s.write(ctx, []string{threadKey(id)}, func(ctx context.Context, tx Querier) error {
		t, err := getThread(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if st.Status != nil {
			t.Status = *st.Status
		}
		if st.Values != nil {
			if t.Values, err = query.Normalize(st.Values); err != nil {
				return err
			}
		}
		if st.Interrupts != nil {
			if t.Interrupts, err = query.NormalizeMap(st.Interrupts); err != nil {
				return err
			}
		}
		if st.ClearError {
			t.Error = nil
		}
		if st.Error != nil {
			if t.Error, err = query.Normalize(st.Error); err != nil {
				return err
			}
		}
		if st.Config != nil {
			if t.Config, err = query.NormalizeMap(st.Config); err != nil {
				return err
			}
		}
		patch, err := query.NormalizeMap(st.Metadata)
		if err != nil {
			return err
		}
		t.Metadata = query.Merge(t.Metadata, patch)
		now := r.s.now()
		t.UpdatedAt, t.StateUpdatedAt = now, now
		cols := make([]sql.NullString, 5)
		for i, v := range []any{t.Metadata, t.Config, t.Values, t.Interrupts, t.Error} {
			if v == nil {
				continue
			}
			if cols[i].String, err = encode(v); err != nil {
				return err
			}
			cols[i].Valid = true
		}
		_, err = tx.ExecContext(ctx, `UPDATE threads SET status = ?, metadata = ?, config = ?, state_values = ?,
			interrupts = ?, error = ?, updated_at = ?, state_updated_at = ? WHERE thread_id = ?`,
			t.Status, cols[0], cols[1], cols[2], cols[3], cols[4], ts(now), ts(now), id)
		if err != nil {
			return dbErr("set thread state", err)
		}
		out = t
		return nil
	})
	return out, err
}
