package storage

import (
	"errors"
	"fmt"
)

// Sentinel errors. Backends wrap them in *Error so callers can test the kind
// with errors.Is and show Detail to the client.
var (
	ErrNotFound  = errors.New("not found")       // missing, or hidden by the scope
	ErrConflict  = errors.New("conflict")        // already exists, busy thread
	ErrForbidden = errors.New("forbidden")       // a write the scope does not allow on a new object
	ErrInvalid   = errors.New("invalid request") // bad arguments (bad namespace, sort key, ...)
	ErrNoScope   = errors.New("storage: call without an authorization scope")
	// ErrUnavailable: the database did not answer in time; retry later.
	ErrUnavailable = errors.New("storage unavailable")
)

// Error is a storage error with a message that is safe to show to clients.
type Error struct {
	Kind   error
	Detail string
}

func (e *Error) Error() string { return e.Detail }
func (e *Error) Unwrap() error { return e.Kind }

// Errorf builds an *Error of the given kind.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}
