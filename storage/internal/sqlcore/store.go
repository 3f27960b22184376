// Package sqlcore is the SQL both relational backends share: every
// storage method of storage/sqlite and storage/postgres, written once with
// "?" placeholders, over an Engine (how a backend reads and writes) and a
// Dialect (the few SQL fragments that differ). Scope filters are compiled
// into every query's WHERE clause, except the single-thread read, which
// tests them in Go on the decoded metadata (filter.Match ≡ filter.SQL).
package sqlcore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/internal/jsontext"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

// Querier runs statements: database/sql's methods (FromSQL adapts them)
// or a driver's own. Queries use "?" and "?N" placeholders; an engine
// whose database numbers them otherwise rewrites them.
type Querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) Row
}

// Rows is a query's rows (*sql.Rows has these methods).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
}

// Row is one row of a query; Scan reports sql.ErrNoRows when there is none.
type Row interface {
	Scan(dest ...any) error
}

// Result is what an Exec reports.
type Result interface {
	RowsAffected() (int64, error)
}

// SQL is database/sql's statement methods (*sql.DB, *sql.Tx, *sql.Conn).
type SQL interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// FromSQL is a Querier on database/sql.
func FromSQL(q SQL) Querier { return sqlQuerier{q} }

type sqlQuerier struct{ q SQL }

func (s sqlQuerier) ExecContext(ctx context.Context, q string, args ...any) (Result, error) {
	res, err := s.q.ExecContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s sqlQuerier) QueryContext(ctx context.Context, q string, args ...any) (Rows, error) {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (s sqlQuerier) QueryRowContext(ctx context.Context, q string, args ...any) Row {
	return s.q.QueryRowContext(ctx, q, args...)
}

// Finisher is a write transaction that can send its COMMIT with the next
// statement, saving a round trip: once that statement succeeds, the write
// is committed, whatever its function returns.
type Finisher interface{ CommitWithNext() }

// Last is tx, where its next statement is the write's last and commits it
// when the engine can (Finisher). Only for a statement after which the
// write either returns nil or fails with nothing to undo.
func Last(tx Querier) Querier {
	if f, ok := tx.(Finisher); ok {
		f.CommitWithNext()
	}
	return tx
}

// WriteFunc is a write: ctx is the one to use for its statements.
type WriteFunc func(ctx context.Context, tx Querier) error

// Engine is how a backend runs statements.
type Engine interface {
	// Reader runs reads outside a transaction.
	Reader() Querier
	// Read runs fn in a read transaction (one snapshot).
	Read(ctx context.Context, fn func(tx Querier) error) error
	// Write runs fn in a write transaction that first takes the locks of
	// keys (see locks.go; an engine with one writer needs none).
	Write(ctx context.Context, keys []string, fn WriteFunc) error
	Ping(ctx context.Context) error
	Close() error
}

// Dialect holds the SQL that differs between backends.
type Dialect struct {
	// Name prefixes error messages ("sqlite", "postgres").
	Name string
	// Args is the placeholder dialect of filter SQL.
	Args filter.Dialect
	// JSON turns a JSON text column into what filter SQL reads.
	JSON func(col string) string
	// NameContains tests that a.name, ASCII-lowercased, contains "?".
	NameContains string
	// RunIDOf is the run_id of a checkpoint's metadata column, as text.
	RunIDOf string
	// CopyCheckpoints copies the checkpoints of thread ?1 to thread ?2,
	// replacing existing ones and setting metadata.thread_id where present.
	CopyCheckpoints string
	// SweepThreads selects thread_id and ttl_strategy of at most ?3
	// threads, oldest update first, whose TTL (capped at ?1 minutes) ran
	// out by ?2 (Unix ns), leaving out keep_latest threads pruned since
	// their last update.
	SweepThreads string
	// Lock is a select-list expression that takes the transaction-level
	// lock of key "?"; empty when writes cannot meet (one writer).
	Lock string
	// ClaimLock is a select-list expression on c.thread_id: whether the
	// claim took that thread's lock ("TRUE" with one writer).
	ClaimLock string
	// SkipLocked ends the run queue's claim query: it skips runs another
	// transaction is claiming ("" with one writer).
	SkipLocked string
	// DeleteCheckpoints delete the checkpoints of thread ?1 and their
	// writes.
	DeleteCheckpoints []string
	// DeleteThreadWhere, when set, deletes the threads matching $WHERE (on
	// alias t) with their checkpoints in one statement that returns how
	// many threads it deleted.
	DeleteThreadWhere string
	// NoLimit is the LIMIT that means none.
	NoLimit string
	// ItemDoc is the document store-item scope filters are tested on.
	ItemDoc string
	// ItemCond ANDs one store-search condition on a top-level value field.
	ItemCond func(w *Where, c query.ItemCond)
	// UniqueViolation, when set, reports an insert that failed on a
	// unique key (writes may then rely on it instead of checking first).
	UniqueViolation func(err error) bool
	// InsertWith: an INSERT may take its rows from a WITH clause that
	// inserts (a run and its new thread in one statement).
	InsertWith bool
	// MetadataHints and ValuesHints may AND cheap conditions that only
	// narrow what a search's filters already require (nil: none).
	MetadataHints func(w *Where, sc storage.Scope, md map[string]any, col string)
	ValuesHints   func(w *Where, sub map[string]any, col string)
}

// Store implements storage.Store over an engine.
type Store struct {
	e          Engine
	d          Dialect
	timeout    time.Duration      // per call; see deadline.go
	defaultTTL *storage.ThreadTTL // of threads created without one

	mu   sync.Mutex
	last time.Time
}

var _ storage.Store = (*Store)(nil)

// New returns the store of e in dialect d. Each call's database work is
// bounded by timeout (0: DefaultTimeout; negative: none); threads created
// without a TTL get threadTTL (nil: none).
func New(e Engine, d Dialect, timeout time.Duration, threadTTL *storage.ThreadTTL) *Store {
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout > 0 {
		e = timedEngine{e, timeout}
	}
	return &Store{e: e, d: d, timeout: timeout, defaultTTL: threadTTL}
}

// ttlOr is ttl, or the default TTL of new threads.
func (s *Store) ttlOr(ttl *storage.ThreadTTL) *storage.ThreadTTL {
	return query.TTLOr(ttl, s.defaultTTL)
}

// Ping implements storage.Store.
func (s *Store) Ping(ctx context.Context) error {
	ctx, end := s.bound(ctx)
	if err := end(s.e.Ping(ctx)); err != nil {
		return fmt.Errorf("%s: %w", s.d.Name, err)
	}
	return nil
}

// Close implements storage.Store.
func (s *Store) Close() error { return s.e.Close() }

// UnboundSaver is a checkpoint saver for every thread (for saver tests).
func (s *Store) UnboundSaver() checkpoint.Saver { return &saver{s: s} }

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
	bctx, end := s.bound(ctx)
	if err := end(visibleThread(&s.d, bctx, s.e.Reader(), sc, threadID)); err != nil {
		return nil, err
	}
	return &saver{s: s, thread: threadID, scope: sc}, nil
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

func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *storage.Error
	if errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("storage: %s: %w", op, err)
}

// Time columns hold Unix nanoseconds.
func ts(t time.Time) int64 { return t.UnixNano() }

func fromTS(n int64) time.Time { return time.Unix(0, n).UTC() }

// encode writes v as canonical JSON text (normalized, keys sorted).
func encode(v any) (string, error) {
	n := v
	if !jsontext.IsNormal(v) { // else v encodes as its normal form does
		var err error
		if n, err = query.RoundTrip(v); err != nil {
			return "", err
		}
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
		return nil, fmt.Errorf("storage: decode JSON column: %w", err)
	}
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case nil:
		return map[string]any{}, nil
	}
	return nil, fmt.Errorf("storage: decode JSON column: not an object: %.40s", s)
}

func decodeAny(s sql.NullString) (any, error) {
	if !s.Valid {
		return nil, nil
	}
	v, err := jsontext.Decode(s.String)
	if err != nil {
		return nil, fmt.Errorf("storage: decode JSON column: %w", err)
	}
	return v, nil
}

// Where collects the conditions of a WHERE clause and their arguments, in
// placeholder order.
type Where struct {
	d     *Dialect
	args  *filter.Args
	conds []string
}

func (d *Dialect) newWhere() *Where { return &Where{d: d, args: filter.NewArgs(d.Args, 1)} }

// Arg adds an argument and returns its placeholder.
func (w *Where) Arg(v any) string { return w.args.Add(v) }

// Cond ANDs a condition whose placeholders were made by Arg.
func (w *Where) Cond(c string) { w.conds = append(w.conds, c) }

// add ANDs a condition written with "?" placeholders, one per argument.
func (w *Where) add(cond string, args ...any) {
	if w.d.Args == filter.SQLite {
		for _, a := range args {
			w.args.Add(a)
		}
		w.conds = append(w.conds, cond)
		return
	}
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
	w.conds = append(w.conds, b.String())
}

// Add is add for dialect hooks.
func (w *Where) Add(cond string, args ...any) { w.add(cond, args...) }

// scope ANDs the scope's filters, tested on the JSON column col.
func (w *Where) scope(sc storage.Scope, col string) {
	for _, f := range sc.Filters() {
		w.conds = append(w.conds, f.SQL(w.args, w.d.JSON(col)))
	}
}

// contains ANDs col @> sub.
func (w *Where) contains(col string, sub map[string]any) error {
	c, err := filter.ContainsSQL(w.args, w.d.JSON(col), sub)
	if err != nil {
		return storage.Errorf(storage.ErrInvalid, "%v", err)
	}
	w.conds = append(w.conds, c)
	return nil
}

func (w *Where) sql() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// limit is the LIMIT/OFFSET clause; a limit of 0 means none.
func (w *Where) limit(limit, offset int) string {
	if limit <= 0 {
		return " LIMIT " + w.d.NoLimit + " OFFSET " + w.args.Add(offset)
	}
	return " LIMIT " + w.args.Add(limit) + " OFFSET " + w.args.Add(offset)
}

// in ANDs col IN (vals...).
func (w *Where) in(col string, vals []string) { w.list(col+" IN", vals) }

// notIn ANDs col NOT IN (vals...).
func (w *Where) notIn(col string, vals []string) { w.list(col+" NOT IN", vals) }

func (w *Where) list(op string, vals []string) {
	ps := make([]string, len(vals))
	for i, v := range vals {
		ps[i] = w.args.Add(v)
	}
	w.conds = append(w.conds, op+" ("+strings.Join(ps, ", ")+")")
}

// Sweep implements storage.Store.
func (s *Store) Sweep(ctx context.Context, sc storage.Scope, o storage.SweepOptions) (storage.SweepResult, error) {
	var res storage.SweepResult
	if err := query.Sweeper(sc); err != nil {
		return res, err
	}
	err := s.e.Write(ctx, nil, func(ctx context.Context, tx Querier) error {
		res = storage.SweepResult{}
		dues, err := s.dueThreads(ctx, tx, o)
		if err != nil {
			return err
		}
		if s.d.Lock != "" && len(dues) > 0 {
			// Lock the threads found, then keep those still due.
			locked := map[string]bool{}
			for _, d := range dues {
				locked[d.id] = true
			}
			if err := s.lock(ctx, tx, mapKeys(slices.Collect(maps.Keys(locked)), threadKey)...); err != nil {
				return err
			}
			if dues, err = s.dueThreads(ctx, tx, o); err != nil {
				return err
			}
			dues = slices.DeleteFunc(dues, func(d dueThread) bool { return !locked[d.id] })
		}
		for _, d := range dues {
			if d.strategy != "keep_latest" {
				if err := deleteThread(ctx, tx, &s.d, d.id); err != nil {
					return err
				}
				res.Threads++
				continue
			}
			if err := keepLatest(ctx, tx, d.id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE threads SET ttl_pruned_at = updated_at WHERE thread_id = ?`, d.id); err != nil {
				return dbErr("sweep threads", err)
			}
			res.Pruned++
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?`, ts(o.Now))
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

// dueThread is a thread whose TTL ran out.
type dueThread struct{ id, strategy string }

// dueThreads reads the threads a sweep acts on.
func (s *Store) dueThreads(ctx context.Context, tx Querier, o storage.SweepOptions) ([]dueThread, error) {
	rows, err := tx.QueryContext(ctx, s.d.SweepThreads, query.MaxItemTTL.Minutes(), ts(o.Now), query.SweepLimit(o))
	if err != nil {
		return nil, dbErr("sweep threads", err)
	}
	defer rows.Close()
	var dues []dueThread
	for rows.Next() {
		var d dueThread
		var strategy sql.NullString
		if err := rows.Scan(&d.id, &strategy); err != nil {
			return nil, dbErr("sweep threads", err)
		}
		d.strategy = strategy.String
		dues = append(dues, d)
	}
	return dues, dbErr("sweep threads", rows.Err())
}
