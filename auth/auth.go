package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// AuthenticateFunc turns a request into a user, or returns an error:
// an *HTTPError (typically Unauthorized) is sent to the client as is; any
// other error is a 500 whose cause is logged.
type AuthenticateFunc func(ctx context.Context, r *Request) (*User, error)

// Context is what an authorization handler knows about the call.
type Context struct {
	User        *User
	Permissions []string // the permissions Authenticate returned
	Resource    string
	Action      string
	// Studio is set by the enforcer only for a request admitted as
	// LangGraph Studio (`x-auth-scheme: langsmith` with Studio admission
	// on). No user an authenticator returns can set it; test it, never the
	// user's identity or "kind", to recognise Studio.
	Studio bool
}

// Handler decides an event. Return Allow(), Deny(), Filter(...), or an
// error (an *HTTPError keeps its status; any other error is a 500).
type Handler func(ctx context.Context, c *Context, v Value) (Result, error)

// Result is a handler's decision. The zero Result allows.
type Result struct {
	deny   bool
	filter map[string]any
	// eq: the filter {eqKey: eqVal}, made by FilterEq without a map.
	eq           bool
	eqKey, eqVal string
}

// Allow allows the event with no filter.
func Allow() Result { return Result{} }

// Deny refuses the event: the client gets 403 Forbidden.
func Deny() Result { return Result{deny: true} }

// Filter allows the event on resources whose metadata match f (see the
// filter grammar in docs/filters.md). An empty filter matches everything.
func Filter(f map[string]any) Result {
	if f == nil {
		f = map[string]any{}
	}
	return Result{filter: f}
}

// FilterEq is Filter(map[string]any{key: value}), the owner pattern, for
// handlers on the hot path: it builds no map.
func FilterEq(key, value string) Result { return Result{eq: true, eqKey: key, eqVal: value} }

// Eq reports the key and value of a FilterEq result.
func (r Result) Eq() (key, value string, ok bool) { return r.eqKey, r.eqVal, r.eq }

// Denied reports whether the result refuses the event.
func (r Result) Denied() bool { return r.deny }

// FilterMap returns the filter, nil when there is none.
func (r Result) FilterMap() map[string]any {
	if r.eq {
		return map[string]any{r.eqKey: r.eqVal}
	}
	return r.filter
}

// Auth holds an Authenticate function and authorization handlers. Build it
// once at startup; the server calls Validate and refuses to start on error.
type Auth struct {
	authenticate AuthenticateFunc
	handlers     map[eventKey]Handler
	errs         []error
}

type eventKey struct{ resource, action string }

// New returns an empty Auth.
func New() *Auth { return &Auth{handlers: map[eventKey]Handler{}} }

// Authenticate sets the authentication function. Setting it twice is an
// error reported by Validate.
func (a *Auth) Authenticate(fn AuthenticateFunc) *Auth {
	switch {
	case fn == nil:
		a.errs = append(a.errs, errors.New("auth: Authenticate(nil)"))
	case a.authenticate != nil:
		a.errs = append(a.errs, errors.New("auth: Authenticate is already set"))
	default:
		a.authenticate = fn
	}
	return a
}

// AuthenticateFunc returns the registered function, nil if none.
func (a *Auth) AuthenticateFunc() AuthenticateFunc { return a.authenticate }

// On registers h for an event: "*" (every event), "threads" (every action on
// threads), "threads:create", or "*:create" (an action on any resource).
// Registering the same event twice is an error reported by Validate.
func (a *Auth) On(event string, h Handler) *Auth {
	if err := a.register(event, h); err != nil {
		a.errs = append(a.errs, err)
	}
	return a
}

// On registers a handler typed by its value: with V a concrete value type
// such as *ThreadsCreate, event must be exactly that type's event; with V =
// Value, any event form is accepted, as for (*Auth).On.
func On[V Value](a *Auth, event string, h func(ctx context.Context, c *Context, v V) (Result, error)) *Auth {
	var zero V
	if typed, ok := any(zero).(Value); ok && typed != nil {
		r, act := typed.Event()
		if event != r+":"+act {
			a.errs = append(a.errs, fmt.Errorf("auth: handler for %q takes %T, the value of %q", event, zero, r+":"+act))
			return a
		}
	}
	if h == nil {
		return a.On(event, nil)
	}
	return a.On(event, func(ctx context.Context, c *Context, v Value) (Result, error) {
		tv, ok := v.(V)
		if !ok {
			return Result{}, fmt.Errorf("auth: handler for %q got %T", event, v)
		}
		return h(ctx, c, tv)
	})
}

func (a *Auth) register(event string, h Handler) error {
	if h == nil {
		return fmt.Errorf("auth: nil handler for %q", event)
	}
	key, err := parseEvent(event)
	if err != nil {
		return err
	}
	if _, dup := a.handlers[key]; dup {
		return fmt.Errorf("auth: a handler for %q is already registered", event)
	}
	a.handlers[key] = h
	return nil
}

func parseEvent(event string) (eventKey, error) {
	resource, action, hasAction := strings.Cut(event, ":")
	if !hasAction {
		action = "*"
	}
	if resource != "*" && actionsOf(resource) == nil {
		return eventKey{}, fmt.Errorf("auth: unknown resource in event %q (want threads, assistants, crons, store or *)", event)
	}
	if action == "*" {
		return eventKey{resource, action}, nil
	}
	if resource == "*" {
		for _, r := range []string{Threads, Assistants, Crons, Store} {
			if slices.Contains(actionsOf(r), action) {
				return eventKey{resource, action}, nil
			}
		}
	} else if slices.Contains(actionsOf(resource), action) {
		return eventKey{resource, action}, nil
	}
	return eventKey{}, fmt.Errorf("auth: unknown action in event %q", event)
}

// Validate reports registration errors and a missing Authenticate.
func (a *Auth) Validate() error {
	errs := slices.Clone(a.errs)
	if a.authenticate == nil {
		errs = append(errs, errors.New("auth: no Authenticate function is set; the server will not start open"))
	}
	return errors.Join(errs...)
}

// Handler returns the one handler that decides (resource, action): the
// first registered of "resource:action", "resource", "*:action", "*".
// pattern names it; h is nil when none is registered (the event is allowed).
func (a *Auth) Handler(resource, action string) (h Handler, pattern string) {
	for _, k := range []eventKey{{resource, action}, {resource, "*"}, {"*", action}, {"*", "*"}} {
		if h, ok := a.handlers[k]; ok {
			return h, k.String()
		}
	}
	return nil, ""
}

// Events lists every (resource, action) pair there is, for coverage reports.
func Events() [][2]string {
	var out [][2]string
	for _, r := range []string{Assistants, Threads, Crons, Store} {
		for _, act := range actionsOf(r) {
			out = append(out, [2]string{r, act})
		}
	}
	return out
}

func (k eventKey) String() string {
	switch {
	case k.resource == "*" && k.action == "*":
		return "*"
	case k.action == "*":
		return k.resource
	}
	return k.resource + ":" + k.action
}
