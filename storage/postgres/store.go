// Package postgres is the storage backend for a Postgres database shared by
// one or more agentgate processes (pgx through database/sql). Its SQL is the
// SQLite backend's, ported: the same tables with the JSON columns kept as
// text (filters read them as jsonb, served by expression GIN indexes), and
// the same semantics: every write transaction first takes one transaction-
// level advisory lock, so writes are serialized as SQLite's single writer
// serializes them, across every process sharing the database. Reads run in
// parallel.
package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/internal/jsontext"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

// Store is the Postgres backend.
type Store struct {
	db *sql.DB

	mu   sync.Mutex
	last time.Time
}

var _ storage.Store = (*Store)(nil)

// Open connects to the database at url (postgres://...), checks that it
// answers and applies pending migrations.
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// reader is the querier for reads outside a transaction.
func (s *Store) reader() querier { return pq{s.db} }

// Assistants implements storage.Store.
func (s *Store) Assistants() storage.Assistants { return assistants{s} }

// Threads implements storage.Store.
func (s *Store) Threads() storage.Threads { return threads{s} }

// Items implements storage.Store.
func (s *Store) Items() storage.Items { return items{s} }

// Checkpointer implements storage.Store.
func (s *Store) Checkpointer(ctx context.Context, sc storage.Scope, threadID string) (checkpoint.Saver, error) {
	if err := query.Begin(ctx, sc); err != nil {
		return nil, err
	}
	if err := visibleThread(ctx, s.reader(), sc, threadID); err != nil {
		return nil, err
	}
	return &saver{s: s, thread: threadID, scope: sc}, nil
}

// Ping implements storage.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// Close implements storage.Store.
func (s *Store) Close() error { return s.db.Close() }

// now returns the current UTC time in microseconds (what every backend,
// Postgres included, can store), strictly later than the previous call in
// this process.
func (s *Store) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := time.Now().UTC().Truncate(time.Microsecond)
	if !t.After(s.last) {
		t = s.last.Add(time.Microsecond)
	}
	s.last = t
	return t
}

// querier is what *sql.DB and *sql.Tx have in common, with "?"
// placeholders (see pq).
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// rawQuerier is a *sql.DB or *sql.Tx.
type rawQuerier = querier

// pq rebinds queries written with "?" placeholders (the SQLite backend's
// style) to Postgres' $1, $2, ...; queries built with filter.Args in the
// Postgres dialect already number theirs and pass unchanged.
type pq struct{ q rawQuerier }

func (p pq) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return p.q.ExecContext(ctx, rebind(q), args...)
}

func (p pq) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return p.q.QueryContext(ctx, rebind(q), args...)
}

func (p pq) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return p.q.QueryRowContext(ctx, rebind(q), args...)
}

// rebind numbers the "?" placeholders of q outside string literals. A query
// that mixes them with numbered ones is a bug and panics.
func rebind(q string) string {
	if strings.IndexByte(q, '?') < 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '$' && !quoted:
			panic("postgres: query mixes ? and $n placeholders: " + q)
		case c == '?' && !quoted:
			b.WriteByte('$')
			if i+1 < len(q) && q[i+1] >= '1' && q[i+1] <= '9' {
				continue // ?N is $N
			}
			n++
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// read runs fn in a read-only transaction, so that its queries see one
// snapshot.
func (s *Store) read(ctx context.Context, fn func(tx querier) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback()
	return fn(pq{tx})
}

func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *storage.Error
	if errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// Time columns hold Unix nanoseconds.
func ts(t time.Time) int64 { return t.UnixNano() }

func fromTS(n int64) time.Time { return time.Unix(0, n).UTC() }

// encode writes v as canonical JSON text (normalized, keys sorted).
func encode(v any) (string, error) {
	n, err := query.Normalize(v)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(n)
	if err != nil {
		return "", storage.Errorf(storage.ErrInvalid, "value is not JSON: %v", err)
	}
	return string(b), nil
}

// encodeMap is encode for objects, with nil as {}.
func encodeMap(m map[string]any) (string, error) {
	if m == nil {
		return "{}", nil
	}
	return encode(m)
}

// decodeMap decodes an object column (internal/jsontext); null is {}.
func decodeMap(s string) (map[string]any, error) {
	if s == "{}" || s == "null" {
		return map[string]any{}, nil
	}
	v, err := jsontext.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("postgres: decode JSON column: %w", err)
	}
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case nil:
		return map[string]any{}, nil
	}
	return nil, fmt.Errorf("postgres: decode JSON column: not an object: %.40s", s)
}

func decodeAny(s sql.NullString) (any, error) {
	if !s.Valid {
		return nil, nil
	}
	v, err := jsontext.Decode(s.String)
	if err != nil {
		return nil, fmt.Errorf("postgres: decode JSON column: %w", err)
	}
	return v, nil
}

// where collects the conditions of a WHERE clause and their arguments, in
// placeholder order.
type where struct {
	args  *filter.Args
	conds []string
}

func newWhere() *where { return &where{args: filter.NewArgs(filter.Postgres, 1)} }

// add appends a condition written with "?" placeholders, numbering them.
func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	i := 0
	for _, c := range cond {
		if c == '?' && i < len(args) {
			b.WriteString(w.args.Add(args[i]))
			i++
			continue
		}
		b.WriteRune(c)
	}
	if i != len(args) {
		panic(fmt.Sprintf("postgres: condition %q has %d placeholders for %d arguments", cond, i, len(args)))
	}
	w.conds = append(w.conds, b.String())
}

// scope ANDs the scope's filters, tested on docExpr.
func (w *where) scope(sc storage.Scope, docExpr string) {
	for _, f := range sc.Filters() {
		w.conds = append(w.conds, f.SQL(w.args, "("+docExpr+"::jsonb)"))
	}
}

// contains ANDs docExpr @> sub.
func (w *where) contains(docExpr string, sub map[string]any) error {
	c, err := filter.ContainsSQL(w.args, "("+docExpr+"::jsonb)", sub)
	if err != nil {
		return storage.Errorf(storage.ErrInvalid, "%v", err)
	}
	w.conds = append(w.conds, c)
	return nil
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// limit is the LIMIT/OFFSET clause; a limit of 0 means none.
func (w *where) limit(limit, offset int) string {
	if limit <= 0 {
		return " OFFSET " + w.args.Add(offset)
	}
	return " LIMIT " + w.args.Add(limit) + " OFFSET " + w.args.Add(offset)
}

// in ANDs col IN (vals...).
func (w *where) in(col string, vals []string) {
	ps := make([]string, len(vals))
	for i, v := range vals {
		ps[i] = w.args.Add(v)
	}
	w.conds = append(w.conds, col+" IN ("+strings.Join(ps, ", ")+")")
}

// Sweep implements storage.Store.
func (s *Store) Sweep(ctx context.Context, sc storage.Scope, now time.Time) (storage.SweepResult, error) {
	var res storage.SweepResult
	if err := query.Sweeper(sc); err != nil {
		return res, err
	}
	err := s.write(ctx, func(ctx context.Context, tx querier) error {
		rows, err := tx.QueryContext(ctx, `SELECT thread_id FROM threads
			WHERE ttl_minutes IS NOT NULL AND updated_at + CAST(LEAST(ttl_minutes, ?) * 60000000000 AS BIGINT) <= ?`,
			query.MaxItemTTL.Minutes(), ts(now))
		if err != nil {
			return dbErr("sweep threads", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return dbErr("sweep threads", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbErr("sweep threads", err)
		}
		for _, id := range ids {
			if err := deleteThread(ctx, tx, id); err != nil {
				return err
			}
		}
		res.Threads = len(ids)
		r, err := tx.ExecContext(ctx, `DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?`, ts(now))
		if err != nil {
			return dbErr("sweep items", err)
		}
		n, err := r.RowsAffected()
		res.Items = int(n)
		return dbErr("sweep items", err)
	})
	if err != nil {
		return storage.SweepResult{}, err
	}
	return res, nil
}
