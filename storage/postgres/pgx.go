package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

// The engine talks to Postgres through pgx's own interface rather than
// database/sql: a transaction's first statement then travels in one
// round trip with its BEGIN and its locks (a pgx batch), and no statement
// pays for database/sql's conversions. Everything here rebinds sqlcore's
// "?" placeholders (rebind).

// pgxQuerier is the part of pgx.Conn, pgx.Tx and pgxpool.Pool that runs
// statements.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier is a sqlcore.Querier on a pgxQuerier.
type querier struct{ q pgxQuerier }

func (p querier) ExecContext(ctx context.Context, q string, args ...any) (sqlcore.Result, error) {
	tag, err := p.q.Exec(ctx, rebind(q), args...)
	if err != nil {
		return nil, err
	}
	return result{tag}, nil
}

func (p querier) QueryContext(ctx context.Context, q string, args ...any) (sqlcore.Rows, error) {
	rs, err := p.q.Query(ctx, rebind(q), args...)
	if err != nil {
		return nil, err
	}
	return &rows{Rows: rs}, nil
}

func (p querier) QueryRowContext(ctx context.Context, q string, args ...any) sqlcore.Row {
	return p.q.QueryRow(ctx, rebind(q), args...)
}

// result is a command tag as a sqlcore.Result.
type result struct{ tag pgconn.CommandTag }

func (r result) RowsAffected() (int64, error) { return r.tag.RowsAffected(), nil }

// rows are pgx rows as sqlcore.Rows; after, given the rows' error, ends
// the batch they came in (once).
type rows struct {
	pgx.Rows
	after func(error) error
}

func (r *rows) Close() error {
	r.Rows.Close()
	err := r.Rows.Err()
	if r.after != nil {
		err = r.after(err)
		r.after = nil
	}
	return err
}

// batchRow is the one row of a statement sent in a batch.
type batchRow struct {
	t  *tx
	br pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.br.QueryRow().Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		// No row is an answer, not a failure: the COMMIT still counts.
		return cmp.Or(r.t.end(r.br, nil), err)
	}
	return r.t.end(r.br, err)
}

// errRow is a row whose statement could not run.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// tx is one transaction's statements on one connection. It is begun by
// its first statement, which is sent with BEGIN and the locks (prefix)
// in one batch; a transaction that runs no statement is never begun. A
// statement after CommitWithNext is sent with the COMMIT.
type tx struct {
	conn     *pgx.Conn
	prefix   []queued
	open     bool // begun and not ended
	final    bool // the next statement commits
	implicit bool // the batch in flight is a whole implicit transaction
	ended    bool // committed with a statement
}

var _ sqlcore.Finisher = (*tx)(nil)

// CommitWithNext implements sqlcore.Finisher.
func (t *tx) CommitWithNext() { t.final = true }

// queued is a statement of a transaction's prefix.
type queued struct {
	sql  string
	args []any
}

// begin is the prefix of a transaction opened with stmt (BEGIN ...) that
// takes the advisory locks of keys (sqlcore.LockStatement).
func begin(stmt string, keys []string) []queued {
	p := []queued{{sql: stmt}}
	if len(keys) == 0 {
		return p
	}
	lock, args := sqlcore.LockStatement(lockCall, keys)
	for i, k := range args {
		// Text cannot hold NUL: it locks as the two characters \0.
		args[i] = strings.ReplaceAll(k.(string), "\x00", `\0`)
	}
	return append(p, queued{rebind(lock), args})
}

// errAfterLast is a statement sent after the write's COMMIT.
var errAfterLast = errors.New("postgres: a statement after the write's last one")

// alone reports whether a statement goes to the connection by itself:
// nothing (prefix, COMMIT) has to go with it.
func (t *tx) alone() bool { return t.open && !t.final }

// send sends what must go with q (the prefix, the COMMIT) and q in one
// batch and reads the prefix's results; the caller reads q's, then calls
// end.
func (t *tx) send(ctx context.Context, q string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	prefix := t.prefix
	if t.open {
		prefix = nil
	}
	// A write whose first statement is its last needs no BEGIN and COMMIT:
	// the statements of a batch (its locks, then q) run in one implicit
	// transaction, committed at the batch's end.
	t.implicit = t.final && !t.open && len(prefix) > 0 && prefix[0].sql == writeBegin
	if t.implicit {
		prefix = prefix[1:]
	}
	for _, p := range prefix {
		b.Queue(p.sql, p.args...)
	}
	b.Queue(rebind(q), args...)
	if t.final && !t.implicit {
		b.Queue("COMMIT")
	}
	t.open = true
	br := t.conn.SendBatch(ctx, b)
	for range prefix {
		if _, err := br.Exec(); err != nil {
			t.end(br, err)
			return nil, fmt.Errorf("postgres: begin: %w", err)
		}
	}
	return br, nil
}

// end reads the COMMIT's result, if it was sent, and closes the batch;
// err is the statement's. An implicit transaction ends with the batch,
// committed or, after an error, rolled back.
func (t *tx) end(br pgx.BatchResults, err error) error {
	if t.final && !t.implicit && err == nil {
		tag, cerr := br.Exec()
		if err = committed(tag, cerr); err == nil {
			t.open, t.ended = false, true
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if t.implicit {
		t.open, t.ended = false, err == nil
	}
	t.final, t.implicit = false, false
	return err
}

func (t *tx) ExecContext(ctx context.Context, q string, args ...any) (sqlcore.Result, error) {
	if t.ended {
		return nil, errAfterLast
	}
	if t.alone() {
		return querier{t.conn}.ExecContext(ctx, q, args...)
	}
	br, err := t.send(ctx, q, args)
	if err != nil {
		return nil, err
	}
	tag, err := br.Exec()
	if err = t.end(br, err); err != nil {
		return nil, err
	}
	return result{tag}, nil
}

func (t *tx) QueryContext(ctx context.Context, q string, args ...any) (sqlcore.Rows, error) {
	if t.ended {
		return nil, errAfterLast
	}
	if t.alone() {
		return querier{t.conn}.QueryContext(ctx, q, args...)
	}
	br, err := t.send(ctx, q, args)
	if err != nil {
		return nil, err
	}
	rs, err := br.Query()
	if err != nil {
		return nil, t.end(br, err)
	}
	return &rows{Rows: rs, after: func(err error) error { return t.end(br, err) }}, nil
}

func (t *tx) QueryRowContext(ctx context.Context, q string, args ...any) sqlcore.Row {
	if t.ended {
		return errRow{errAfterLast}
	}
	if t.alone() {
		return querier{t.conn}.QueryRowContext(ctx, q, args...)
	}
	br, err := t.send(ctx, q, args)
	if err != nil {
		return errRow{err}
	}
	return batchRow{t, br}
}

// committed is a COMMIT's outcome. Postgres answers a COMMIT of a
// transaction that a failed statement aborted with ROLLBACK, not an error.
func committed(tag pgconn.CommandTag, err error) error {
	if err == nil && tag.String() == "ROLLBACK" {
		err = errors.New("the transaction was rolled back")
	}
	if err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// commit commits a transaction still open.
func (t *tx) commit(ctx context.Context) error {
	if !t.open {
		return nil
	}
	tag, err := t.conn.Exec(ctx, "COMMIT")
	if err = committed(tag, err); err == nil {
		t.open = false
	}
	return err
}

// rollback ends a transaction still open; a connection where that fails is
// left in a transaction, which the pool drops instead of reusing.
func (t *tx) rollback(ctx context.Context) {
	if !t.open {
		return
	}
	t.open = false
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	t.conn.Exec(rctx, "ROLLBACK")
}
