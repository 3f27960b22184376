package auth

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// User is who a request comes from. Authenticate returns one; handlers and
// graphs (as configurable.langgraph_auth_user) see it. Extra fields such as
// email or a downstream token travel with it; keep secrets out of fields
// that you would not want persisted with a thread.
type User struct {
	Identity    string
	DisplayName string // defaults to Identity
	Permissions []string
	// Anonymous marks a user that is not authenticated; the zero value is an
	// authenticated user, as LangGraph's is_authenticated defaults to true.
	Anonymous bool
	Extra     map[string]any
}

// IsAuthenticated is the opposite of Anonymous.
func (u *User) IsAuthenticated() bool { return !u.Anonymous }

// Get returns an extra field.
func (u *User) Get(key string) (any, bool) {
	v, ok := u.Extra[key]
	return v, ok
}

// Normalize fills the defaults: DisplayName from Identity and non-nil
// Permissions. It fails when Identity is empty.
func (u *User) Normalize() error {
	if u.Identity == "" {
		return &HTTPError{Status: http.StatusInternalServerError,
			Detail: "Authenticate returned a user without an identity"}
	}
	if u.DisplayName == "" {
		u.DisplayName = u.Identity
	}
	if u.Permissions == nil {
		u.Permissions = []string{}
	}
	return nil
}

// Map is the user as graphs and rules see it: identity, display_name,
// is_authenticated, permissions and the extra fields (which cannot override
// the four standard keys).
func (u *User) Map() map[string]any {
	m := make(map[string]any, len(u.Extra)+4)
	for k, v := range u.Extra {
		m[k] = v
	}
	m["identity"] = u.Identity
	m["display_name"] = u.DisplayName
	m["is_authenticated"] = u.IsAuthenticated()
	perms := u.Permissions
	if perms == nil {
		perms = []string{}
	}
	m["permissions"] = perms
	return m
}

// MarshalJSON writes Map().
func (u User) MarshalJSON() ([]byte, error) { return json.Marshal(u.Map()) }

// UnmarshalJSON reads the form MarshalJSON writes.
func (u *User) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*u = User{}
	for k, v := range m {
		switch k {
		case "identity":
			u.Identity, _ = v.(string)
		case "display_name":
			u.DisplayName, _ = v.(string)
		case "is_authenticated":
			b, _ := v.(bool)
			u.Anonymous = !b
		case "permissions":
			list, _ := v.([]any)
			u.Permissions = make([]string, 0, len(list))
			for _, p := range list {
				if s, ok := p.(string); ok {
					u.Permissions = append(u.Permissions, s)
				}
			}
		default:
			if u.Extra == nil {
				u.Extra = map[string]any{}
			}
			u.Extra[k] = v
		}
	}
	return nil
}

// StudioIdentity is the identity of LangGraph Studio requests in dev mode.
// It is reserved: a user an authenticator returns with it is refused.
const StudioIdentity = "langgraph-studio-user"

// StudioKind is the reserved "kind" extra field of the Studio user.
const StudioKind = "StudioUser"

// StudioUser is the user admitted for `x-auth-scheme: langsmith` requests in
// dev mode. Authorization handlers still run for it. Returning it from
// Authenticate does not make a request Studio's: it is refused (see
// ClaimsStudio); only the enforcer's admission path sets Context.Studio.
func StudioUser() *User {
	return &User{Identity: StudioIdentity, DisplayName: StudioIdentity,
		Permissions: []string{}, Extra: map[string]any{"kind": StudioKind}}
}

// ClaimsStudio reports whether u poses as the Studio user: the reserved
// identity, or a "kind" extra field equal to StudioKind (in any case).
// Such users are refused when an authenticator or a token list produces
// them. It never grants Studio status: test Context.Studio for that.
func ClaimsStudio(u *User) bool {
	if u == nil {
		return false
	}
	if u.Identity == StudioIdentity {
		return true
	}
	kind, _ := u.Extra["kind"].(string)
	return strings.EqualFold(kind, StudioKind)
}

// Request is what Authenticate sees of an HTTP request. The query and path
// parameters are read through methods, so that a request whose
// Authenticate never looks at them does not pay for building them.
type Request struct {
	Method  string
	Path    string
	Headers http.Header
	// HTTP is the raw request, for anything else (TLS state, remote address).
	// Do not read its body: requests are not guaranteed to have one left.
	HTTP *http.Request
}

// Query returns the parsed query string (a new map on each call; empty
// without HTTP).
func (r *Request) Query() url.Values {
	if r.HTTP == nil || r.HTTP.URL == nil {
		return url.Values{}
	}
	return r.HTTP.URL.Query()
}

// PathParam returns the path parameter name of the route the request
// matched (such as "thread_id" for /threads/{thread_id}), or "".
func (r *Request) PathParam(name string) string {
	if r.HTTP == nil {
		return ""
	}
	return r.HTTP.PathValue(name)
}

// PathParams returns every path parameter of the route the request matched
// (a new map on each call).
func (r *Request) PathParams() map[string]string {
	out := map[string]string{}
	if r.HTTP == nil {
		return out
	}
	for rest := r.HTTP.Pattern; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return out
		}
		name := strings.TrimSuffix(rest[i+1:i+j], "...")
		out[name] = r.HTTP.PathValue(name)
		rest = rest[i+j+1:]
	}
}

// Header returns the first value of a header (case-insensitive name).
func (r *Request) Header(name string) string { return r.Headers.Get(name) }

// Authorization returns the Authorization header, "" when absent.
func (r *Request) Authorization() string { return r.Headers.Get("Authorization") }

// BearerToken returns the token of an "Authorization: Bearer <token>" header
// (scheme case-insensitive), or "".
func (r *Request) BearerToken() string {
	scheme, token, ok := strings.Cut(r.Authorization(), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
