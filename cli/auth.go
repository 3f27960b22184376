package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/authn"
	"github.com/agentgate/agentgate/authz"
	"github.com/agentgate/agentgate/config"
)

// buildAuth makes the one *auth.Auth the server enforces, from the Go auth
// (Program.Auth, standing for auth.path), the built-in authenticators and
// the policy of langgraph.json. It returns nil when nothing is configured.
// Every inconsistency is an error naming the key: the server never starts
// open because of a configuration mistake.
func buildAuth(ctx context.Context, cfg *config.Config, p Program, log *slog.Logger) (*auth.Auth, error) {
	goAuth, err := programAuth(p.Auth)
	if err != nil {
		return nil, err
	}
	ca := cfg.Auth
	if ca == nil {
		ca = &config.Auth{}
	}
	where := cfg.File
	if where == "" {
		where = "langgraph.json"
	}
	keyErr := func(key, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %s", where, key, fmt.Sprintf(format, args...))
	}
	if goAuth == nil && ca.Authn == nil && ca.Policy == nil {
		switch {
		case ca.Path != "":
			// Only reached when the program was built without the package
			// auth.path names; never run without it.
			return nil, keyErr("auth.path", "%q is not part of this program (run it with `agentgate dev`, which builds it)", ca.Path)
		case ca.Cache != nil:
			return nil, keyErr("auth.cache", "there is nothing to cache: configure auth.authenticators or auth.path")
		case cfg.Auth != nil:
			log.Warn("langgraph.json: auth configures no authenticator (auth.path or auth.authenticators), so requests are not authenticated")
		}
		return nil, nil
	}
	if goAuth == nil && ca.Authn == nil {
		return nil, keyErr("auth.policy", "a policy needs an authenticator: add auth.authenticators or auth.path (the server will not start with an authorization policy and no authentication)")
	}
	var goFn auth.AuthenticateFunc
	if goAuth != nil {
		goFn = goAuth.AuthenticateFunc()
		if goFn == nil && ca.Authn == nil {
			return nil, keyErr(authSource(ca), "the Auth has no Authenticate function; set one with Authenticate(...) or configure auth.authenticators")
		}
	}
	// Without built-in authenticators and without a policy, the Go Auth is
	// used as it is (auth.cache still wraps its Authenticate function).
	if ca.Authn == nil && ca.Policy == nil && ca.Cache == nil {
		if err := goAuth.Validate(); err != nil {
			return nil, keyErr(authSource(ca), "%v", err)
		}
		return goAuth, nil
	}
	base, err := copyHandlers(goAuth)
	if err != nil {
		return nil, keyErr(authSource(ca), "%v", err)
	}
	acfg := ca.Authn
	if acfg == nil { // auth.path with auth.cache: cache the Go function.
		acfg = &authn.Config{Authenticators: []authn.AuthenticatorConfig{{Type: "custom"}}}
		if c := ca.Cache; c != nil {
			acfg.Cache = &authn.CacheConfig{TTLSeconds: int(c.TTLSeconds), MaxSize: int(c.MaxSize), CacheKeys: c.CacheKeys}
		}
	}
	chain, err := authn.Build(ctx, acfg, authn.BuildOptions{Dir: cfg.Dir, Custom: goFn, Logger: log})
	if err != nil {
		var ce *authn.ConfigError
		if errors.As(err, &ce) {
			key := "auth"
			if ce.Path != "" {
				key = "auth." + ce.Path
			}
			return nil, keyErr(key, "%s", ce.Msg)
		}
		return nil, keyErr("auth.authenticators", "%v", err)
	}
	base.Authenticate(chain.Func())
	if ca.Policy != nil {
		if err := ca.Policy.Install(base); err != nil {
			return nil, keyErr(policyKey(ca), "%v (the handler already registered comes from %s: keep only one of the two)", err, authSource(ca))
		}
	}
	if err := base.Validate(); err != nil {
		return nil, keyErr("auth", "%v", err)
	}
	return base, nil
}

// authSource names where the Go Auth comes from.
func authSource(ca *config.Auth) string {
	if ca.Path != "" {
		return fmt.Sprintf("auth.path %q", ca.Path)
	}
	return "Program.Auth"
}

func policyKey(ca *config.Auth) string {
	if ca.Policy != nil && ca.Policy.Policy == "" {
		if ca.Policy.Tenant != nil {
			return "auth.tenant"
		}
		return "auth.rules"
	}
	return "auth.policy"
}

// copyHandlers returns a new Auth with src's handlers and no Authenticate
// function, so that the built-in chain can take its place without changing
// the program's value. Handlers that never decide an event are dropped:
// they could never run. src's registration errors are kept.
func copyHandlers(src *auth.Auth) (*auth.Auth, error) {
	dst := auth.New()
	if src == nil {
		return dst, nil
	}
	if err := src.Validate(); err != nil {
		var kept []error
		for _, e := range unjoin(err) {
			if src.AuthenticateFunc() == nil && strings.Contains(e.Error(), "no Authenticate function") {
				continue
			}
			kept = append(kept, e)
		}
		if len(kept) > 0 {
			return nil, errors.Join(kept...)
		}
	}
	seen := map[string]bool{}
	for _, ev := range auth.Events() {
		h, pattern := src.Handler(ev[0], ev[1])
		if h == nil || seen[pattern] {
			continue
		}
		seen[pattern] = true
		dst.On(pattern, h)
	}
	return dst, nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// enforcer builds the Enforcer for a (nil when a is nil: no auth).
func enforcer(a *auth.Auth, studio bool, log *slog.Logger) (*authz.Enforcer, error) {
	if a == nil {
		return nil, nil
	}
	return authz.New(a, authz.Options{StudioAuth: studio, Logger: log})
}
