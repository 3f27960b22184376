package sqlcore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

type assistants struct{ s *Store }

const assistantCols = `a.assistant_id, a.graph_id, a.name, a.description, a.config, a.context, a.metadata,
	a.version, a.created_at, a.updated_at`

func scanAssistant(row interface{ Scan(...any) error }) (storage.Assistant, error) {
	var (
		a            storage.Assistant
		desc         sql.NullString
		cfg, cx, md  string
		created, upd int64
	)
	if err := row.Scan(&a.AssistantID, &a.GraphID, &a.Name, &desc, &cfg, &cx, &md, &a.Version, &created, &upd); err != nil {
		return a, err
	}
	if desc.Valid {
		a.Description = &desc.String
	}
	a.CreatedAt, a.UpdatedAt = fromTS(created), fromTS(upd)
	var err error
	if a.Config, err = decodeMap(cfg); err != nil {
		return a, err
	}
	if a.Context, err = decodeMap(cx); err != nil {
		return a, err
	}
	a.Metadata, err = decodeMap(md)
	return a, err
}

const versionCols = `v.assistant_id, v.version, v.graph_id, v.name, v.description, v.config, v.context, v.metadata, v.created_at`

func scanVersion(row interface{ Scan(...any) error }) (storage.AssistantVersion, error) {
	var (
		v           storage.AssistantVersion
		desc        sql.NullString
		cfg, cx, md string
		created     int64
	)
	if err := row.Scan(&v.AssistantID, &v.Version, &v.GraphID, &v.Name, &desc, &cfg, &cx, &md, &created); err != nil {
		return v, err
	}
	if desc.Valid {
		v.Description = &desc.String
	}
	v.CreatedAt = fromTS(created)
	var err error
	if v.Config, err = decodeMap(cfg); err != nil {
		return v, err
	}
	if v.Context, err = decodeMap(cx); err != nil {
		return v, err
	}
	v.Metadata, err = decodeMap(md)
	return v, err
}

func getAssistant(d *Dialect, ctx context.Context, q Querier, sc storage.Scope, id string) (storage.Assistant, error) {
	w := d.newWhere()
	w.add("a.assistant_id = ?", id)
	w.scope(sc, "a.metadata")
	a, err := scanAssistant(q.QueryRowContext(ctx, `SELECT `+assistantCols+` FROM assistants a WHERE `+w.sql(), w.args.Values()...))
	if errors.Is(err, sql.ErrNoRows) {
		return a, query.AssistantNotFound(id)
	}
	return a, dbErr("get assistant", err)
}

// assistantFields encodes the stored fields shared by both tables.
func assistantFields(a storage.Assistant) (desc sql.NullString, cfg, cx, md string, err error) {
	if a.Description != nil {
		desc = sql.NullString{String: *a.Description, Valid: true}
	}
	if cfg, err = encodeMap(a.Config); err != nil {
		return
	}
	if cx, err = encodeMap(a.Context); err != nil {
		return
	}
	md, err = encodeMap(a.Metadata)
	return
}

func insertVersion(ctx context.Context, tx Querier, a storage.Assistant) error {
	desc, cfg, cx, md, err := assistantFields(a)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO assistant_versions (assistant_id, version, graph_id, name, description,
		config, context, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.AssistantID, a.Version, a.GraphID, a.Name, desc, cfg, cx, md, ts(a.UpdatedAt))
	return dbErr("insert assistant version", err)
}

func (r assistants) Create(ctx context.Context, sc storage.Scope, c storage.AssistantCreate) (storage.Assistant, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Assistant{}, err
	}
	a, err := query.NewAssistant(c)
	if err != nil {
		return storage.Assistant{}, err
	}
	err = r.s.write(ctx, []string{assistantKey(a.AssistantID)}, func(ctx context.Context, tx Querier) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM assistants WHERE assistant_id = ?`, a.AssistantID).Scan(&one)
		if err == nil {
			if c.IfExists == storage.IfExistsDoNothing {
				old, err := getAssistant(&r.s.d, ctx, tx, sc, a.AssistantID)
				if !errors.Is(err, storage.ErrNotFound) {
					a = old
					return err
				}
			}
			return query.AssistantExists(a.AssistantID)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return dbErr("create assistant", err)
		}
		now := r.s.now()
		a.CreatedAt, a.UpdatedAt = now, now
		desc, cfg, cx, md, err := assistantFields(a)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO assistants (assistant_id, graph_id, name, description, config,
			context, metadata, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			a.AssistantID, a.GraphID, a.Name, desc, cfg, cx, md, ts(now), ts(now)); err != nil {
			return dbErr("create assistant", err)
		}
		return insertVersion(ctx, tx, a)
	})
	if err != nil {
		return storage.Assistant{}, err
	}
	return a, nil
}

func (r assistants) Get(ctx context.Context, sc storage.Scope, id string) (storage.Assistant, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Assistant{}, err
	}
	ctx, end := r.s.bound(ctx)
	a, err := getAssistant(&r.s.d, ctx, r.s.e.Reader(), sc, id)
	return a, end(err)
}

// saveAssistant writes a's fields into the assistants row.
func saveAssistant(ctx context.Context, tx Querier, a storage.Assistant) error {
	desc, cfg, cx, md, err := assistantFields(a)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE assistants SET graph_id = ?, name = ?, description = ?, config = ?,
		context = ?, metadata = ?, version = ?, updated_at = ? WHERE assistant_id = ?`,
		a.GraphID, a.Name, desc, cfg, cx, md, a.Version, ts(a.UpdatedAt), a.AssistantID)
	return dbErr("update assistant", err)
}

func (r assistants) Update(ctx context.Context, sc storage.Scope, id string, p storage.AssistantPatch) (storage.Assistant, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Assistant{}, err
	}
	p, err := query.NormalizePatch(p)
	if err != nil {
		return storage.Assistant{}, err
	}
	var out storage.Assistant
	err = r.s.write(ctx, []string{assistantKey(id)}, func(ctx context.Context, tx Querier) error {
		a, err := getAssistant(&r.s.d, ctx, tx, sc, id)
		if err != nil {
			return err
		}
		var newest int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM assistant_versions WHERE assistant_id = ?`, id).Scan(&newest); err != nil {
			return dbErr("update assistant", err)
		}
		a = query.ApplyPatch(a, p)
		a.Version = newest + 1
		a.UpdatedAt = r.s.now()
		if err := saveAssistant(ctx, tx, a); err != nil {
			return err
		}
		out = a
		return insertVersion(ctx, tx, a)
	})
	return out, err
}

func (r assistants) Delete(ctx context.Context, sc storage.Scope, id string) error {
	if err := query.Begin(ctx, sc); err != nil {
		return err
	}
	return r.s.write(ctx, []string{assistantKey(id)}, func(ctx context.Context, tx Querier) error {
		if _, err := getAssistant(&r.s.d, ctx, tx, sc, id); err != nil {
			return err
		}
		// Versions go by ON DELETE CASCADE.
		_, err := tx.ExecContext(ctx, `DELETE FROM assistants WHERE assistant_id = ?`, id)
		return dbErr("delete assistant", err)
	})
}

func assistantWhere(d *Dialect, sc storage.Scope, q storage.AssistantSearch) (*Where, error) {
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	w := d.newWhere()
	w.scope(sc, "a.metadata")
	if q.GraphID != "" {
		w.add("a.graph_id = ?", q.GraphID)
	}
	if q.Name != "" {
		w.add(d.NameContains, query.FoldASCII(q.Name))
	}
	if len(q.Metadata) > 0 {
		if err := w.contains("a.metadata", q.Metadata); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (r assistants) Search(ctx context.Context, sc storage.Scope, q storage.AssistantSearch) ([]storage.Assistant, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	order, err := query.AssistantOrder(q.SortBy, q.SortOrder)
	if err != nil {
		return nil, err
	}
	w, err := assistantWhere(&r.s.d, sc, q)
	if err != nil {
		return nil, err
	}
	dir := " ASC"
	if order.Desc {
		dir = " DESC"
	}
	by := "a." + order.By
	if order.Fold {
		by = "lower(" + by + ")"
	}
	stmt := `SELECT ` + assistantCols + ` FROM assistants a WHERE ` + w.sql() +
		` ORDER BY ` + by + dir + `, a.assistant_id` + dir + w.limit(q.Limit, q.Offset)
	return boundRead(r.s, ctx, func(ctx context.Context, q Querier) ([]storage.Assistant, error) {
		rows, err := q.QueryContext(ctx, stmt, w.args.Values()...)
		if err != nil {
			return nil, dbErr("search assistants", err)
		}
		defer rows.Close()
		out := []storage.Assistant{}
		for rows.Next() {
			a, err := scanAssistant(rows)
			if err != nil {
				return nil, dbErr("search assistants", err)
			}
			out = append(out, a)
		}
		return out, dbErr("search assistants", rows.Err())
	})
}

func (r assistants) Count(ctx context.Context, sc storage.Scope, q storage.AssistantSearch) (int, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return 0, err
	}
	q.Limit, q.Offset = 0, 0
	w, err := assistantWhere(&r.s.d, sc, q)
	if err != nil {
		return 0, err
	}
	var n int
	ctx, end := r.s.bound(ctx)
	err = r.s.e.Reader().QueryRowContext(ctx, `SELECT count(*) FROM assistants a WHERE `+w.sql(), w.args.Values()...).Scan(&n)
	return n, end(dbErr("count assistants", err))
}

func (r assistants) Versions(ctx context.Context, sc storage.Scope, id string, q storage.VersionSearch) ([]storage.AssistantVersion, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	var out []storage.AssistantVersion
	err := r.s.e.Read(ctx, func(tx Querier) error {
		if _, err := getAssistant(&r.s.d, ctx, tx, sc, id); err != nil {
			return err
		}
		w := r.s.d.newWhere()
		w.add("v.assistant_id = ?", id)
		w.scope(sc, "v.metadata")
		if len(q.Metadata) > 0 {
			if err := w.contains("v.metadata", q.Metadata); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+versionCols+` FROM assistant_versions v WHERE `+w.sql()+
			` ORDER BY v.version DESC`+w.limit(q.Limit, q.Offset), w.args.Values()...)
		if err != nil {
			return dbErr("list assistant versions", err)
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanVersion(rows)
			if err != nil {
				return dbErr("list assistant versions", err)
			}
			out = append(out, v)
		}
		return dbErr("list assistant versions", rows.Err())
	})
	if err == nil && len(out) == 0 {
		err = query.AssistantNotFound(id)
	}
	return out, err
}

func (r assistants) SetLatest(ctx context.Context, sc storage.Scope, id string, version int) (storage.Assistant, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Assistant{}, err
	}
	var out storage.Assistant
	err := r.s.write(ctx, []string{assistantKey(id)}, func(ctx context.Context, tx Querier) error {
		a, err := getAssistant(&r.s.d, ctx, tx, sc, id)
		if err != nil {
			return err
		}
		w := r.s.d.newWhere()
		w.add("v.assistant_id = ? AND v.version = ?", id, version)
		w.scope(sc, "v.metadata")
		v, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionCols+` FROM assistant_versions v WHERE `+w.sql(), w.args.Values()...))
		if errors.Is(err, sql.ErrNoRows) {
			return query.VersionNotFound(id, version)
		}
		if err != nil {
			return dbErr("set latest version", err)
		}
		a.Version, a.GraphID, a.Name, a.Description = v.Version, v.GraphID, v.Name, v.Description
		a.Config, a.Context, a.Metadata = v.Config, v.Context, v.Metadata
		a.UpdatedAt = r.s.now()
		if err := saveAssistant(ctx, tx, a); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}
