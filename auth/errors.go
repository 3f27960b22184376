package auth

import (
	"fmt"
	"net/http"
)

// HTTPError is an error with the status, detail and headers the client
// gets. Return one from Authenticate or a handler to control the response;
// any other error becomes a 500 whose cause is logged, not shown. Status
// must be an error status, 400-599: an HTTPError with any other status
// (0, 200, 302, 600...) is also a logged 500, never a success or redirect.
type HTTPError struct {
	Status  int
	Detail  string // defaults to the status text
	Headers http.Header
	// Cause is logged, never shown to the client.
	Cause error
}

// Error is for logs: status, detail and the cause, if any.
func (e *HTTPError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d: %s: %v", e.Status, e.message(), e.Cause)
	}
	return fmt.Sprintf("%d: %s", e.Status, e.message())
}

func (e *HTTPError) Unwrap() error { return e.Cause }

func (e *HTTPError) message() string {
	if e.Detail != "" {
		return e.Detail
	}
	if t := http.StatusText(e.Status); t != "" {
		return t
	}
	return "Unknown error"
}

// Message is the detail shown to the client.
func (e *HTTPError) Message() string { return e.message() }

// Error returns an *HTTPError with the given status and detail.
func Error(status int, detail string) *HTTPError {
	return &HTTPError{Status: status, Detail: detail}
}

// Unauthorized is a 401 with a `WWW-Authenticate: Bearer` header.
func Unauthorized(detail string) *HTTPError {
	return &HTTPError{Status: http.StatusUnauthorized, Detail: detail,
		Headers: http.Header{"Www-Authenticate": {"Bearer"}}}
}

// Forbidden is a 403, the Go form of the tutorials' `assert ..., "Not authorized"`.
func Forbidden(detail string) *HTTPError {
	return &HTTPError{Status: http.StatusForbidden, Detail: detail}
}
