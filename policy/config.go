package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/auth/filter"
)

// Config is authorization configured without code, as JSON:
//
//	{"policy": "owner"}
//	{"policy": "owner", "owner": {"key": "user_id", "studio_sees_all": true}}
//	{"rules": {"assistants:create": "\"admin\" in permissions", "*": "true"}}
//	{"policy": "owner", "rules": {"assistants:create": "\"admin\" in permissions"}}
//	{"policy": "owner", "grants": {"threads:read": "\"viewer\" in permissions"}}
//	{"policy": "owner", "tenant": {"claim": "org_id"}}
//
// The owner preset and the tenant key run first for every event (stamping
// owners and tenants, rewriting namespaces); a grant that holds lifts the
// owner part for its event, never the tenant part. Then the rule deciding
// the event, if any, sees the stamped value: false denies, true keeps the
// filter, a map is ANDed with it.
type Config struct {
	// Policy is "owner" for the owner preset, or empty.
	Policy string `json:"policy,omitempty"`
	// Owner tunes the preset; only with Policy "owner".
	Owner *OwnerOptions `json:"owner,omitempty"`
	// Tenant confines every user to their tenant (see TenantOptions).
	Tenant *TenantOptions `json:"tenant,omitempty"`
	// Grants are CEL expressions keyed by event pattern, like Rules, that
	// return a bool: true lifts the owner filter for the event. Only with
	// Policy "owner".
	Grants map[string]string `json:"grants,omitempty"`
	// Rules are CEL expressions keyed by event pattern (see CompileRules).
	Rules map[string]string `json:"rules,omitempty"`
	// CostLimit bounds each rule and grant evaluation; DefaultCostLimit
	// when 0.
	CostLimit uint64 `json:"cost_limit,omitempty"`

	compiled *Rules
	scope    *scope
}

// ParseConfig decodes raw strictly (unknown keys, wrong types and trailing
// data are errors) and compiles and checks everything: a Config that parses
// installs without error on an Auth that has no handlers.
func ParseConfig(raw json.RawMessage) (*Config, error) {
	if err := noDuplicateKeys(raw); err != nil {
		return nil, fmt.Errorf("policy config: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	var c Config
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("policy config: %s", decodeMessage(err))
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("policy config: data after the JSON object")
	}
	if err := c.compile(); err != nil {
		return nil, err
	}
	return &c, nil
}

func decodeMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%s: expected %s, got a JSON %s", te.Field, goKind(te.Type.Kind()), te.Value)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.HasPrefix(msg, "unknown field") {
		return msg + " (known keys: policy, owner, tenant, grants, rules, cost_limit; owner keys: key, hide_system_assistants, studio_sees_all; tenant keys: claim, key)"
	}
	return msg
}

// compile checks the config and builds its parts once.
func (c *Config) compile() error {
	if c.scope != nil || c.compiled != nil {
		return nil
	}
	var sc scope
	switch c.Policy {
	case "owner":
		var opts OwnerOptions
		if c.Owner != nil {
			opts = *c.Owner
		}
		o, err := newOwner(opts)
		if err != nil {
			return err
		}
		sc.owner = o
	case "":
		if c.Owner != nil {
			return errors.New(`policy config: "owner" options need "policy": "owner"`)
		}
		if c.Grants != nil {
			return errors.New(`policy config: grants: grants lift the owner filter, so they need "policy": "owner"`)
		}
	default:
		return fmt.Errorf(`policy config: unknown policy %q (the only preset is "owner")`, c.Policy)
	}
	if c.Tenant != nil {
		ownerKey := ""
		if sc.owner != nil {
			ownerKey = sc.owner.key
		}
		t, err := newTenant(*c.Tenant, ownerKey)
		if err != nil {
			return err
		}
		sc.tenant = t
	}
	if len(c.Grants) > 0 {
		gs, err := compileSet(c.Grants, rulesConfig{costLimit: c.costLimit(), what: "grant", boolOnly: true})
		if err != nil {
			return err
		}
		sc.grants = gs
	}
	if c.Rules != nil {
		if len(c.Rules) == 0 && sc.owner == nil && sc.tenant == nil {
			return errors.New(`policy config: "rules" is empty`)
		}
		rs, err := CompileRules(c.Rules, WithCostLimit(c.CostLimit))
		if err != nil {
			return err
		}
		c.compiled = rs
	}
	if sc.owner != nil || sc.tenant != nil {
		c.scope = &sc
	}
	if c.scope == nil && c.compiled == nil {
		return errors.New(`policy config: nothing to install (want "policy": "owner", "tenant", "rules", or a combination)`)
	}
	if c.scope != nil && c.compiled != nil {
		return c.checkCombined()
	}
	return nil
}

func (c *Config) costLimit() uint64 {
	if c.CostLimit > 0 {
		return c.CostLimit
	}
	return DefaultCostLimit
}

// checkCombined checks that every constant rule filter still forms a valid
// filter once ANDed with the owner and tenant filters, granted or not.
func (c *Config) checkCombined() error {
	for _, ev := range auth.Events() {
		r := c.compiled.lookup(ev[0], ev[1])
		if r == nil || r.constant == nil || r.constant.FilterMap() == nil || ev[0] == auth.Store {
			continue
		}
		for _, granted := range []bool{false, true} {
			f := and(c.scope.filter("sample-identity", "sample-tenant", granted, ev[0], ev[1]), r.constant.FilterMap())
			if _, err := filter.Parse(f); err != nil {
				return fmt.Errorf("policy: rule %q: its filter cannot be combined with the owner filter on %s:%s: %w", r.key, ev[0], ev[1], err)
			}
		}
	}
	return nil
}

// Install registers the configured policy on a: the owner preset and
// tenant key on "*" (combined with the rules when both are set), or the
// rules alone. It fails, registering nothing, when a already has a
// handler for an event the policy decides.
func (c *Config) Install(a *auth.Auth) error {
	if err := c.compile(); err != nil {
		return err
	}
	switch {
	case c.scope == nil:
		return c.compiled.Install(a)
	case c.compiled == nil:
		if err := checkFree(a, c.what(), []string{"*"}); err != nil {
			return err
		}
		a.On("*", c.scope.decide)
		return nil
	}
	if err := checkFree(a, c.what()+" with rules", []string{"*"}); err != nil {
		return err
	}
	a.On("*", c.combined)
	return nil
}

// what names the scope part in messages.
func (c *Config) what() string {
	if c.scope.owner == nil {
		return "tenant key"
	}
	return "owner preset"
}

// combined is the owner preset (and tenant key) followed by the rule
// deciding the event.
func (c *Config) combined(ctx context.Context, ac *auth.Context, v auth.Value) (auth.Result, error) {
	res, err := c.scope.decide(ctx, ac, v)
	if err != nil || res.Denied() {
		return res, err
	}
	r := c.compiled.lookup(v.Event())
	if r == nil {
		return res, nil
	}
	rr, err := r.eval(ctx, ac, v)
	if err != nil || rr.Denied() {
		return rr, err
	}
	if rr.FilterMap() == nil {
		return res, nil
	}
	f := and(res.FilterMap(), rr.FilterMap())
	if _, err := filter.Parse(f); err != nil {
		return auth.Result{}, fmt.Errorf("policy: rule %q: its filter cannot be combined with the owner filter: %w", r.key, err)
	}
	return auth.Filter(f), nil
}

// and is a filter matching what both a and b match. Disjoint keys merge at
// the top level (keys of a filter are ANDed); otherwise both become
// branches of an "$and".
func and(a, b map[string]any) map[string]any {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0:
		return a
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if _, clash := out[k]; clash {
			return map[string]any{"$and": []any{a, b}}
		}
		out[k] = v
	}
	return out
}

func goKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Uint64:
		return "a non-negative integer"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return k.String()
}

// noDuplicateKeys fails on an object with the same key twice, which
// encoding/json would resolve silently in favour of the last one: two rules
// for one pattern must not depend on their order in the file. Syntax errors
// are left to the decoder.
func noDuplicateKeys(raw []byte) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := d.Token()
		if err != nil {
			return nil
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil
				}
				k, _ := kt.(string)
				if seen[k] {
					return fmt.Errorf("%skey %q appears twice", path, k)
				}
				seen[k] = true
				if err := walk(path + k + ": "); err != nil {
					return err
				}
			}
			d.Token()
		case json.Delim('['):
			for d.More() {
				if err := walk(path); err != nil {
					return err
				}
			}
			d.Token()
		}
		return nil
	}
	return walk("")
}
