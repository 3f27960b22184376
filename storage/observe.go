package storage

import (
	"context"
	"errors"
	"time"
)

// Observer receives the duration of each storage call made through a
// guarded store (GuardObserved), by method name ("Threads.Get",
// "Checkpointer.GetTuple", ...). Calls the guard refuses are not observed.
// It is called on the caller's goroutine and must be cheap.
type Observer interface {
	StorageCall(method string, d time.Duration)
}

// ContextObserver is an Observer that is instead given each call's
// context, start and outcome (for trace spans, children of the caller's
// span). Like StorageCall it runs on the caller's goroutine.
type ContextObserver interface {
	Observer
	StorageCallContext(ctx context.Context, method string, t0 time.Time, err error)
}

// start is the start of a call (zero without an observer: no clock read).
func start(o Observer) time.Time {
	if o == nil {
		return time.Time{}
	}
	return time.Now()
}

// done observes a call that started at t0; an ErrNotFound from a call whose
// scope had filters is marked (see HiddenEvent).
func done(ctx context.Context, o Observer, method string, s Scope, t0 time.Time, err *error) {
	if *err != nil && len(s.filters) > 0 && errors.Is(*err, ErrNotFound) {
		*err = &filteredNotFound{err: *err, event: s.event}
	}
	if o == nil {
		return
	}
	if co, ok := o.(ContextObserver); ok {
		co.StorageCallContext(ctx, method, t0, *err)
		return
	}
	o.StorageCall(method, time.Since(t0))
}

// filteredNotFound is an ErrNotFound under a filtered scope: the object is
// missing or the authorization filter hides it.
type filteredNotFound struct {
	err   error
	event Event
}

func (e *filteredNotFound) Error() string { return e.err.Error() }
func (e *filteredNotFound) Unwrap() error { return e.err }

// HiddenEvent reports whether err is an ErrNotFound that a guarded call
// returned under a scope with filters (the object may exist but be hidden
// by them), and the event that scope was authorized for.
func HiddenEvent(err error) (Event, bool) {
	var f *filteredNotFound
	if errors.As(err, &f) {
		return f.event, true
	}
	return Event{}, false
}
