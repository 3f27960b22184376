package authn

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/agentgate/agentgate/auth"
)

// ClaimsConfig maps token claims (or a user-info answer) to the user.
// Paths are dotted: "app_metadata.roles" reads {"app_metadata":{"roles":…}}.
type ClaimsConfig struct {
	// Identity is the path of the user's identity; default "sub" ("id" is
	// Supabase's).
	Identity string `json:"identity,omitempty"`
	// DisplayName is the path of the display name; empty means the identity.
	DisplayName string `json:"display_name,omitempty"`
	// Permissions lists paths whose values become permissions: a string is
	// split on spaces (OAuth "scope"), an array gives one per string.
	// Default ["scope", "scp", "roles"]; [] for none.
	Permissions []string `json:"permissions"`
	// Extra names extra user fields and the paths they come from.
	Extra map[string]string `json:"extra,omitempty"`
}

func (c *ClaimsConfig) withDefaults(identity string) ClaimsConfig {
	out := ClaimsConfig{Identity: identity, Permissions: []string{"scope", "scp", "roles"}}
	if c == nil {
		return out
	}
	if c.Identity != "" {
		out.Identity = c.Identity
	}
	out.DisplayName = c.DisplayName
	if c.Permissions != nil {
		out.Permissions = c.Permissions
	}
	out.Extra = c.Extra
	return out
}

// claimMapper applies a ClaimsConfig with its paths split once.
type claimMapper struct {
	identity, displayName []string
	permissions           [][]string
	extraNames            []string
	extraPaths            [][]string
}

func newClaimMapper(c ClaimsConfig) claimMapper {
	m := claimMapper{identity: splitPath(c.Identity)}
	if c.DisplayName != "" {
		m.displayName = splitPath(c.DisplayName)
	}
	for _, p := range c.Permissions {
		m.permissions = append(m.permissions, splitPath(p))
	}
	names := make([]string, 0, len(c.Extra))
	for name := range c.Extra {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		m.extraNames = append(m.extraNames, name)
		m.extraPaths = append(m.extraPaths, splitPath(c.Extra[name]))
	}
	return m
}

func splitPath(p string) []string { return strings.Split(p, ".") }

func lookup(m map[string]any, path []string) (any, bool) {
	var v any = m
	for _, seg := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[seg]; !ok {
			return nil, false
		}
	}
	return v, true
}

// user maps claims to a user; it fails when the identity is missing or
// not a string or an integer.
func (m claimMapper) user(claims map[string]any) (*auth.User, error) {
	raw, ok := lookup(claims, m.identity)
	if !ok {
		return nil, fmt.Errorf("no %q claim", strings.Join(m.identity, "."))
	}
	id, ok := scalarString(raw)
	if !ok || id == "" {
		return nil, fmt.Errorf("claim %q is not a non-empty string", strings.Join(m.identity, "."))
	}
	u := &auth.User{Identity: id, DisplayName: id, Permissions: []string{}}
	if m.displayName != nil {
		if v, ok := lookup(claims, m.displayName); ok {
			if s, ok := scalarString(v); ok && s != "" {
				u.DisplayName = s
			}
		}
	}
	for _, p := range m.permissions {
		v, ok := lookup(claims, p)
		if !ok {
			continue
		}
		switch v := v.(type) {
		case string:
			for _, s := range strings.Fields(v) {
				u.Permissions = appendUnique(u.Permissions, s)
			}
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok && s != "" {
					u.Permissions = appendUnique(u.Permissions, s)
				}
			}
		}
	}
	if len(m.extraNames) > 0 {
		u.Extra = make(map[string]any, len(m.extraNames))
		for i, name := range m.extraNames {
			if v, ok := lookup(claims, m.extraPaths[i]); ok {
				u.Extra[name] = normalizeJSON(v)
			}
		}
	}
	if auth.ClaimsStudio(u) {
		return nil, fmt.Errorf("the identity %q or kind %q is reserved for the Studio user", auth.StudioIdentity, auth.StudioKind)
	}
	return u, nil
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// scalarString renders a string or an integral number as a string.
func scalarString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return string(v), true
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10), true
		}
	}
	return "", false
}

// normalizeJSON turns json.Number values into float64 or int64 so extra
// fields look the same whichever decoder produced them.
func normalizeJSON(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalizeJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalizeJSON(e)
		}
		return out
	}
	return v
}
