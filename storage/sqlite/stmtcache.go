package sqlite

import (
	"context"
	"database/sql"
	"github.com/agentgate/agentgate/storage/internal/sqlcore"
	"sync"
)

// maxCachedStmts bounds the statement cache. Query texts depend only on the
// shape of the filters (values, JSON paths included, are bound arguments),
// so a server sees few distinct texts; once the cache is full, further
// texts are prepared per call as before.
const maxCachedStmts = 256

// stmtCache keeps one *sql.Stmt per query text on the read pool. The
// modernc driver parses and plans the SQL on every QueryContext otherwise,
// which was a third of the cost of Threads.Get; a *sql.Stmt is prepared
// once per pool connection and reused.
type stmtCache struct {
	db *sql.DB

	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

// get returns the cached statement for q, preparing it if there is room;
// nil means "run q unprepared".
func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[q]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st
	}
	if c.m == nil || len(c.m) >= maxCachedStmts {
		return nil
	}
	// Prepare without the caller's deadline: the statement outlives it.
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		// Let the unprepared query report the error.
		return nil
	}
	c.m[q] = st
	return st
}

// close closes every cached statement; later gets prepare nothing.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for _, st := range c.m {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
	}
	c.m = nil
	return first
}

// cachedReader is a sqlcore.Querier over the read pool whose queries go through the
// statement cache. Use it for single statements outside transactions.
type cachedReader struct{ s *engine }

// reader returns the sqlcore.Querier for one-statement reads.
// Reader implements sqlcore.Engine.
func (s *engine) Reader() sqlcore.Querier {
	if s.stmts == nil {
		return sqlcore.FromSQL(s.r)
	}
	return sqlcore.FromSQL(cachedReader{s})
}

func (r cachedReader) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return r.s.r.ExecContext(ctx, q, args...)
}

func (r cachedReader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := r.s.stmts.get(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.s.r.QueryContext(ctx, q, args...)
}

func (r cachedReader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := r.s.stmts.get(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.s.r.QueryRowContext(ctx, q, args...)
}
