package policy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/auth/filter"
)

// DefaultCostLimit bounds the work one rule evaluation may do (CEL cost
// units, roughly one per operation or element visited). A rule that
// exceeds it fails the request with a 500.
const DefaultCostLimit = 100_000

// Rules are CEL expressions keyed by event pattern, compiled and
// type-checked. They are safe for concurrent use.
type Rules struct {
	byPattern map[pattern]*rule
	patterns  []string // as written, sorted
}

type rule struct {
	key  string // the pattern as written
	name string // `rule "key"` or `grant "key"`, for messages
	prg  cel.Program
	// constant is set when the expression reads no variable: its result,
	// computed and validated once at compile time.
	constant *auth.Result
	boolOnly bool // a grant: a filter result is an error
}

// RulesOption tunes CompileRules.
type RulesOption func(*rulesConfig)

type rulesConfig struct {
	costLimit uint64
	what      string // "rule" or "grant"
	boolOnly  bool   // grants: a bool, never a filter
}

// WithCostLimit sets the cost limit of each evaluation (DefaultCostLimit
// when not given or 0).
func WithCostLimit(n uint64) RulesOption {
	return func(c *rulesConfig) {
		if n > 0 {
			c.costLimit = n
		}
	}
}

// newEnv declares the variables rules see.
func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("user", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("permissions", cel.ListType(cel.StringType)),
		cel.Variable("resource", cel.StringType),
		cel.Variable("action", cel.StringType),
		cel.Variable("value", cel.MapType(cel.StringType, cel.DynType)),
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
	)
}

// CompileRules parses and type-checks every rule. Keys are event patterns
// as for auth.On ("*", "threads", "threads:create", "*:read", ...); two
// keys naming the same pattern ("threads" and "threads:*") are an error.
// Each expression must return a bool (allow or deny) or a map (a filter);
// an expression of type dyn is checked when it runs. A rule that reads no
// variable is evaluated now, and a filter it returns is validated with
// filter.Parse. Errors name the rule and carry CEL's caret message.
func CompileRules(rules map[string]string, opts ...RulesOption) (*Rules, error) {
	cfg := rulesConfig{costLimit: DefaultCostLimit, what: "rule"}
	for _, o := range opts {
		o(&cfg)
	}
	return compileSet(rules, cfg)
}

// compileSet compiles rules or grants, as cfg.what says.
func compileSet(rules map[string]string, cfg rulesConfig) (*Rules, error) {
	env, err := newEnv()
	if err != nil {
		return nil, fmt.Errorf("policy: CEL environment: %w", err)
	}
	rs := &Rules{byPattern: map[pattern]*rule{}}
	seen := map[pattern]string{}
	keys := make([]string, 0, len(rules))
	for k := range rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, key := range keys {
		p, err := parsePattern(key)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy: %s %q: %w", cfg.what, key, err))
			continue
		}
		if prev, dup := seen[p]; dup {
			errs = append(errs, fmt.Errorf("policy: %ss %q and %q name the same events", cfg.what, prev, key))
			continue
		}
		seen[p] = key
		r, err := compileRule(env, key, p, rules[key], cfg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rs.byPattern[p] = r
		rs.patterns = append(rs.patterns, key)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rs, nil
}

func compileRule(env *cel.Env, key string, p pattern, src string, cfg rulesConfig) (*rule, error) {
	r := &rule{key: key, name: fmt.Sprintf("%s %q", cfg.what, key), boolOnly: cfg.boolOnly}
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("policy: %s: empty expression", r.name)
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, fmt.Errorf("policy: %s:\n%s", r.name, iss.String())
	}
	if err := checkValueFields(r.name, key, p, ast, src); err != nil {
		return nil, err
	}
	// bool and map results are known good; dyn is checked when it runs.
	switch t := ast.OutputType(); {
	case t.Kind() == types.BoolKind || isDyn(t):
	case t.Kind() == types.MapKind && !cfg.boolOnly:
		if kt := t.Parameters()[0]; kt.Kind() != types.StringKind && !isDyn(kt) {
			return nil, fmt.Errorf("policy: %s: a filter map needs string keys, this one has %s keys", r.name, kt)
		}
	case cfg.boolOnly:
		return nil, fmt.Errorf("policy: %s: must return a bool (granted or not), it returns %s:\n | %s", r.name, t, src)
	default:
		return nil, fmt.Errorf("policy: %s: must return a bool (allow or deny) or a map (a filter), it returns %s:\n | %s", r.name, t, src)
	}
	prg, err := env.Program(ast,
		cel.CostLimit(cfg.costLimit),
		cel.InterruptCheckFrequency(100),
		cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", r.name, err)
	}
	r.prg = prg
	if err := r.fold(); err != nil {
		return nil, err
	}
	return r, nil
}

func isDyn(t *cel.Type) bool {
	switch t.Kind() {
	case types.DynKind, types.AnyKind, types.TypeParamKind:
		return true
	}
	return false
}

// fold evaluates a rule that reads no variable and keeps its result.
func (r *rule) fold() error {
	act := &activation{probe: true}
	out, _, err := r.prg.ContextEval(context.Background(), act)
	if act.resolved {
		return nil // depends on the request
	}
	if err != nil {
		return fmt.Errorf("policy: %s always fails: %w", r.name, err)
	}
	res, err := r.result(out)
	if err != nil {
		return err
	}
	r.constant = &res
	return nil
}

// result turns a CEL value into a handler result.
func (r *rule) result(out ref.Val) (auth.Result, error) {
	switch v := out.(type) {
	case types.Bool:
		if v {
			return auth.Allow(), nil
		}
		return auth.Deny(), nil
	}
	if _, ok := out.(traits.Mapper); ok && !r.boolOnly {
		m, err := native(out.(ref.Val))
		if err != nil {
			return auth.Result{}, fmt.Errorf("policy: %s returned a filter: %w", r.name, err)
		}
		f := m.(map[string]any)
		if simpleFilter(f) {
			return auth.Filter(f), nil
		}
		if _, err := filter.Parse(f); err != nil {
			return auth.Result{}, fmt.Errorf("policy: %s returned an invalid filter: %w", r.name, err)
		}
		return auth.Filter(f), nil
	}
	return auth.Result{}, fmt.Errorf("policy: %s returned %s, want %s", r.name, describe(out), r.wants())
}

func (r *rule) wants() string {
	if r.boolOnly {
		return "a bool"
	}
	return "a bool or a filter map"
}

// simpleFilter reports whether f is keys and scalars only, which
// filter.Parse always accepts: the common case skips the full check.
func simpleFilter(f map[string]any) bool {
	for k, v := range f {
		if k == "$or" || k == "$and" {
			return false
		}
		switch v.(type) {
		case string, bool, int64, nil:
		default:
			return false
		}
	}
	return true
}

// eval runs the rule for an event.
func (r *rule) eval(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
	if r.constant != nil {
		return *r.constant, nil
	}
	if c == nil || c.User == nil {
		return auth.Result{}, fmt.Errorf("policy: %s: no authenticated user", r.name)
	}
	act := &activation{c: c, v: v}
	out, _, err := r.prg.ContextEval(ctx, act)
	if act.err != nil {
		return auth.Result{}, fmt.Errorf("policy: %s: %w", r.name, act.err)
	}
	if err != nil {
		return auth.Result{}, fmt.Errorf("policy: %s: %w", r.name, err)
	}
	return r.result(out)
}

// handler returns the rule as an auth.Handler.
func (r *rule) handler() auth.Handler { return r.eval }

// Patterns lists the rules' patterns as written, sorted.
func (rs *Rules) Patterns() []string { return append([]string(nil), rs.patterns...) }

// lookup returns the rule that decides (resource, action), with auth's
// precedence, or nil.
func (rs *Rules) lookup(resource, action string) *rule {
	for _, p := range precedence(resource, action) {
		if r := rs.byPattern[p]; r != nil {
			return r
		}
	}
	return nil
}

// Handler returns one handler that runs the rule deciding each event
// (the most specific pattern, as auth does) and allows events no rule
// covers. Install is the usual way; Handler is for calling the rules from
// a handler of your own.
func (rs *Rules) Handler() auth.Handler {
	return func(ctx context.Context, c *auth.Context, v auth.Value) (auth.Result, error) {
		r := rs.lookup(v.Event())
		if r == nil {
			return auth.Allow(), nil
		}
		return r.eval(ctx, c, v)
	}
}

// Install registers one handler per rule on a. It fails, registering
// nothing, when a already has a handler deciding any event a rule decides.
func (rs *Rules) Install(a *auth.Auth) error {
	if err := checkFree(a, "rule", rs.patterns); err != nil {
		return err
	}
	for _, key := range rs.patterns {
		p, _ := parsePattern(key)
		a.On(key, rs.byPattern[p].handler())
	}
	return nil
}
