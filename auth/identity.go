package auth

import "context"

// Identity is the authenticated caller: of a request, or of work done later
// on its behalf (a cron's tick runs as its creator). The server's enforcer
// puts it in the request's context; authorization handlers see its User and
// Permissions in their Context.
type Identity struct {
	User        *User
	Permissions []string
	// studio is set only by NewStudioIdentity, which the enforcer calls on its
	// Studio admission path.
	studio bool
}

// NewStudioIdentity is the Identity of a caller admitted as LangGraph Studio.
// Only the enforcer's Studio admission path makes one: nothing an
// authenticator returns (identity, kind or claims) can.
func NewStudioIdentity(u *User) *Identity {
	return &Identity{User: u, Permissions: []string{}, studio: true}
}

// Studio reports whether the caller was admitted as LangGraph Studio.
func (id *Identity) Studio() bool { return id != nil && id.studio }

type identityKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the caller stored by WithIdentity.
func IdentityFrom(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(*Identity)
	return id, ok && id != nil
}

// AuthnNote tells the server's audit log which authenticator decided a
// request. The server puts one in the context it passes to Authenticate
// when auditing; a chain of authenticators (package authn) fills it.
type AuthnNote struct {
	Authenticator string // the deciding authenticator's name; "" if none
}

type authnNoteKey struct{}

// WithAuthnNote returns ctx carrying n.
func WithAuthnNote(ctx context.Context, n *AuthnNote) context.Context {
	return context.WithValue(ctx, authnNoteKey{}, n)
}

// AuthnNoteFrom returns the note stored by WithAuthnNote, or nil.
func AuthnNoteFrom(ctx context.Context) *AuthnNote {
	n, _ := ctx.Value(authnNoteKey{}).(*AuthnNote)
	return n
}
