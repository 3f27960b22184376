// Package authz enforces an *auth.Auth: it authenticates requests and runs
// the one handler that decides each event, turning its result into the
// storage.Scope that the storage call must use. The server reaches
// authorization only through an Enforcer.
package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/storage"
)

// Options tune an Enforcer.
type Options struct {
	// StudioAuth admits requests with `x-auth-scheme: langsmith` as the
	// Studio user without calling Authenticate. Only `agentgate dev` sets it
	// by default.
	StudioAuth bool
	Logger     *slog.Logger
}

// Enforcer applies one *auth.Auth.
type Enforcer struct {
	auth *auth.Auth
	opts Options
	log  *slog.Logger
}

// New validates a and returns its Enforcer; an invalid Auth is an error so
// that the server never starts open.
func New(a *auth.Auth, opts Options) (*Enforcer, error) {
	if a == nil {
		return nil, errors.New("authz: nil *auth.Auth")
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Enforcer{auth: a, opts: opts, log: log}, nil
}

// Authenticate identifies the caller of r and returns r's context carrying
// the Identity (the server's Authenticator interface).
func (e *Enforcer) Authenticate(r *http.Request) (context.Context, error) {
	id, err := e.Identify(r.Context(), r)
	if err != nil {
		return nil, err
	}
	return auth.WithIdentity(r.Context(), id), nil
}

// Identify turns r into an Identity. Errors are *auth.HTTPError for the
// client, or internal errors (a 500 whose cause is logged). Only here is
// an Identity marked Studio; a user posing as Studio is refused with 401.
func (e *Enforcer) Identify(ctx context.Context, r *http.Request) (id *auth.Identity, err error) {
	if e.opts.StudioAuth && r.Header.Get("X-Auth-Scheme") == "langsmith" {
		if n := auth.AuthnNoteFrom(ctx); n != nil {
			n.Authenticator = "studio"
		}
		u := auth.StudioUser()
		return auth.NewStudioIdentity(u), nil
	}
	defer recoverInto(&err, "authenticate", "")
	req := &auth.Request{Method: r.Method, Path: r.URL.Path, Headers: r.Header, HTTP: r}
	u, err := e.auth.AuthenticateFunc()(ctx, req)
	if err != nil {
		return nil, userError(err, "authenticate")
	}
	if u == nil {
		return nil, errors.New("authenticate returned no user and no error")
	}
	if auth.ClaimsStudio(u) {
		// Studio status comes from the admission path only.
		e.log.WarnContext(ctx, "authz: authenticate returned the reserved Studio identity or kind; refused",
			"identity", u.Identity)
		return nil, auth.Unauthorized("Invalid credentials")
	}
	// One allocation for the copy of the user and the Identity.
	box := &struct {
		id   auth.Identity
		user auth.User
	}{user: *u}
	if err := box.user.Normalize(); err != nil {
		return nil, err
	}
	box.id = auth.Identity{User: &box.user, Permissions: box.user.Permissions}
	return &box.id, nil
}

// Decider names the handler that decides (resource, action): the pattern
// it was registered for ("threads", "*", a policy rule's key), as
// `agentgate auth check` shows it; "" when none does (allowed).
func (e *Enforcer) Decider(resource, action string) string {
	_, pattern := e.auth.Handler(resource, action)
	return pattern
}

// Authorize runs the handler that decides v's event for the caller in ctx
// and returns the scope for the storage call. v may be changed by the
// handler; callers read it back. Deny gives a 403 *auth.HTTPError.
func (e *Enforcer) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	id, ok := auth.IdentityFrom(ctx)
	if !ok {
		// Authentication did not run for a protected route: fail closed.
		return storage.Scope{}, errors.New("authz: no authenticated caller in context")
	}
	resource, action := v.Event()
	ev := storage.Event{Resource: resource, Action: action}
	h, pattern := e.auth.Handler(resource, action)
	if h == nil {
		return storage.Authorized(ev), nil
	}
	c := &auth.Context{User: id.User, Permissions: id.Permissions, Resource: resource, Action: action, Studio: id.Studio()}
	res, err := e.call(ctx, h, c, v, pattern)
	if err != nil {
		return storage.Scope{}, err
	}
	if res.Denied() {
		return storage.Scope{}, auth.Forbidden("Forbidden")
	}
	var f filter.Filter
	if k, v, ok := res.Eq(); ok {
		f, err = filter.Equal(k, v)
	} else {
		f, err = filter.Parse(res.FilterMap())
	}
	if err != nil {
		return storage.Scope{}, fmt.Errorf("auth handler %q returned an invalid filter: %w", pattern, err)
	}
	return storage.Authorized(ev, f), nil
}

func (e *Enforcer) call(ctx context.Context, h auth.Handler, c *auth.Context, v auth.Value, pattern string) (res auth.Result, err error) {
	defer recoverInto(&err, "auth handler ", pattern)
	res, err = h(ctx, c, v)
	if err != nil {
		return res, userError(err, fmt.Sprintf("auth handler %q", pattern))
	}
	return res, nil
}

// userError maps an error of user code: an *auth.HTTPError with an error
// status (400-599) goes to the client as is; any other error, including an
// HTTPError with another status (which would read as a success or a
// redirect), becomes an internal error: a logged 500.
func userError(err error, where string) error {
	var he *auth.HTTPError
	if !errors.As(err, &he) {
		return fmt.Errorf("%s: %w", where, err)
	}
	if he.Status >= 400 && he.Status <= 599 {
		return he
	}
	// %v, not %w: the HTTPError must not be found again downstream.
	return fmt.Errorf("%s returned an HTTPError with status %d (only 400-599 reach the client): %v", where, he.Status, he)
}

// recoverInto turns a panic in user code into an internal error; where is
// where+name (joined only then, to keep the happy path allocation-free).
func recoverInto(err *error, where, name string) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s%s panicked: %v\n%s", where, name, p, debug.Stack())
	}
}
