// Package filter is the authorization filter language: authorization
// handlers return a filter, and the server enforces it on every query.
// Parse validates a filter, Match evaluates it in Go, and SQL compiles it to
// SQLite or PostgreSQL. Contains and ContainsSQL implement the jsonb @>
// containment used by the metadata/values search of the API.
//
// The grammar and its translations are described in docs/filters.md.
package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrInvalid is wrapped by every error Parse returns. The server answers a
// handler that returned an invalid filter with 500.
var ErrInvalid = errors.New("invalid filter")

// MaxDepth is how deeply $or/$and may nest: {"$or": [{"$and": [...]}, ...]}
// is the deepest filter Parse accepts.
const MaxDepth = 2

// Filter is a validated, immutable filter. The zero value matches every
// document.
type Filter struct{ g *group }

// group is a conjunction: every cond and every logic term must hold.
type group struct {
	conds []cond  // sorted by key
	logic []logic // $and before $or
}

type op uint8

const (
	opEq op = iota + 1
	opContains
)

type cond struct {
	key string
	op  op
	val any   // opEq: normalized value
	all []any // opContains: scalars that must all be elements
	one bool  // opContains written with a single scalar
}

type logic struct {
	and      bool
	branches []*group
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Parse validates raw, a filter as decoded from JSON (map[string]any,
// []any, float64, string, bool, nil); Go numbers of any kind and other
// JSON-marshalable Go values are accepted too. A nil or empty map gives the
// zero Filter, which matches everything.
func Parse(raw map[string]any) (Filter, error) {
	if len(raw) == 0 {
		return Filter{}, nil
	}
	if g, ok := plainEqualities(raw); ok {
		return Filter{g: g}, nil
	}
	n, err := normalize(raw)
	if err != nil {
		return Filter{}, invalid("%v", err)
	}
	g, err := parseGroup(n.(map[string]any), 0)
	if err != nil {
		return Filter{}, err
	}
	return Filter{g: g}, nil
}

// Equal is Parse(map[string]any{key: value}) in one allocation.
func Equal(key, value string) (Filter, error) {
	if key == "$or" || key == "$and" {
		return Filter{}, invalid("%s must be a list of at least 2 filters", key)
	}
	b := &struct {
		g group
		c [1]cond
	}{c: [1]cond{{key: key, op: opEq, val: value}}}
	b.g.conds = b.c[:]
	return Filter{g: &b.g}, nil
}

// plainEqualities is Parse's fast path for the common filter whose values
// are all normalized scalars, e.g. {"owner": "alice"}.
func plainEqualities(raw map[string]any) (*group, bool) {
	g := &group{conds: make([]cond, 0, len(raw))}
	for k, v := range raw {
		switch x := v.(type) {
		case nil, bool, string:
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, false // Parse reports it
			}
		default:
			return nil, false
		}
		if k == "$or" || k == "$and" {
			return nil, false
		}
		g.conds = append(g.conds, cond{key: k, op: opEq, val: v})
	}
	if len(g.conds) > 1 {
		sort.Slice(g.conds, func(i, j int) bool { return g.conds[i].key < g.conds[j].key })
	}
	return g, true
}

func parseGroup(m map[string]any, depth int) (*group, error) {
	g := &group{}
	for _, k := range sortedKeys(m) {
		v := m[k]
		if k == "$or" || k == "$and" {
			if depth >= MaxDepth {
				return nil, invalid("too many nested operators (%s deeper than %d levels)", k, MaxDepth)
			}
			list, ok := v.([]any)
			if !ok || len(list) < 2 {
				return nil, invalid("%s must be a list of at least 2 filters", k)
			}
			l := logic{and: k == "$and"}
			for i, b := range list {
				bm, ok := b.(map[string]any)
				if !ok {
					return nil, invalid("%s[%d] must be a filter object, got %s", k, i, kind(b))
				}
				bg, err := parseGroup(bm, depth+1)
				if err != nil {
					return nil, err
				}
				l.branches = append(l.branches, bg)
			}
			g.logic = append(g.logic, l)
			continue
		}
		c, err := parseCond(k, v)
		if err != nil {
			return nil, err
		}
		g.conds = append(g.conds, c)
	}
	return g, nil
}

func parseCond(key string, v any) (cond, error) {
	switch x := v.(type) {
	case []any:
		return cond{}, invalid("key %q: a list needs an operator: {\"$eq\": [...]} or {\"$contains\": [...]}", key)
	case map[string]any:
		if len(x) != 1 {
			return cond{}, invalid("key %q: operator object must be a dict with one key, got %d", key, len(x))
		}
		for o, arg := range x {
			switch o {
			case "$eq":
				return cond{key: key, op: opEq, val: arg}, nil
			case "$contains":
				c := cond{key: key, op: opContains}
				if list, ok := arg.([]any); ok {
					c.all = list
				} else {
					c.all, c.one = []any{arg}, true
				}
				for _, e := range c.all {
					if !isScalar(e) {
						return cond{}, invalid("key %q: $contains takes a scalar or a list of scalars, got %s", key, kind(e))
					}
				}
				return c, nil
			default:
				return cond{}, invalid("key %q: operator %q must be one of $eq or $contains", key, o)
			}
		}
	}
	return cond{key: key, op: opEq, val: v}, nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Equalities calls fn for each top-level condition of f that requires a key
// to equal a scalar (nil, bool, float64 or string), in key order.
func (f Filter) Equalities(fn func(key string, v any)) {
	if f.g == nil {
		return
	}
	for _, c := range f.g.conds {
		if c.op == opEq && isScalar(c.val) {
			fn(c.key, c.val)
		}
	}
}

// CutString returns the string that f requires at the top-level key and f
// without that condition: f ≡ doc[key] == s AND rest. ok is false when f has
// no such condition.
func (f Filter) CutString(key string) (s string, rest Filter, ok bool) {
	if f.g == nil {
		return "", f, false
	}
	for i, c := range f.g.conds {
		v, isStr := c.val.(string)
		if c.key != key || c.op != opEq || !isStr {
			continue
		}
		g := &group{logic: f.g.logic}
		g.conds = append(append(g.conds, f.g.conds[:i]...), f.g.conds[i+1:]...)
		return v, Filter{g: g}, true
	}
	return "", f, false
}

// Keys returns the metadata keys f tests, at any depth, sorted and
// without duplicates (for logs: keys, never values).
func (f Filter) Keys() []string {
	seen := map[string]bool{}
	var walk func(g *group)
	walk = func(g *group) {
		for _, c := range g.conds {
			seen[c.key] = true
		}
		for _, l := range g.logic {
			for _, b := range l.branches {
				walk(b)
			}
		}
	}
	if f.g != nil {
		walk(f.g)
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// IsEmpty reports whether f is the filter without any condition.
func (f Filter) IsEmpty() bool {
	return f.g == nil || (len(f.g.conds) == 0 && len(f.g.logic) == 0)
}

// Match evaluates f on a document (thread/assistant/cron metadata, or a
// store item). A key missing from doc never matches.
func (f Filter) Match(doc map[string]any) bool {
	if f.g == nil {
		return true
	}
	return f.g.match(doc)
}

func (g *group) match(doc map[string]any) bool {
	for _, c := range g.conds {
		v, ok := doc[c.key]
		if !ok || !c.match(v) {
			return false
		}
	}
	for _, l := range g.logic {
		if l.and {
			for _, b := range l.branches {
				if !b.match(doc) {
					return false
				}
			}
			continue
		}
		any := false
		for _, b := range l.branches {
			if b.match(doc) {
				any = true
				break
			}
		}
		if !any {
			return false
		}
	}
	return true
}

func (c cond) match(v any) bool {
	if c.op == opEq {
		return equal(v, c.val)
	}
	v, ok := shallow(v)
	if !ok {
		return false
	}
	arr, ok := v.([]any)
	if !ok {
		return false
	}
	for _, w := range c.all {
		found := false
		for _, e := range arr {
			if equal(e, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// MarshalJSON writes f in canonical form: keys sorted, scalar equality in
// shorthand, object/list equality as {"$eq": v}. Parse accepts the output
// and yields an equal filter. The zero Filter is {}.
func (f Filter) MarshalJSON() ([]byte, error) {
	if f.g == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(f.g.form())
}

// String is the canonical JSON, for logs.
func (f Filter) String() string {
	b, _ := f.MarshalJSON()
	return string(b)
}

func (g *group) form() map[string]any {
	m := make(map[string]any, len(g.conds)+len(g.logic))
	for _, c := range g.conds {
		switch {
		case c.op == opEq && isScalar(c.val):
			m[c.key] = c.val
		case c.op == opEq:
			m[c.key] = map[string]any{"$eq": c.val}
		case c.one:
			m[c.key] = map[string]any{"$contains": c.all[0]}
		default:
			m[c.key] = map[string]any{"$contains": c.all}
		}
	}
	for _, l := range g.logic {
		bs := make([]any, len(l.branches))
		for i, b := range l.branches {
			bs[i] = b.form()
		}
		if l.and {
			m["$and"] = bs
		} else {
			m["$or"] = bs
		}
	}
	return m
}
