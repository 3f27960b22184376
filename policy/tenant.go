package policy

import (
	"fmt"

	"github.com/agentgate/agentgate/auth"
)

// TenantOptions configure the tenant key: every resource belongs to the
// tenant of the user who created it, and nobody reaches another tenant's
// resources, whatever the grants say.
type TenantOptions struct {
	// Claim is the user field holding the caller's tenant (an extra field
	// of auth.User: a JWT claim mapped by authn claims.extra, a token's
	// extra, or one set by a Go Authenticate). Its value must be a
	// non-empty string; a caller without it gets 403.
	Claim string `json:"claim"`
	// Key is the metadata key holding the tenant; "tenant" when empty.
	Key string `json:"key,omitempty"`
}

// tenant is the compiled tenant key.
type tenant struct {
	claim, key string
}

func newTenant(opts TenantOptions, ownerKey string) (*tenant, error) {
	if opts.Claim == "" {
		return nil, fmt.Errorf(`policy config: tenant.claim: missing (the user field holding the caller's tenant, e.g. "org_id")`)
	}
	if isStandardKey(opts.Claim) {
		return nil, fmt.Errorf("policy config: tenant.claim: %q is a standard user field, not a claim", opts.Claim)
	}
	key := opts.Key
	if key == "" {
		key = "tenant"
	}
	switch key {
	case "$or", "$and":
		return nil, fmt.Errorf("policy config: tenant.key: %q is a filter operator", key)
	case "created_by":
		return nil, fmt.Errorf("policy config: tenant.key: %q marks the graphs' own assistants", key)
	case ownerKey:
		return nil, fmt.Errorf("policy config: tenant.key: %q is also the owner key", key)
	}
	return &tenant{claim: opts.Claim, key: key}, nil
}

// of returns the caller's tenant, or a 403 when the user has none: a
// caller outside every tenant reaches nothing.
func (t *tenant) of(u *auth.User) (string, error) {
	v, ok := u.Extra[t.claim]
	s, isString := v.(string)
	switch {
	case !ok || v == nil:
		return "", auth.Forbidden(fmt.Sprintf("no tenant: the user has no %q claim", t.claim))
	case !isString || s == "":
		return "", auth.Forbidden(fmt.Sprintf("no tenant: the user's %q claim is not a non-empty string", t.claim))
	}
	return s, nil
}
