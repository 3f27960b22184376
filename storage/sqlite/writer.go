package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/agentgate/agentgate/storage/internal/sqlcore"
	"sync"
)

// Writes go through one connection, so concurrent writers queue. Most of
// a small transaction's cost is its commit (WAL frames for every page it
// touched, shared-memory locks), so a queue of writes is committed as one
// transaction ("group commit"): each write runs in its own savepoint, and
// one that fails is rolled back alone. A write returns once the
// transaction holding it has committed, as before; writes in one group see
// each other's changes exactly as they would one after the other.
//
// There is no writer goroutine: the first caller to find the queue idle
// leads, commits one group (its own write included) and hands the lead to
// the oldest waiting caller.

// maxGroup bounds the writes committed together (and so the wait of the
// last one).
const maxGroup = 32

// writeFunc is a write: ctx is the one to use for its statements.
type writeFunc = sqlcore.WriteFunc

type writeReq struct {
	ctx      context.Context
	fn       writeFunc
	err      error
	panicked any       // a panic of fn, raised again in its caller
	done     chan bool // true: err is set; false: lead the next group
}

// errPanicked stands for a write whose fn panicked.
var errPanicked = errors.New("sqlite: write panicked")

// run calls r.fn, turning a panic into errPanicked (the leader may be
// another caller's goroutine, and the group must still end).
func (r *writeReq) run(ctx context.Context, tx sqlcore.Querier) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.panicked, err = v, errPanicked
		}
	}()
	return r.fn(ctx, tx)
}

// writeQueue is the queue of writes waiting for the writer.
type writeQueue struct {
	mu      sync.Mutex
	waiting []*writeReq
	busy    bool  // a leader is committing
	groups  int64 // transactions that held more than one write (for tests)
}

// write runs fn in an immediate transaction on the writer, possibly
// together with concurrent writes (see above).
// Write implements sqlcore.Engine.
func (s *engine) Write(ctx context.Context, fn writeFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan bool, 1)}
	q := &s.wq
	q.mu.Lock()
	q.waiting = append(q.waiting, req)
	lead := !q.busy
	q.busy = true
	q.mu.Unlock()
	for {
		if lead {
			s.lead()
		}
		if <-req.done {
			if req.panicked != nil {
				panic(req.panicked)
			}
			return req.err
		}
		lead = true
	}
}

// lead commits the oldest waiting writes, then hands the lead on.
func (s *engine) lead() {
	q := &s.wq
	q.mu.Lock()
	n := min(len(q.waiting), maxGroup)
	group := make([]*writeReq, n)
	copy(group, q.waiting)
	q.waiting = q.waiting[n:]
	if n > 1 {
		q.groups++
	}
	q.mu.Unlock()

	if len(group) == 1 {
		r := group[0]
		r.err = s.writeOne(r.ctx, r)
	} else {
		s.writeGroup(group)
	}
	for _, r := range group {
		r.done <- true
	}
	s.wstmts.prepareWanted() // the writer is free now

	q.mu.Lock()
	if len(q.waiting) > 0 {
		q.waiting[0].done <- false
	} else {
		q.busy = false
		q.waiting = nil
	}
	q.mu.Unlock()
}

// writeOne runs one write in its own transaction; cancelling ctx cancels it.
func (s *engine) writeOne(ctx context.Context, r *writeReq) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := r.run(ctx, &wtx{tx, s.wstmts}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// writeGroup runs several writes in one transaction. Their statements run
// without cancellation: SQLite rolls the whole transaction back when an
// interrupted statement was writing, which would undo the group's other
// writes. A caller whose context has ended before its turn is skipped.
func (s *engine) writeGroup(group []*writeReq) {
	fail := func(err error) {
		for _, r := range group {
			if r.err == nil {
				r.err = err
			}
		}
	}
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		fail(fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	wt := &wtx{tx, s.wstmts}
	for _, r := range group {
		if r.err = r.ctx.Err(); r.err != nil {
			continue
		}
		ctx := context.WithoutCancel(r.ctx)
		if _, err := wt.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("sqlite: savepoint: %w", err))
			return
		}
		stmt := `RELEASE w`
		if r.err = r.run(ctx, wt); r.err != nil {
			stmt = `ROLLBACK TO w; RELEASE w`
		}
		if _, err := wt.ExecContext(ctx, stmt); err != nil {
			// The transaction is gone (an I/O error rolls it back): none
			// of the group's writes happened.
			tx.Rollback()
			fail(fmt.Errorf("sqlite: write group: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("sqlite: commit: %w", err))
	}
}

// wtx is a write transaction whose statements go through the writer's
// statement cache.
type wtx struct {
	*sql.Tx
	c *wstmtCache
}

func (t *wtx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.c.get(q); st != nil {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

func (t *wtx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.c.get(q); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t *wtx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
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
