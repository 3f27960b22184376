package sqlcore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

type items struct{ s *Store }

const itemCols = `i.namespace_json, i.key, i.value, i.created_at, i.updated_at`

func scanItem(row interface{ Scan(...any) error }) (storage.Item, error) {
	var (
		it           storage.Item
		ns, value    string
		created, upd int64
	)
	if err := row.Scan(&ns, &it.Key, &value, &created, &upd); err != nil {
		return it, err
	}
	if err := json.Unmarshal([]byte(ns), &it.Namespace); err != nil {
		return it, dbErr("decode item namespace", err)
	}
	var err error
	it.Value, err = decodeMap(value)
	it.CreatedAt, it.UpdatedAt = fromTS(created), fromTS(upd)
	return it, err
}

// live ANDs "not expired at now".
func (w *Where) live(now time.Time) {
	w.add("(i.expires_at IS NULL OR i.expires_at > ?)", ts(now))
}

// prefix ANDs "namespace starts with prefix, label by label": labels hold no
// '.', so the joined names under p are exactly those in ["p.", "p/").
func (w *Where) prefix(prefix []string) {
	if len(prefix) == 0 {
		return
	}
	p := query.JoinNS(prefix)
	w.add("(i.namespace = ? OR (i.namespace >= ? AND i.namespace < ?))", p, p+".", p+"/")
}

// itemState reads whether an item exists unexpired, and whether the scope
// can see it, in one statement.
func itemState(d *Dialect, ctx context.Context, q Querier, sc storage.Scope, ns []string, key string, now time.Time) (exists, visible bool, err error) {
	w := d.newWhere()
	row := func() {
		w.add("i.namespace = ? AND i.key = ?", query.JoinNS(ns), key)
		w.live(now)
	}
	row()
	found := w.sql()
	w.conds = nil
	row()
	w.scope(sc, d.ItemDoc)
	seen := w.sql()
	err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM items i WHERE `+found+`),
		EXISTS (SELECT 1 FROM items i WHERE `+seen+`)`, w.args.Values()...).Scan(&exists, &visible)
	return exists, visible, dbErr("read item", err)
}

func (r items) Put(ctx context.Context, sc storage.Scope, p storage.ItemPut) error {
	if err := query.Begin(ctx, sc); err != nil {
		return err
	}
	ttl, value, err := query.ItemPutInput(p)
	if err != nil {
		return err
	}
	enc, err := encodeMap(value)
	if err != nil {
		return err
	}
	nsJSON, err := json.Marshal(p.Namespace)
	if err != nil {
		return err
	}
	return r.s.write(ctx, []string{itemKey(query.JoinNS(p.Namespace), p.Key)}, func(ctx context.Context, tx Querier) error {
		now := r.s.now()
		if _, err := tx.ExecContext(ctx, `DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?`, ts(now)); err != nil {
			return dbErr("expire items", err)
		}
		exists, visible, err := itemState(&r.s.d, ctx, tx, sc, p.Namespace, p.Key, now)
		if err != nil {
			return err
		}
		if exists && !visible {
			return query.ItemNotFound()
		}
		// The new document is not stored yet: the scope is tested in Go.
		if !sc.Match(storage.ItemDoc(p.Namespace, p.Key, value)) {
			return query.ItemForbidden()
		}
		var ttlCol, expires sql.NullInt64
		if ttl > 0 {
			ttlCol = sql.NullInt64{Int64: int64(ttl), Valid: true}
			expires = sql.NullInt64{Int64: ts(now.Add(ttl)), Valid: true}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO items (namespace, key, namespace_json, value, created_at, updated_at, ttl, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
				ttl = excluded.ttl, expires_at = excluded.expires_at`,
			query.JoinNS(p.Namespace), p.Key, string(nsJSON), enc, ts(now), ts(now), ttlCol, expires)
		return dbErr("put item", err)
	})
}

func (r items) Get(ctx context.Context, sc storage.Scope, namespace []string, key string, refresh bool) (storage.Item, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return storage.Item{}, err
	}
	if err := query.Namespace(namespace, false); err != nil {
		return storage.Item{}, err
	}
	get := func(q Querier, now time.Time) (storage.Item, error) {
		w := r.s.d.newWhere()
		w.add("i.namespace = ? AND i.key = ?", query.JoinNS(namespace), key)
		w.live(now)
		w.scope(sc, r.s.d.ItemDoc)
		it, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemCols+` FROM items i WHERE `+w.sql(), w.args.Values()...))
		if errors.Is(err, sql.ErrNoRows) {
			return it, query.ItemNotFound()
		}
		return it, dbErr("get item", err)
	}
	if !refresh || !r.anyTTL(ctx, `namespace = ? AND key = ?`, query.JoinNS(namespace), key) {
		return boundRead(r.s, ctx, func(_ context.Context, q Querier) (storage.Item, error) { return get(q, time.Now()) })
	}
	var out storage.Item
	err := r.s.write(ctx, []string{itemKey(query.JoinNS(namespace), key)}, func(ctx context.Context, tx Querier) error {
		now := time.Now()
		it, err := get(tx, now)
		if err != nil {
			return err
		}
		out = it
		return refreshTTL(ctx, tx, [][2]string{{query.JoinNS(namespace), key}}, now)
	})
	return out, err
}

// anyTTL reports whether some item matching cond has a TTL: a read that
// refreshes TTLs is a write only then (reads default to refreshing, and most
// stores have no TTLs). An error counts as yes, so that the write path runs
// and reports it.
func (r items) anyTTL(ctx context.Context, cond string, args ...any) bool {
	yes, err := boundRead(r.s, ctx, func(ctx context.Context, q Querier) (yes bool, err error) {
		err = q.QueryRowContext(ctx,
			`SELECT EXISTS (SELECT 1 FROM items WHERE expires_at IS NOT NULL AND `+cond+`)`, args...).Scan(&yes)
		return yes, err
	})
	return yes || err != nil
}

func refreshTTL(ctx context.Context, tx Querier, keys [][2]string, now time.Time) error {
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `UPDATE items SET expires_at = ? + ttl WHERE namespace = ? AND key = ? AND ttl IS NOT NULL`,
			ts(now), k[0], k[1]); err != nil {
			return dbErr("refresh item ttl", err)
		}
	}
	return nil
}

func (r items) Delete(ctx context.Context, sc storage.Scope, namespace []string, key string) error {
	if err := query.Begin(ctx, sc); err != nil {
		return err
	}
	if err := query.Namespace(namespace, false); err != nil {
		return err
	}
	return r.s.write(ctx, []string{itemKey(query.JoinNS(namespace), key)}, func(ctx context.Context, tx Querier) error {
		exists, visible, err := itemState(&r.s.d, ctx, tx, sc, namespace, key, time.Now())
		if err != nil {
			return err
		}
		switch {
		case !exists && !sc.Match(storage.ItemDoc(namespace, key, nil)):
			return query.ItemForbidden()
		case exists && !visible:
			return query.ItemNotFound()
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM items WHERE namespace = ? AND key = ?`, query.JoinNS(namespace), key)
		return dbErr("delete item", err)
	})
}

func (r items) Search(ctx context.Context, sc storage.Scope, q storage.ItemSearch) ([]storage.Item, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	if err := query.Namespace(q.Prefix, true); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	conds, err := query.ItemFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	search := func(tx Querier, now time.Time) ([]storage.Item, error) {
		w := r.s.d.newWhere()
		w.prefix(q.Prefix)
		w.live(now)
		for _, c := range conds {
			r.s.d.ItemCond(w, c)
		}
		w.scope(sc, r.s.d.ItemDoc)
		rows, err := tx.QueryContext(ctx, `SELECT `+itemCols+` FROM items i WHERE `+w.sql()+
			` ORDER BY i.updated_at DESC, i.namespace, i.key`+w.limit(q.Limit, q.Offset), w.args.Values()...)
		if err != nil {
			return nil, dbErr("search items", err)
		}
		defer rows.Close()
		out := []storage.Item{}
		for rows.Next() {
			it, err := scanItem(rows)
			if err != nil {
				return nil, dbErr("search items", err)
			}
			out = append(out, it)
		}
		return out, dbErr("search items", rows.Err())
	}
	if !q.RefreshTTL || !r.anyTTL(ctx, `TRUE`) {
		return boundRead(r.s, ctx, func(_ context.Context, q Querier) ([]storage.Item, error) { return search(q, time.Now()) })
	}
	var out []storage.Item
	err = r.s.write(ctx, nil, func(ctx context.Context, tx Querier) error {
		now := time.Now()
		found, err := search(tx, now)
		if err != nil {
			return err
		}
		keys := make([][2]string, len(found))
		for i, it := range found {
			keys[i] = [2]string{query.JoinNS(it.Namespace), it.Key}
		}
		out = found
		return refreshTTL(ctx, tx, keys, now)
	})
	return out, err
}

func (r items) ListNamespaces(ctx context.Context, sc storage.Scope, q storage.NamespaceList) ([][]string, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	if err := query.Pattern(q.Prefix); err != nil {
		return nil, err
	}
	if err := query.Pattern(q.Suffix); err != nil {
		return nil, err
	}
	if err := query.Page(q.Limit, q.Offset); err != nil {
		return nil, err
	}
	if q.MaxDepth < 0 {
		return nil, storage.Errorf(storage.ErrInvalid, "max_depth must not be negative")
	}
	w := r.s.d.newWhere()
	w.prefix(query.LiteralPrefix(q.Prefix))
	w.live(time.Now())
	w.scope(sc, r.s.d.ItemDoc)
	return boundRead(r.s, ctx, func(ctx context.Context, db Querier) ([][]string, error) {
		rows, err := db.QueryContext(ctx, `SELECT DISTINCT i.namespace FROM items i WHERE `+w.sql(), w.args.Values()...)
		if err != nil {
			return nil, dbErr("list namespaces", err)
		}
		defer rows.Close()
		var all [][]string
		for rows.Next() {
			var ns string
			if err := rows.Scan(&ns); err != nil {
				return nil, dbErr("list namespaces", err)
			}
			all = append(all, query.SplitNS(ns))
		}
		if err := rows.Err(); err != nil {
			return nil, dbErr("list namespaces", err)
		}
		return query.Namespaces(all, q), nil
	})
}
