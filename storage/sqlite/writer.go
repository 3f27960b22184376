package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

// Writes go through one connection in immediate transactions, committed in
// groups by sqlcore.GroupWriter; wtx routes their statements through the
// writer's statement cache.

// begin opens a write transaction on the writer connection.
func (s *engine) begin(ctx context.Context) (sqlcore.Tx, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return wtx{sqlcore.FromSQL(&wstmts{tx, s.wstmts}), tx}, nil
}

// Write implements sqlcore.Engine.
func (s *engine) Write(ctx context.Context, _ []string, fn sqlcore.WriteFunc) error {
	return s.gw.Write(ctx, fn)
}

// wtx is a write transaction whose statements go through the writer's
// statement cache (wstmts).
type wtx struct {
	sqlcore.Querier
	tx *sql.Tx
}

func (t wtx) Commit() error   { return t.tx.Commit() }
func (t wtx) Rollback() error { return t.tx.Rollback() }

// wstmts runs a transaction's statements through the writer's cache.
type wstmts struct {
	*sql.Tx
	c *wstmtCache
}

func (t *wstmts) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.c.get(q); st != nil {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

func (t *wstmts) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.c.get(q); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t *wstmts) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.c.get(q); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}

// wstmtCache keeps prepared statements on the writer's one connection, as
// stmtCache does for readers (parsing was a fifth of a run's CPU). A
// statement can only be prepared while the connection is free, so a text
// seen inside a transaction runs unprepared and is prepared after the
// commit, for the next time.
type wstmtCache struct {
	db *sql.DB

	mu     sync.RWMutex
	m      map[string]*sql.Stmt
	wanted map[string]bool
	closed bool
}

func newWstmtCache(db *sql.DB) *wstmtCache {
	return &wstmtCache{db: db, m: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// get returns the prepared statement for q, or nil (and notes q).
func (c *wstmtCache) get(q string) *sql.Stmt {
	c.mu.RLock()
	st, known := c.m[q] // known with a nil statement: it did not prepare
	full := c.closed || len(c.m)+len(c.wanted) >= maxCachedStmts
	noted := c.wanted[q]
	c.mu.RUnlock()
	if known || full || noted {
		return st
	}
	c.mu.Lock()
	if !c.closed && len(c.m)+len(c.wanted) < maxCachedStmts {
		c.wanted[q] = true
	}
	c.mu.Unlock()
	return nil
}

// prepareWanted prepares the texts noted by get; call it only while no
// write transaction is open (the writer has one connection).
func (c *wstmtCache) prepareWanted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.wanted) == 0 {
		return
	}
	for q := range c.wanted {
		delete(c.wanted, q)
		st, err := c.db.PrepareContext(context.Background(), q)
		if err != nil {
			st = nil // run unprepared from now on; the error shows there
		}
		c.m[q] = st
	}
}

func (c *wstmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for _, st := range c.m {
		if st == nil {
			continue
		}
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
	}
	c.m, c.wanted, c.closed = map[string]*sql.Stmt{}, map[string]bool{}, true
	return first
}
