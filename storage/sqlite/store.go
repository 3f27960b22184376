// Package sqlite is the embedded storage backend: one SQLite file (or
// ":memory:") through modernc.org/sqlite, a pure-Go driver. The storage
// methods are storage/internal/sqlcore's; this package is the engine under
// them: writes go through a single connection in immediate transactions,
// concurrent ones committed together (writer.go); reads use a separate pool
// of query-only connections (WAL lets them run beside the writer) with
// cached statements (stmtcache.go).
//
// JSON columns hold the text encoding/json writes (object keys sorted),
// which the SQL of package auth/filter relies on.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

// Store is the SQLite backend.
type Store struct {
	*sqlcore.Store
	e *engine
}

var _ storage.Store = (*Store)(nil)

// engine runs the statements (sqlcore.Engine).
type engine struct {
	w *sql.DB // one connection, immediate transactions
	r *sql.DB // query-only pool (the same as w for ":memory:")

	stmts  *stmtCache           // prepared statements on r (stmtcache.go)
	gw     *sqlcore.GroupWriter // writes waiting for w (writer.go)
	wstmts *wstmtCache          // prepared statements on w (writer.go)
}

// dialect is SQLite's SQL for sqlcore.
func dialect() sqlcore.Dialect {
	return sqlcore.Dialect{
		Name:         "sqlite",
		Args:         filter.SQLite,
		JSON:         func(col string) string { return col },
		NameContains: "instr(lower(a.name), ?) > 0",
		RunIDOf:      "json_extract(metadata, '$.run_id')",
		CopyCheckpoints: `INSERT OR REPLACE INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_id, checkpoint, metadata)
			SELECT ?2, checkpoint_ns, checkpoint_id, parent_id, checkpoint,
				CASE WHEN json_type(metadata, '$.thread_id') IS NULL THEN metadata
				ELSE json_set(metadata, '$.thread_id', ?2) END
			FROM checkpoints WHERE thread_id = ?1`,
		SweepThreads: `SELECT thread_id, ttl_strategy FROM threads
			WHERE ttl_minutes IS NOT NULL AND updated_at + CAST(min(ttl_minutes, ?1) * 60000000000 AS INTEGER) <= ?2
				AND (ttl_strategy IS NOT 'keep_latest' OR ttl_pruned_at IS NULL OR ttl_pruned_at < updated_at)
			ORDER BY updated_at LIMIT ?3`,
		ClaimLock: "1",
		DeleteCheckpoints: []string{`DELETE FROM checkpoint_writes WHERE thread_id = ?1`,
			`DELETE FROM checkpoints WHERE thread_id = ?1`},
		NoLimit:       "-1",
		ItemDoc:       `json_set(i.value, '$.namespace', json(i.namespace_json), '$.key', i.key)`,
		ItemCond:      itemCond,
		MetadataHints: metadataHints,
		ValuesHints:   valuesHints,
	}
}

// Options tune a SQLite store.
type Options struct {
	// Timeout bounds each storage call's database work; a call that runs
	// out fails with storage.ErrUnavailable. 0: sqlcore's default (10 s);
	// negative: no bound.
	Timeout time.Duration
	// ThreadTTL, when set, is the TTL of threads created without one
	// (langgraph.json checkpointer.ttl).
	ThreadTTL *storage.ThreadTTL
}

// Open opens (creating if needed) the database at path, or a private
// in-memory database for ":memory:", and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) { return OpenWith(ctx, path, Options{}) }

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, o Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: path %q must not contain '?' or '#'", path)
	}
	s := &engine{}
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
	s.gw = sqlcore.NewGroupWriter("sqlite", s.begin, s.wstmts.prepareWanted)
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
	st := &Store{Store: sqlcore.New(s, dialect(), o.Timeout, o.ThreadTTL), e: s}
	if err := st.Ping(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
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
		"_pragma=temp_store(MEMORY)",
	}
	if write {
		p = append(p, "_pragma=cache_size(-2000)", "_txlock=immediate")
	} else {
		p = append(p, "_pragma=cache_size(-1000)", "_pragma=query_only(1)")
	}
	// The path is a URI path: "%" must be escaped ("?" and "#" are refused).
	return "file:" + strings.ReplaceAll(path, "%", "%25") + "?" + strings.Join(p, "&")
}

// Ping implements sqlcore.Engine.
func (s *engine) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	return s.r.PingContext(ctx)
}

// Close implements sqlcore.Engine.
func (s *engine) Close() error {
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

// Read implements sqlcore.Engine: a read transaction, one snapshot.
func (s *engine) Read(ctx context.Context, fn func(tx sqlcore.Querier) error) error {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	return fn(sqlcore.FromSQL(tx))
}
