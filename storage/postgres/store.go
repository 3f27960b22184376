// Package postgres is the storage backend for a Postgres database shared by
// one or more agentgate processes (pgx and its pool, pgx.go). The storage
// methods are storage/internal/sqlcore's, as for SQLite: the same tables,
// with the JSON columns kept as text (filters read them as jsonb, served by
// expression GIN indexes), and the same semantics. Writes run concurrently
// on pooled connections, each in its own transaction: a write first takes
// transaction-level advisory locks on the things it touches (a thread, an
// assistant, ...; sqlcore/locks.go), so that writes to one thread are
// serialized across every process while writes to others proceed, and the
// run queue is claimed with FOR UPDATE SKIP LOCKED. A write that Postgres
// aborts for a deadlock or a serialization failure is retried.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

// Store is the Postgres backend.
type Store struct {
	*sqlcore.Store
	e *engine
}

var _ storage.Store = (*Store)(nil)

// engine runs the statements (sqlcore.Engine).
type engine struct {
	pool *pgxpool.Pool
}

// lockCall takes a transaction-level advisory lock on the text key "?":
// the dialect's Lock, which begin locks with too.
const lockCall = "pg_advisory_xact_lock(hashtextextended(?, 0))"

// writeRetries bounds the retries of a write that Postgres aborted for a
// deadlock or a serialization failure.
const writeRetries = 4

// dialect is Postgres' SQL for sqlcore.
func dialect() sqlcore.Dialect {
	return sqlcore.Dialect{
		Name: "postgres",
		Args: filter.Postgres,
		JSON: func(col string) string { return "(" + col + "::jsonb)" },
		// ASCII case folding only, as the other backends.
		NameContains: "strpos(translate(a.name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), ?) > 0",
		RunIDOf:      "(metadata::jsonb ->> 'run_id')",
		CopyCheckpoints: `INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_id, checkpoint, metadata)
			SELECT ?2, checkpoint_ns, checkpoint_id, parent_id, checkpoint,
				CASE WHEN (metadata::jsonb -> 'thread_id') IS NULL THEN metadata
				ELSE jsonb_set(metadata::jsonb, '{thread_id}', to_jsonb(?2::text))::text END
			FROM checkpoints WHERE thread_id = ?1
			ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
				parent_id = excluded.parent_id, checkpoint = excluded.checkpoint, metadata = excluded.metadata`,
		SweepThreads: `SELECT thread_id, ttl_strategy FROM threads
			WHERE ttl_minutes IS NOT NULL AND updated_at + CAST(LEAST(ttl_minutes, ?1) * 60000000000 AS BIGINT) <= ?2
				AND (ttl_strategy IS DISTINCT FROM 'keep_latest' OR ttl_pruned_at IS NULL OR ttl_pruned_at < updated_at)
			ORDER BY updated_at LIMIT ?3`,
		Lock:       lockCall,
		ClaimLock:  "pg_try_advisory_xact_lock(hashtextextended('thread:' || c.thread_id, 0))",
		SkipLocked: " FOR UPDATE OF r SKIP LOCKED",
		DeleteCheckpoints: []string{`WITH w AS (DELETE FROM checkpoint_writes WHERE thread_id = ?1)
			DELETE FROM checkpoints WHERE thread_id = ?1`},
		DeleteThreadWhere: `WITH t AS (DELETE FROM threads AS t WHERE $WHERE RETURNING t.thread_id),
			w AS (DELETE FROM checkpoint_writes WHERE thread_id IN (SELECT thread_id FROM t)),
			c AS (DELETE FROM checkpoints WHERE thread_id IN (SELECT thread_id FROM t))
			SELECT count(*) FROM t`,
		NoLimit:    "ALL",
		ItemDoc:    `(i.value::jsonb || jsonb_build_object('namespace', i.namespace_json::jsonb, 'key', i.key))`,
		ItemCond:   itemCond,
		InsertWith: true,
		UniqueViolation: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && pe.Code == "23505"
		},
	}
}

// Options tune a Postgres store.
type Options struct {
	// Timeout bounds each storage call's database work; a call that runs
	// out fails with storage.ErrUnavailable. 0: sqlcore's default (10 s);
	// negative: no bound.
	Timeout time.Duration
	// ThreadTTL, when set, is the TTL of threads created without one
	// (langgraph.json checkpointer.ttl).
	ThreadTTL *storage.ThreadTTL
	// MaxConns bounds the connections of the pool (0: DefaultMaxConns).
	// Size it to the run workers plus the concurrent requests expected:
	// a run's writes hold a connection each while they run.
	MaxConns int
}

// DefaultMaxConns is Options.MaxConns' default.
const DefaultMaxConns = 32

// Open connects to the database at url (postgres://...), checks that it
// answers and applies pending migrations.
func Open(ctx context.Context, url string) (*Store, error) { return OpenWith(ctx, url, Options{}) }

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	conns := o.MaxConns
	if conns <= 0 {
		conns = DefaultMaxConns
	}
	cfg.MaxConns = int32(conns)
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	e := &engine{pool: pool}
	s := &Store{Store: sqlcore.New(e, dialect(), o.Timeout, o.ThreadTTL), e: e}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	// Migrations run on database/sql over the same pool.
	db := stdlib.OpenDBFromPool(pool)
	err = migrate(ctx, db)
	db.Close()
	if err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Reader implements sqlcore.Engine: statements on pooled connections.
func (e *engine) Reader() sqlcore.Querier { return querier{e.pool} }

// readBegin opens Read's transactions: one snapshot, read only;
// writeBegin opens Write's.
const (
	readBegin  = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	writeBegin = "BEGIN"
)

// Read implements sqlcore.Engine: a repeatable-read, read-only transaction
// (inTx rolls it back).
func (e *engine) Read(ctx context.Context, fn func(tx sqlcore.Querier) error) error {
	return e.inTx(ctx, begin(readBegin, nil), func(t *tx) error { return fn(t) })
}

// Write implements sqlcore.Engine: fn runs in its own transaction, again
// when Postgres aborts it for a deadlock or a serialization failure.
func (e *engine) Write(ctx context.Context, keys []string, fn sqlcore.WriteFunc) error {
	prefix := begin(writeBegin, keys)
	for try := 0; ; try++ {
		err := e.inTx(ctx, prefix, func(t *tx) error {
			if err := fn(ctx, t); err != nil {
				return err
			}
			return t.commit(ctx)
		})
		if try == writeRetries || !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
}

// inTx runs fn with a transaction (begun by its first statement) on a
// pooled connection, and rolls back what fn left open.
func (e *engine) inTx(ctx context.Context, prefix []queued, fn func(t *tx) error) error {
	c, err := e.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer c.Release()
	t := &tx{conn: c.Conn(), prefix: prefix}
	defer t.rollback(ctx)
	return fn(t)
}

// rollbackTimeout bounds the rollback of a failed write.
const rollbackTimeout = 2 * time.Second

// retryable reports a deadlock or a serialization failure.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// ConnError implements sqlcore.ConnChecker: the connection could not be
// made, or was closed or reset under a statement.
func (e *engine) ConnError(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, sql.ErrConnDone)
}

// Ping implements sqlcore.Engine.
func (e *engine) Ping(ctx context.Context) error { return e.pool.Ping(ctx) }

// Close implements sqlcore.Engine.
func (e *engine) Close() error {
	e.pool.Close()
	return nil
}

// rebind numbers the "?" placeholders of q outside string literals ("?N"
// becomes "$N"). A query that mixes them with $n ones is a bug and panics.
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

// itemCond ANDs one store-search condition on a top-level field of i.value.
// A missing field is NULL, which never matches (not even $ne).
func itemCond(w *sqlcore.Where, c query.ItemCond) {
	field := "(i.value::jsonb -> " + w.Arg(c.Key) + "::text)"
	switch c.Op {
	case query.OpEq:
		w.Cond(jsonEq(w, field, c.Value))
	case query.OpNe:
		w.Cond("(" + field + " IS NOT NULL AND NOT " + jsonEq(w, field, c.Value) + ")")
	default:
		ops := map[string]string{query.OpGt: ">", query.OpGte: ">=", query.OpLt: "<", query.OpLte: "<="}
		if x, ok := c.Value.(float64); ok {
			w.Cond("(jsonb_typeof(" + field + ") = 'number' AND (" + field + " #>> '{}')::float8 " +
				ops[c.Op] + " " + w.Arg(x) + "::float8)")
			return
		}
		// Strings compare byte by byte, as SQLite's BINARY collation.
		w.Cond("(jsonb_typeof(" + field + ") = 'string' AND (" + field + " #>> '{}') COLLATE \"C\" " +
			ops[c.Op] + " " + w.Arg(fmt.Sprint(c.Value)) + "::text COLLATE \"C\")")
	}
}

// jsonEq is "the field equals v" as JSON values (NULL when it is missing).
func jsonEq(w *sqlcore.Where, field string, v any) string {
	b, _ := json.Marshal(v)
	return "(" + field + " = " + w.Arg(string(b)) + "::jsonb)"
}
