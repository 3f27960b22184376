package policy

import (
	"context"
	"errors"
	"fmt"

	"github.com/agentgate/agentgate/auth"
)

// scope is the owner preset, the tenant key and the grants as one handler
// for every event. At least one of owner and tenant is set; grants need
// owner (they lift its filter, never the tenant's).
type scope struct {
	owner  *owner
	tenant *tenant
	grants *Rules
}

// decide stamps and filters v for the caller: the tenant part always, the
// owner part unless a grant lifts it for this event.
func (s *scope) decide(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
	if c == nil || c.User == nil || c.User.Identity == "" {
		return auth.Result{}, errors.New("policy: owner preset: no authenticated identity")
	}
	if s.owner != nil && s.owner.opts.StudioSeesAll && c.Studio {
		return auth.Allow(), nil
	}
	id := c.User.Identity
	var tn string
	if s.tenant != nil {
		var err error
		if tn, err = s.tenant.of(c.User); err != nil {
			return auth.Result{}, err
		}
	}
	granted, err := s.granted(ctx, c, v)
	if err != nil {
		return auth.Result{}, err
	}
	resource, action := v.Event()
	if resource == auth.Store {
		var prefix []string
		if s.tenant != nil {
			prefix = append(prefix, OwnerLabel(tn))
		}
		if s.owner != nil && !granted {
			prefix = append(prefix, OwnerLabel(id))
		}
		if len(prefix) == 0 {
			return auth.Allow(), nil
		}
		return auth.Allow(), rewrite(v, prefix)
	}
	if resource == auth.Assistants && (action == auth.Create || action == auth.Update) {
		if md := auth.Metadata(v); md["created_by"] == "system" {
			// Such an assistant would be visible to every user, posing as a
			// graph's own.
			return auth.Result{}, auth.Forbidden(`metadata "created_by": "system" is reserved for the graphs' own assistants`)
		}
	}
	if stamps(resource, action) {
		if err := s.stamp(v, id, tn, granted); err != nil {
			return auth.Result{}, err
		}
	}
	if s.tenant == nil && !s.sharesSystemAssistants(resource, action) {
		if granted {
			return auth.Allow(), nil
		}
		return auth.FilterEq(s.owner.key, id), nil // the hot path
	}
	if f := s.filter(id, tn, granted, resource, action); f != nil {
		return auth.Filter(f), nil
	}
	return auth.Allow(), nil
}

// granted reports whether the grant deciding v's event, if any, holds.
// Grants see the value as the client sent it.
func (s *scope) granted(ctx context.Context, c *auth.Context, v auth.Value) (bool, error) {
	if s.grants == nil {
		return false, nil
	}
	g := s.grants.lookup(v.Event())
	if g == nil {
		return false, nil
	}
	res, err := g.eval(ctx, c, v)
	if err != nil {
		return false, err
	}
	return !res.Denied(), nil
}

// stamp writes the tenant and owner into v's metadata. A granted update
// keeps the resource's owner: the client's owner key is dropped rather
// than replaced, so a grant never moves a resource to its user.
func (s *scope) stamp(v auth.Value, id, tn string, granted bool) error {
	md := auth.Metadata(v)
	if md == nil {
		r, a := v.Event()
		return fmt.Errorf("policy: owner preset: %s:%s value %T carries no metadata", r, a, v)
	}
	if s.tenant != nil {
		md[s.tenant.key] = tn
	}
	if s.owner == nil {
		return nil
	}
	if _, action := v.Event(); granted && action == auth.Update {
		delete(md, s.owner.key)
		return nil
	}
	md[s.owner.key] = id
	return nil
}

// sharesSystemAssistants: assistants:read and assistants:search also see
// the graphs' own assistants unless the owner options hide them.
func (s *scope) sharesSystemAssistants(resource, action string) bool {
	if resource != auth.Assistants || (action != auth.Read && action != auth.Search) {
		return false
	}
	return s.owner == nil || !s.owner.opts.HideSystemAssistants
}

// filter is the filter for a non-store event: tenant and owner ANDed
// (owner left out when granted), or'ed with the system assistants where
// they are shared; nil for no filter.
func (s *scope) filter(id, tn string, granted bool, resource, action string) map[string]any {
	mine := map[string]any{}
	if s.tenant != nil {
		mine[s.tenant.key] = tn
	}
	if s.owner != nil && !granted {
		mine[s.owner.key] = id
	}
	switch {
	case len(mine) == 0:
		return nil
	case s.sharesSystemAssistants(resource, action):
		return map[string]any{"$or": []any{mine, map[string]any{"created_by": "system"}}}
	}
	return mine
}

// rewrite puts prefix in front of the namespace of a store value unless
// the namespace already starts with it. Clients thus see (and may send
// back) the full namespaces, prefix included. When the prefix is added to
// a list_namespaces prefix, max_depth grows by its length so that it still
// counts the labels the client wrote.
func rewrite(v auth.Value, prefix []string) error {
	switch x := v.(type) {
	case *auth.StorePut:
		x.Namespace, _ = prefixed(x.Namespace, prefix)
	case *auth.StoreGet:
		x.Namespace, _ = prefixed(x.Namespace, prefix)
	case *auth.StoreDelete:
		x.Namespace, _ = prefixed(x.Namespace, prefix)
	case *auth.StoreSearch:
		x.Namespace, _ = prefixed(x.Namespace, prefix)
	case *auth.StoreListNamespaces:
		var added bool
		x.Namespace, added = prefixed(x.Namespace, prefix)
		if added && x.MaxDepth > 0 {
			x.MaxDepth += len(prefix)
		}
	default:
		return fmt.Errorf("policy: owner preset: unknown store value %T", v)
	}
	return nil
}

func prefixed(ns, prefix []string) ([]string, bool) {
	if len(ns) >= len(prefix) {
		same := true
		for i, l := range prefix {
			if ns[i] != l {
				same = false
				break
			}
		}
		if same {
			return ns, false
		}
	}
	out := make([]string, 0, len(ns)+len(prefix))
	return append(append(out, prefix...), ns...), true
}
