package authn

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/agentgate/agentgate/auth"
)

// Authenticator turns a request into a user. It returns ErrNoCredentials
// (or an error wrapping it) when the request carries no credential it is
// responsible for, so that a Chain asks the next one; any other error ends
// the chain. Built-in authenticators return *auth.HTTPError values: 401 for
// a bad credential, 503 when the identity provider cannot be reached.
type Authenticator interface {
	Authenticate(ctx context.Context, r *auth.Request) (*auth.User, error)
}

// ErrNoCredentials means "no credential of my kind in this request".
var ErrNoCredentials = errors.New("authn: no credentials of this kind")

// Func adapts a Go authenticate function (an auth.AuthenticateFunc) to an
// Authenticator: authn.Func(myAuthenticate). It may return
// ErrNoCredentials to let the next authenticator of a chain try.
type Func func(ctx context.Context, r *auth.Request) (*auth.User, error)

// Authenticate calls f.
func (f Func) Authenticate(ctx context.Context, r *auth.Request) (*auth.User, error) {
	return f(ctx, r)
}

// Chain asks its authenticators in order. The first one that finds its kind
// of credential decides: its user, or its error (a present but invalid
// credential is a 401 and does not fall through). When none is responsible
// the request gets a 401.
type Chain struct {
	links []Authenticator
	names []string // the links' names, for the audit log ("" when unnamed)
	// headers are the credential headers the built-in links read, to tell
	// "Missing credentials" from "Invalid credentials" at the end.
	headers []string
	cache   *resultCache // set by Build, nil without a cache
}

// NewChain returns a chain of the given authenticators.
func NewChain(links ...Authenticator) *Chain {
	c := &Chain{}
	return c.Then(links...)
}

// Then returns a new chain: c's authenticators followed by links.
func (c *Chain) Then(links ...Authenticator) *Chain {
	n := &Chain{links: append(append([]Authenticator(nil), c.links...), links...), cache: c.cache}
	n.names = append(n.names, c.names...)
	for _, l := range links {
		name := ""
		if nl, ok := l.(interface{ linkName() string }); ok {
			name = nl.linkName()
		}
		n.names = append(n.names, name)
	}
	seen := map[string]bool{}
	for _, l := range n.links {
		if h, ok := l.(interface{ credentialHeader() string }); ok {
			name := http.CanonicalHeaderKey(h.credentialHeader())
			if !seen[name] {
				seen[name] = true
				n.headers = append(n.headers, name)
			}
		}
	}
	return n
}

// Len is the number of authenticators.
func (c *Chain) Len() int { return len(c.links) }

// Authenticate runs the chain. The deciding link's name goes into the
// context's auth.AuthnNote, when there is one.
func (c *Chain) Authenticate(ctx context.Context, r *auth.Request) (*auth.User, error) {
	for i, l := range c.links {
		u, err := l.Authenticate(ctx, r)
		if errors.Is(err, ErrNoCredentials) {
			continue
		}
		if n := auth.AuthnNoteFrom(ctx); n != nil {
			n.Authenticator = c.names[i]
		}
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, errors.New("authn: an authenticator returned no user and no error")
		}
		return u, nil
	}
	for _, h := range c.headers {
		if r.Headers.Get(h) != "" {
			return nil, invalid("Invalid credentials")
		}
	}
	return nil, missing()
}

// Func returns the chain as an auth.AuthenticateFunc, for
// auth.New().Authenticate(chain.Func()).
func (c *Chain) Func() auth.AuthenticateFunc { return c.Authenticate }

// missing is the 401 for a request without credentials (RFC 6750 §3.1: no
// error code when the request carries no credential).
func missing() *auth.HTTPError {
	return &auth.HTTPError{Status: http.StatusUnauthorized, Detail: "Missing credentials",
		Headers: http.Header{"Www-Authenticate": {`Bearer realm="agentgate"`}}}
}

// invalid is the 401 for a credential that is present but not accepted.
func invalid(detail string) *auth.HTTPError {
	return &auth.HTTPError{Status: http.StatusUnauthorized, Detail: detail,
		Headers: http.Header{"Www-Authenticate": {`Bearer realm="agentgate", error="invalid_token", error_description="` + quote(detail) + `"`}}}
}

// unavailable is the 503 for an identity provider that cannot be reached:
// fail closed, never admit.
func unavailable(detail string) *auth.HTTPError {
	return &auth.HTTPError{Status: http.StatusServiceUnavailable, Detail: detail,
		Headers: http.Header{"Retry-After": {"5"},
			"Www-Authenticate": {`Bearer realm="agentgate", error="temporarily_unavailable"`}}}
}

// quote keeps a detail safe inside a quoted-string header parameter.
func quote(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
			return '\''
		}
		return r
	}, s)
}

// credential reads the credential from header: for Authorization the token
// of a Bearer scheme, for any other header its trimmed value. ok is false
// when there is none.
func credential(r *auth.Request, header string) (string, bool) {
	if r == nil || r.Headers == nil {
		return "", false
	}
	v := r.Headers.Get(header)
	if v == "" {
		return "", false
	}
	if strings.EqualFold(header, "authorization") {
		scheme, tok, ok := strings.Cut(v, " ")
		if !ok || !strings.EqualFold(scheme, "bearer") {
			return "", false
		}
		v = tok
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}
