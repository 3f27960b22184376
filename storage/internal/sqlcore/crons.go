package sqlcore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

type crons struct{ s *Store }

// Crons implements storage.Store.
func (s *Store) Crons() storage.Crons { return crons{s} }

const cronCols = `c.cron_id, c.assistant_id, c.thread_id, c.on_run_completed, c.end_time, c.schedule, c.timezone,
	c.created_at, c.updated_at, c.user_id, c.auth_user, c.payload, c.next_run_date, c.metadata, c.enabled`

func nullTS(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ts(*t), Valid: true}
}

func fromNullTS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromTS(n.Int64)
	return &t
}

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func scanCron(row interface{ Scan(...any) error }) (storage.Cron, error) {
	var (
		c                     storage.Cron
		thread, orc, tz, user sql.NullString
		authUser              sql.NullString
		end, next             sql.NullInt64
		created, updated      int64
		payload, md           string
	)
	if err := row.Scan(&c.CronID, &c.AssistantID, &thread, &orc, &end, &c.Schedule, &tz, &created, &updated,
		&user, &authUser, &payload, &next, &md, &c.Enabled); err != nil {
		return c, err
	}
	c.ThreadID, c.OnRunCompleted, c.Timezone, c.UserID = thread.String, orc.String, tz.String, user.String
	c.EndTime, c.NextRunDate = fromNullTS(end), fromNullTS(next)
	c.CreatedAt, c.UpdatedAt = fromTS(created), fromTS(updated)
	var err error
	if c.Payload, err = decodeMap(payload); err != nil {
		return c, err
	}
	if c.Metadata, err = decodeMap(md); err != nil {
		return c, err
	}
	if authUser.Valid {
		c.AuthUser, err = decodeMap(authUser.String)
	}
	return c, err
}

func getCron(d *Dialect, ctx context.Context, q Querier, sc storage.Scope, id string) (storage.Cron, error) {
	w := d.newWhere()
	w.add("c.cron_id = ?", id)
	w.scope(sc, "c.metadata")
	c, err := scanCron(q.QueryRowContext(ctx, `SELECT `+cronCols+` FROM crons c WHERE `+w.sql(), w.args.Values()...))
	if errors.Is(err, sql.ErrNoRows) {
		return c, query.CronNotFound(id)
	}
	return c, dbErr("get cron", err)
}

func (r crons) Create(ctx context.Context, sc storage.Scope, c storage.CronCreate) (storage.Cron, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Cron{}, err
	}
	if c.ThreadID != "" {
		if err := c.ThreadScope.Check(); err != nil {
			return storage.Cron{}, err
		}
	}
	c, err := query.CronCreate(c)
	if err != nil {
		return storage.Cron{}, err
	}
	payload, err := encodeMap(c.Payload)
	if err != nil {
		return storage.Cron{}, err
	}
	md, err := encodeMap(c.Metadata)
	if err != nil {
		return storage.Cron{}, err
	}
	var user sql.NullString
	if c.AuthUser != nil {
		if user.String, err = encodeMap(c.AuthUser); err != nil {
			return storage.Cron{}, err
		}
		user.Valid = true
	}
	var out storage.Cron
	err = r.s.write(ctx, cronCreateKeys(c.CronID, c.AssistantID, c.ThreadID), func(ctx context.Context, tx Querier) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM crons WHERE cron_id = ?`, c.CronID).Scan(&one)
		if err == nil {
			return query.CronExists(c.CronID)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return dbErr("create cron", err)
		}
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM assistants WHERE assistant_id = ?`, c.AssistantID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return query.AssistantNotFound(c.AssistantID)
		} else if err != nil {
			return dbErr("create cron", err)
		}
		if c.ThreadID != "" {
			if _, err := getThread(ctx, tx, c.ThreadScope, c.ThreadID); err != nil {
				return err
			}
		}
		now := ts(r.s.now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO crons (cron_id, assistant_id, thread_id, on_run_completed,
			end_time, schedule, timezone, created_at, updated_at, user_id, auth_user, payload, next_run_date, metadata, enabled)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.CronID, c.AssistantID, nullStr(c.ThreadID), nullStr(c.OnRunCompleted), nullTS(c.EndTime), c.Schedule,
			nullStr(c.Timezone), now, now, nullStr(c.UserID), user, payload, nullTS(c.NextRunDate), md, c.Enabled); err != nil {
			return dbErr("create cron", err)
		}
		out, err = getCron(&r.s.d, ctx, tx, storage.System(), c.CronID)
		return err
	})
	return out, err
}

func (r crons) Get(ctx context.Context, sc storage.Scope, id string) (storage.Cron, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Cron{}, err
	}
	ctx, end := r.s.bound(ctx)
	c, err := getCron(&r.s.d, ctx, r.s.e.Reader(), sc, id)
	return c, end(err)
}

func (r crons) Update(ctx context.Context, sc storage.Scope, id string, p storage.CronPatch) (storage.Cron, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Cron{}, err
	}
	p, err := query.CronPatch(p)
	if err != nil {
		return storage.Cron{}, err
	}
	var payload sql.NullString
	if p.Payload != nil {
		if payload.String, err = encodeMap(p.Payload); err != nil {
			return storage.Cron{}, err
		}
		payload.Valid = true
	}
	patchMD, err := query.NormalizeMap(p.Metadata)
	if err != nil {
		return storage.Cron{}, err
	}
	var out storage.Cron
	err = r.s.write(ctx, []string{cronKey(id)}, func(ctx context.Context, tx Querier) error {
		c, err := getCron(&r.s.d, ctx, tx, sc, id)
		if err != nil {
			return err
		}
		md, err := encodeMap(query.Merge(c.Metadata, patchMD))
		if err != nil {
			return err
		}
		query.ApplyCronPatch(&c, p)
		if _, err := tx.ExecContext(ctx, `UPDATE crons SET schedule = ?, timezone = ?, end_time = ?, enabled = ?,
			on_run_completed = ?, payload = coalesce(?, payload), metadata = ?, next_run_date = ?, updated_at = ?
			WHERE cron_id = ?`,
			c.Schedule, nullStr(c.Timezone), nullTS(c.EndTime), c.Enabled, nullStr(c.OnRunCompleted), payload, md,
			nullTS(c.NextRunDate), ts(r.s.now()), id); err != nil {
			return dbErr("update cron", err)
		}
		out, err = getCron(&r.s.d, ctx, tx, storage.System(), id)
		return err
	})
	return out, err
}

func (r crons) Delete(ctx context.Context, sc storage.Scope, id string) error {
	if err := query.Begin(ctx, sc); err != nil {
		return err
	}
	return r.s.write(ctx, []string{cronKey(id)}, func(ctx context.Context, tx Querier) error {
		if _, err := getCron(&r.s.d, ctx, tx, sc, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM crons WHERE cron_id = ?`, id)
		return dbErr("delete cron", err)
	})
}

func cronWhere(d *Dialect, sc, threads storage.Scope, q storage.CronSearch) (*Where, error) {
	if err := threads.Check(); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	w := d.newWhere()
	if q.AssistantID != "" {
		w.add("c.assistant_id = ?", q.AssistantID)
	}
	if q.ThreadID != "" {
		w.add("c.thread_id = ?", q.ThreadID)
	}
	if q.Enabled != nil {
		w.add("c.enabled = ?", *q.Enabled)
	}
	w.scope(sc, "c.metadata")
	if len(threads.Filters()) > 0 {
		// The sub-where shares w's arguments: its placeholders come next.
		sub := &Where{d: d, args: w.args}
		sub.add("t.thread_id = c.thread_id")
		sub.scopeThreads(threads)
		w.conds = append(w.conds, "(c.thread_id IS NULL OR EXISTS (SELECT 1 FROM threads t WHERE "+sub.sql()+"))")
	}
	return w, nil
}

func (r crons) Search(ctx context.Context, sc, threads storage.Scope, q storage.CronSearch) ([]storage.Cron, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	order, err := query.CronOrder(q.SortBy, q.SortOrder)
	if err != nil {
		return nil, err
	}
	w, err := cronWhere(&r.s.d, sc, threads, q)
	if err != nil {
		return nil, err
	}
	dir := " ASC"
	if order.Desc {
		dir = " DESC"
	}
	return r.s.queryCrons(ctx, `SELECT `+cronCols+` FROM crons c WHERE `+w.sql()+
		` ORDER BY c.`+order.By+dir+`, c.cron_id`+dir+w.limit(q.Limit, q.Offset), w.args.Values()...)
}

func (s *Store) queryCrons(ctx context.Context, stmt string, args ...any) ([]storage.Cron, error) {
	ctx, end := s.bound(ctx)
	out, err := queryCrons(ctx, s.e.Reader(), stmt, args...)
	return out, end(err)
}

func queryCrons(ctx context.Context, q Querier, stmt string, args ...any) ([]storage.Cron, error) {
	rows, err := q.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, dbErr("read crons", err)
	}
	defer rows.Close()
	out := []storage.Cron{}
	for rows.Next() {
		c, err := scanCron(rows)
		if err != nil {
			return nil, dbErr("read crons", err)
		}
		out = append(out, c)
	}
	return out, dbErr("read crons", rows.Err())
}

func (r crons) Count(ctx context.Context, sc, threads storage.Scope, q storage.CronSearch) (int, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return 0, err
	}
	q.Limit, q.Offset = 0, 0
	w, err := cronWhere(&r.s.d, sc, threads, q)
	if err != nil {
		return 0, err
	}
	var n int
	ctx, end := r.s.bound(ctx)
	err = r.s.e.Reader().QueryRowContext(ctx, `SELECT count(*) FROM crons c WHERE `+w.sql(), w.args.Values()...).Scan(&n)
	return n, end(dbErr("count crons", err))
}

// systemOnly checks that a scheduler method got the System scope.
func systemOnly(sc storage.Scope, method string) error {
	if err := sc.Check(); err != nil {
		return err
	}
	if !sc.IsSystem() {
		return query.SystemOnly(method)
	}
	return nil
}

func (r crons) Due(ctx context.Context, sc storage.Scope, now time.Time, limit int) ([]storage.Cron, error) {
	if err := systemOnly(sc, "Crons.Due"); err != nil {
		return nil, err
	}
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	if err := query.Page(limit, 0); err != nil {
		return nil, err
	}
	q, args := dueCronsQuery(r.s.d, now, limit)
	return r.s.queryCrons(ctx, q, args...)
}

func (r crons) Advance(ctx context.Context, sc storage.Scope, id string, from, next time.Time) (bool, error) {
	if err := systemOnly(sc, "Crons.Advance"); err != nil {
		return false, err
	}
	if err := query.Begin(ctx, sc); err != nil {
		return false, err
	}
	f, nx := query.MicroUTC(&from), query.MicroUTC(&next)
	var n int64
	err := r.s.write(ctx, []string{cronKey(id)}, func(ctx context.Context, tx Querier) error {
		res, err := tx.ExecContext(ctx, `UPDATE crons SET next_run_date = ? WHERE cron_id = ? AND next_run_date = ?`,
			ts(*nx), id, ts(*f))
		if err != nil {
			return dbErr("advance cron", err)
		}
		n, err = res.RowsAffected()
		return dbErr("advance cron", err)
	})
	return n == 1, err
}
