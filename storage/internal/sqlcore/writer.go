package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// SQLite's writes are serialized (one writer connection), so concurrent
// writers queue (Postgres runs them concurrently instead, see locks.go). Most of a small transaction's
// cost is its commit, so a queue of writes is committed as one transaction
// ("group commit"): each write runs in its own savepoint, and one that fails
// is rolled back alone. A write returns once the transaction holding it has
// committed; writes in one group see each other's changes exactly as they
// would one after the other.
//
// There is no writer goroutine: the first caller to find the queue idle
// leads, commits one group (its own write included) and hands the lead to
// the oldest waiting caller.

// maxGroup bounds the writes committed together (and so the wait of the
// last one).
const maxGroup = 32

// Tx is a backend's write transaction.
type Tx interface {
	Querier
	Commit() error
	Rollback() error
}

// GroupWriter queues writes and commits them in groups.
type GroupWriter struct {
	name  string
	begin func(ctx context.Context) (Tx, error)
	idle  func()

	mu      sync.Mutex
	waiting []*writeReq
	busy    bool  // a leader is committing
	groups  int64 // transactions that held more than one write (for tests)
}

// NewGroupWriter returns a writer whose transactions come from begin; idle,
// when not nil, runs after each transaction, while no other is open.
func NewGroupWriter(name string, begin func(ctx context.Context) (Tx, error), idle func()) *GroupWriter {
	return &GroupWriter{name: name, begin: begin, idle: idle}
}

// Groups counts the transactions that held more than one write.
func (g *GroupWriter) Groups() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.groups
}

type writeReq struct {
	ctx      context.Context
	fn       WriteFunc
	err      error
	panicked any       // a panic of fn, raised again in its caller
	done     chan bool // true: err is set; false: lead the next group
}

// errPanicked stands for a write whose fn panicked.
var errPanicked = errors.New("storage: write panicked")

// run calls r.fn, turning a panic into errPanicked (the leader may be
// another caller's goroutine, and the group must still end).
func (r *writeReq) run(ctx context.Context, tx Querier) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.panicked, err = v, errPanicked
		}
	}()
	return r.fn(ctx, tx)
}

// Write runs fn in a write transaction, possibly together with concurrent
// writes (see above).
func (g *GroupWriter) Write(ctx context.Context, fn WriteFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan bool, 1)}
	g.mu.Lock()
	g.waiting = append(g.waiting, req)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	for {
		if lead {
			g.lead()
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
func (g *GroupWriter) lead() {
	g.mu.Lock()
	n := min(len(g.waiting), maxGroup)
	group := make([]*writeReq, n)
	copy(group, g.waiting)
	g.waiting = g.waiting[n:]
	if n > 1 {
		g.groups++
	}
	g.mu.Unlock()

	if len(group) == 1 {
		r := group[0]
		r.err = g.writeOne(r.ctx, r)
	} else {
		g.writeGroup(group)
	}
	for _, r := range group {
		r.done <- true
	}
	if g.idle != nil {
		g.idle()
	}

	g.mu.Lock()
	if len(g.waiting) > 0 {
		g.waiting[0].done <- false
	} else {
		g.busy = false
		g.waiting = nil
	}
	g.mu.Unlock()
}

// writeOne runs one write in its own transaction; cancelling ctx cancels it.
func (g *GroupWriter) writeOne(ctx context.Context, r *writeReq) error {
	tx, err := g.begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", g.name, err)
	}
	if err := r.run(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", g.name, err)
	}
	return nil
}

// writeGroup runs several writes in one transaction. Their statements run
// without cancellation: SQLite rolls the whole transaction back when an
// interrupted statement was writing, which would undo the group's other
// writes. A caller whose context has ended before its turn is skipped.
func (g *GroupWriter) writeGroup(group []*writeReq) {
	fail := func(err error) {
		for _, r := range group {
			if r.err == nil {
				r.err = err
			}
		}
	}
	// The group is bounded by the latest deadline of its writes.
	gctx, cancel := groupContext(context.Background(), group)
	defer cancel()
	tx, err := g.begin(gctx)
	if err != nil {
		fail(fmt.Errorf("%s: begin: %w", g.name, err))
		return
	}
	for _, r := range group {
		if r.err = r.ctx.Err(); r.err != nil {
			continue
		}
		ctx, cancel := groupContext(context.WithoutCancel(r.ctx), group)
		defer cancel()
		if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("%s: savepoint: %w", g.name, err))
			return
		}
		stmts := []string{`RELEASE w`}
		if r.err = r.run(ctx, tx); r.err != nil {
			stmts = []string{`ROLLBACK TO w`, `RELEASE w`}
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				// The transaction is gone (an I/O error rolls it back):
				// none of the group's writes happened.
				tx.Rollback()
				fail(fmt.Errorf("%s: write group: %w", g.name, err))
				return
			}
		}
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("%s: commit: %w", g.name, err))
	}
}

// groupContext is parent with the latest deadline of group's writes, or
// parent itself when one of them has none.
func groupContext(parent context.Context, group []*writeReq) (context.Context, context.CancelFunc) {
	var last time.Time
	for _, r := range group {
		d, ok := r.ctx.Deadline()
		if !ok {
			return parent, func() {}
		}
		if d.After(last) {
			last = d
		}
	}
	return context.WithDeadline(parent, last)
}
