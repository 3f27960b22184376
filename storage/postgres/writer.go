package postgres

import (
	"context"
	"database/sql"
	"fmt"
)

// writeLock is the advisory lock key every write transaction takes first:
// writes are serialized, across processes too, as in the SQLite backend.
const writeLock = 0x6167656e74 // "agent"

// writeFunc is a write: ctx is the one to use for its statements.
type writeFunc func(ctx context.Context, tx querier) error

// write runs fn in a transaction holding the write lock.
func (s *Store) write(ctx context.Context, fn writeFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(writeLock)); err != nil {
		return fmt.Errorf("postgres: write lock: %w", err)
	}
	if err := fn(ctx, pq{tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

var _ querier = pq{(*sql.Tx)(nil)}
