package query

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/agentgate/agentgate/storage"
)

// Item filter operators.
const (
	OpEq  = "$eq"
	OpNe  = "$ne"
	OpGt  = "$gt"
	OpGte = "$gte"
	OpLt  = "$lt"
	OpLte = "$lte"
)

// ItemCond is one condition of a store search filter on a top-level field
// of an item's value. A missing field never matches, not even $ne. The
// ordering operators compare numbers with numbers and strings with strings
// (byte order); a field of another type does not match.
type ItemCond struct {
	Key   string
	Op    string
	Value any // normalized JSON
}

// ItemFilter parses a store search filter: {"field": value} is equality,
// {"field": {"$op": value, ...}} applies each operator.
func ItemFilter(m map[string]any) ([]ItemCond, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []ItemCond
	for _, k := range keys {
		v, err := Normalize(m[k])
		if err != nil {
			return nil, err
		}
		ops, isOps := operators(v)
		if !isOps {
			out = append(out, ItemCond{Key: k, Op: OpEq, Value: v})
			continue
		}
		names := make([]string, 0, len(ops))
		for op := range ops {
			names = append(names, op)
		}
		sort.Strings(names)
		for _, op := range names {
			arg := ops[op]
			switch op {
			case OpEq, OpNe:
			case OpGt, OpGte, OpLt, OpLte:
				switch arg.(type) {
				case float64, string:
				default:
					return nil, storage.Errorf(storage.ErrInvalid, "filter on %q: %s takes a number or a string", k, op)
				}
			default:
				return nil, storage.Errorf(storage.ErrInvalid, "filter on %q: unknown operator %q (want $eq, $ne, $gt, $gte, $lt or $lte)", k, op)
			}
			out = append(out, ItemCond{Key: k, Op: op, Value: arg})
		}
	}
	return out, nil
}

// operators returns v as an operator object when every key starts with "$".
func operators(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, false
	}
	for k := range m {
		if !strings.HasPrefix(k, "$") {
			return nil, false
		}
	}
	return m, true
}

// MatchItem reports whether a normalized item value satisfies every cond.
func MatchItem(value map[string]any, conds []ItemCond) bool {
	for _, c := range conds {
		v, ok := value[c.Key]
		if !ok || !c.match(v) {
			return false
		}
	}
	return true
}

func (c ItemCond) match(v any) bool {
	switch c.Op {
	case OpEq:
		return reflect.DeepEqual(v, c.Value)
	case OpNe:
		return !reflect.DeepEqual(v, c.Value)
	}
	var cmp int
	switch w := c.Value.(type) {
	case float64:
		f, ok := v.(float64)
		if !ok {
			return false
		}
		switch {
		case f < w:
			cmp = -1
		case f > w:
			cmp = 1
		}
	case string:
		s, ok := v.(string)
		if !ok {
			return false
		}
		cmp = strings.Compare(s, w)
	default:
		return false
	}
	switch c.Op {
	case OpGt:
		return cmp > 0
	case OpGte:
		return cmp >= 0
	case OpLt:
		return cmp < 0
	case OpLte:
		return cmp <= 0
	}
	return false
}

// MatchPattern reports whether ns matches a prefix and a suffix where "*"
// matches any one label.
func MatchPattern(ns, prefix, suffix []string) bool {
	if len(prefix) > len(ns) || len(suffix) > len(ns) {
		return false
	}
	for i, l := range prefix {
		if l != "*" && ns[i] != l {
			return false
		}
	}
	off := len(ns) - len(suffix)
	for i, l := range suffix {
		if l != "*" && ns[off+i] != l {
			return false
		}
	}
	return true
}

// LiteralPrefix is the part of a pattern before its first "*": a backend
// may use it to narrow its scan.
func LiteralPrefix(pattern []string) []string {
	for i, l := range pattern {
		if l == "*" {
			return pattern[:i]
		}
	}
	return pattern
}

// Namespaces applies a NamespaceList to the distinct namespaces of the
// visible items: pattern match, truncation to MaxDepth, dedupe, order label
// by label, then offset and limit.
func Namespaces(all [][]string, q storage.NamespaceList) [][]string {
	seen := map[string]bool{}
	var out [][]string
	for _, ns := range all {
		if !MatchPattern(ns, q.Prefix, q.Suffix) {
			continue
		}
		if q.MaxDepth > 0 && len(ns) > q.MaxDepth {
			ns = ns[:q.MaxDepth]
		}
		k := strings.Join(ns, "\x00")
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, slices.Clone(ns))
	}
	sort.Slice(out, func(i, j int) bool { return slices.Compare(out[i], out[j]) < 0 })
	if q.Offset >= len(out) {
		return [][]string{}
	}
	out = out[q.Offset:]
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

// ItemKey validates a store item key.
func ItemKey(key string) error {
	if key == "" {
		return storage.Errorf(storage.ErrInvalid, "Key is required")
	}
	return nil
}

// MaxItemTTL caps item and thread TTLs, so that expiry times (stored as Unix
// nanoseconds, which end in 2262) cannot overflow; it is forever enough.
const MaxItemTTL = 100 * 365 * 24 * time.Hour

// ItemTTL validates an item TTL; nil gives 0 (no expiry). TTLs above
// MaxItemTTL are MaxItemTTL.
func ItemTTL(ttl *time.Duration) (time.Duration, error) {
	if ttl == nil {
		return 0, nil
	}
	if *ttl <= 0 {
		return 0, storage.Errorf(storage.ErrInvalid, "ttl must be positive")
	}
	return min(*ttl, MaxItemTTL), nil
}

// ItemPutInput validates p and returns its TTL (0: none) and normalized
// value, the checks every backend's Put starts with.
func ItemPutInput(p storage.ItemPut) (time.Duration, map[string]any, error) {
	if err := Namespace(p.Namespace, false); err != nil {
		return 0, nil, err
	}
	if err := ItemKey(p.Key); err != nil {
		return 0, nil, err
	}
	ttl, err := ItemTTL(p.TTL)
	if err != nil {
		return 0, nil, err
	}
	value, err := NormalizeMap(p.Value)
	if err != nil {
		return 0, nil, err
	}
	return ttl, value, nil
}
