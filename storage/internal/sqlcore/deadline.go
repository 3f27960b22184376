package sqlcore

import (
	"context"
	"errors"
	"time"

	"github.com/agentgate/agentgate/storage"
)

// DefaultTimeout bounds a storage call's database work when the backend is
// given no timeout.
const DefaultTimeout = 10 * time.Second

// ConnChecker is implemented by engines whose database is reached over a
// network: ConnError reports errors that mean it could not be reached (a
// connection refused, reset or closed), which become storage.ErrUnavailable
// as timeouts do.
type ConnChecker interface {
	ConnError(err error) bool
}

// timedEngine gives every Read and Write a deadline: a database that stops
// answering fails the call with storage.ErrUnavailable instead of holding
// it. Reads on Reader() are bounded per call by Store.bound.
type timedEngine struct {
	Engine
	d time.Duration
}

func (e timedEngine) Read(ctx context.Context, fn func(tx Querier) error) error {
	tctx, cancel := context.WithTimeout(ctx, e.d)
	defer cancel()
	// fn's statements use the caller's ctx: bind them to the deadline.
	err := e.Engine.Read(tctx, func(tx Querier) error { return fn(boundQuerier{tx, tctx}) })
	return unavailable(e.Engine, ctx, tctx, e.d, err)
}

func (e timedEngine) Write(ctx context.Context, keys []string, fn WriteFunc) error {
	tctx, cancel := context.WithTimeout(ctx, e.d)
	defer cancel()
	return unavailable(e.Engine, ctx, tctx, e.d, e.Engine.Write(tctx, keys, fn))
}

// boundQuerier runs statements under ctx, whatever ctx they are given.
type boundQuerier struct {
	q   Querier
	ctx context.Context
}

func (b boundQuerier) ExecContext(_ context.Context, q string, args ...any) (Result, error) {
	return b.q.ExecContext(b.ctx, q, args...)
}

func (b boundQuerier) QueryContext(_ context.Context, q string, args ...any) (Rows, error) {
	return b.q.QueryContext(b.ctx, q, args...)
}

func (b boundQuerier) QueryRowContext(_ context.Context, q string, args ...any) Row {
	return b.q.QueryRowContext(b.ctx, q, args...)
}

// bound gives one call's statements on Reader() the store's deadline; end
// releases it and turns a timeout into storage.ErrUnavailable.
func (s *Store) bound(ctx context.Context) (tctx context.Context, end func(error) error) {
	if s.timeout <= 0 {
		return ctx, func(err error) error { return err }
	}
	tctx, cancel := context.WithTimeout(ctx, s.timeout)
	return tctx, func(err error) error {
		cancel()
		return unavailable(s.e, ctx, tctx, s.timeout, err)
	}
}

// unavailable maps err to storage.ErrUnavailable when tctx's own deadline
// (not the caller's) has passed or e says the database could not be
// reached; storage errors (not found, ...) stay.
func unavailable(e Engine, parent, tctx context.Context, d time.Duration, err error) error {
	if err == nil || parent.Err() != nil {
		return err
	}
	var se *storage.Error
	if errors.As(err, &se) {
		return err
	}
	if dl, ok := tctx.Deadline(); ok && !time.Now().Before(dl) {
		return &storage.Error{Kind: storage.ErrUnavailable,
			Detail: "the database did not answer within " + d.String() + "; retry later"}
	}
	if te, ok := e.(timedEngine); ok {
		e = te.Engine
	}
	if cc, ok := e.(ConnChecker); ok && cc.ConnError(err) {
		return &storage.Error{Kind: storage.ErrUnavailable, Detail: "the database cannot be reached; retry later"}
	}
	return err
}

// boundRead runs fn on Reader() under the store's deadline; fn's
// statements are bound to it whatever ctx they name.
func boundRead[T any](s *Store, ctx context.Context, fn func(ctx context.Context, q Querier) (T, error)) (T, error) {
	ctx, end := s.bound(ctx)
	v, err := fn(ctx, boundQuerier{s.e.Reader(), ctx})
	return v, end(err)
}
