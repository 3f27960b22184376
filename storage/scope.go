package storage

import "github.com/agentgate/agentgate/auth/filter"

// Scope is what an authorization decision allows a storage call to see.
// Every method that touches a tenant's data takes one. The zero Scope is
// invalid: backends refuse it with ErrNoScope, so a forgotten authorization
// step fails closed instead of reading everything.
type Scope struct {
	kind    scopeKind
	event   Event
	filters []filter.Filter
}

// Event is the authorization event (resource, action) a scope was issued
// for, such as threads:read. Storage methods accept only the events that fit
// them (see Guard), so a read scope can never cancel, delete or run.
type Event struct {
	Resource, Action string
}

func (e Event) String() string { return e.Resource + ":" + e.Action }

type scopeKind uint8

const (
	scopeUnset scopeKind = iota
	scopeSystem
	scopeAuthorized
)

// System is the scope of the server itself: the run worker, migrations and
// startup registration. Request handlers must never use it.
func System() Scope { return Scope{kind: scopeSystem} }

// Authorized is the scope of a request whose authorization allowed ev. The
// filters (empty ones are dropped) are ANDed and tested on the resource's
// metadata; with none, everything is visible.
func Authorized(ev Event, filters ...filter.Filter) Scope {
	s := Scope{kind: scopeAuthorized, event: ev}
	for _, f := range filters {
		if !f.IsEmpty() {
			s.filters = append(s.filters, f)
		}
	}
	return s
}

// Check returns ErrNoScope for the zero Scope.
func (s Scope) Check() error {
	if s.kind == scopeUnset {
		return ErrNoScope
	}
	return nil
}

// IsSystem reports whether s is the System scope.
func (s Scope) IsSystem() bool { return s.kind == scopeSystem }

// Event is the event s was authorized for (zero for System and the zero Scope).
func (s Scope) Event() Event { return s.event }

// Filters returns the filters to AND into a query. Nil means no restriction.
func (s Scope) Filters() []filter.Filter { return s.filters }

// Match evaluates the scope's filters on doc in Go. A zero Scope matches nothing.
func (s Scope) Match(doc map[string]any) bool {
	if s.kind == scopeUnset {
		return false
	}
	for _, f := range s.filters {
		if !f.Match(doc) {
			return false
		}
	}
	return true
}
