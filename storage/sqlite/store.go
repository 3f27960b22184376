// Package sqlite is the embedded storage backend: one SQLite file (or
// ":memory:") through modernc.org/sqlite, a pure-Go driver. Writes go through
// a single connection in immediate transactions, concurrent ones committed
// together (writer.go); reads use a separate pool of query-only connections
// (WAL lets them run beside the writer).
//
// JSON columns hold the text encoding/json writes (object keys sorted),
// which the SQL of package auth/filter relies on. Scope filters are compiled
// into every query's WHERE clause; nothing is filtered after the fact in Go.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/internal/jsontext"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

// Store is the SQLite backend.
type Store struct {
	w *sql.DB // one connection, immediate transactions
	r *sql.DB // query-only pool (the same as w for ":memory:")

	stmts  *stmtCache  // prepared statements on r (stmtcache.go)
	wq     writeQueue  // writes waiting for w (writer.go)
	wstmts *wstmtCache // prepared statements on w (writer.go)

	mu   sync.Mutex
	last time.Time
}

var _ storage.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, or a private
// in-memory database for ":memory:", and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: path %q must not contain '?' or '#'", path)
	}
	s := &Store{}
	var err error
	if path == ":memory:" {
		// Every connection to ":memory:" is a separate database: use one.
		if s.w, err = sql.Open("sqlite", dsn(":memory:", true)); err != nil {
			return nil, fmt.Errorf("sqlite: open: %w", err)
		}
		s.w.SetMaxOpenConns(1)
		s.w.SetConnMaxIdleTime(0)
		s.w.SetConnMaxLifetime(0)
		s.r = s.w
	} else {
		if s.w, err = sql.Open("sqlite", dsn(path, true)); err != nil {
			return nil, fmt.Errorf("sqlite: open: %w", err)
		}
		s.w.SetMaxOpenConns(1)
		s.w.SetConnMaxIdleTime(0)
	}
	s.wstmts = newWstmtCache(s.w)
	if err := migrate(ctx, s.w); err != nil {
		s.w.Close()
		return nil, err
	}
	if s.r == nil {
		if s.r, err = sql.Open("sqlite", dsn(path, false)); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("sqlite: open: %w", err)
		}
		n := max(4, runtime.GOMAXPROCS(0))
		s.r.SetMaxOpenConns(n)
		s.r.SetMaxIdleConns(n)
		s.r.SetConnMaxIdleTime(0)
	}
	s.stmts = newStmtCache(s.r)
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// dsn is the modernc DSN of go-deps.md §3: WAL, synchronous(NORMAL), a busy
// timeout, foreign keys; immediate transactions for the writer and
// query-only connections for readers.
func dsn(path string, write bool) string {
	p := []string{
		"_pragma=busy_timeout(10000)",
		"_pragma=foreign_keys(1)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=cache_size(-32000)",
		"_pragma=temp_store(MEMORY)",
	}
	if write {
		p = append(p, "_txlock=immediate")
	} else {
		p = append(p, "_pragma=query_only(1)")
	}
	// The path is a URI path: "%" must be escaped ("?" and "#" are refused).
	return "file:" + strings.ReplaceAll(path, "%", "%25") + "?" + strings.Join(p, "&")
}

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
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// Close implements storage.Store.
func (s *Store) Close() error {
	var errs []error
	if s.stmts != nil {
		errs = append(errs, s.stmts.close())
	}
	if s.wstmts != nil {
		errs = append(errs, s.wstmts.close())
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

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

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// read runs fn in a read transaction, so that its queries see one snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *storage.Error
	if errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
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
		return nil, fmt.Errorf("sqlite: decode JSON column: %w", err)
	}
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case nil:
		return map[string]any{}, nil
	}
	return nil, fmt.Errorf("sqlite: decode JSON column: not an object: %.40s", s)
}

func decodeAny(s sql.NullString) (any, error) {
	if !s.Valid {
		return nil, nil
	}
	v, err := jsontext.Decode(s.String)
	if err != nil {
		return nil, fmt.Errorf("sqlite: decode JSON column: %w", err)
	}
	return v, nil
}

// where collects the conditions of a WHERE clause and their arguments, in
// placeholder order.
type where struct {
	args  *filter.Args
	conds []string
}

func newWhere() *where { return &where{args: filter.NewArgs(filter.SQLite, 1)} }

// add appends a condition; its arguments are added in the order of their
// placeholders in cond.
func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args.Add(a)
	}
	w.conds = append(w.conds, cond)
}

// scope ANDs the scope's filters, tested on docExpr.
func (w *where) scope(sc storage.Scope, docExpr string) {
	for _, f := range sc.Filters() {
		w.conds = append(w.conds, f.SQL(w.args, docExpr))
	}
}

// contains ANDs docExpr @> sub.
func (w *where) contains(docExpr string, sub map[string]any) error {
	c, err := filter.ContainsSQL(w.args, docExpr, sub)
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
		limit = -1
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
	err := s.write(ctx, func(ctx context.Context, tx *wtx) error {
		rows, err := tx.QueryContext(ctx, `SELECT thread_id FROM threads
			WHERE ttl_minutes IS NOT NULL AND updated_at + CAST(min(ttl_minutes, ?) * 60000000000 AS INTEGER) <= ?`,
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
