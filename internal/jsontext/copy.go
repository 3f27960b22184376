package jsontext

import (
	"math"
	"unicode/utf8"
)

// maxCopyDepth bounds Copy's recursion; deeper values are left to a JSON
// round trip, which has its own limit.
const maxCopyDepth = 200

// Copy returns a deep copy of v when v is already what decoding JSON
// gives (map[string]any, []any, float64, string, bool, nil) and encoding
// it would lose nothing: strings and keys are valid UTF-8, numbers finite,
// nesting under 200 levels. Then Copy(v) equals json.Unmarshal of
// json.Marshal(v), and json.Marshal(v) is that text. ok is false for
// anything else.
func Copy(v any) (out any, ok bool) {
	return walk(v, 0, true)
}

// IsNormal says whether Copy would take v, without copying it.
func IsNormal(v any) bool {
	_, ok := walk(v, 0, false)
	return ok
}

// walk checks v and, when dup, copies it.
func walk(v any, depth int, dup bool) (any, bool) {
	switch x := v.(type) {
	case nil, bool:
		return x, true
	case string:
		return x, utf8.ValidString(x)
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case []any:
		if depth >= maxCopyDepth {
			return nil, false
		}
		var out []any
		if dup {
			out = make([]any, len(x))
		}
		for i, e := range x {
			c, ok := walk(e, depth+1, dup)
			if !ok {
				return nil, false
			}
			if dup {
				out[i] = c
			}
		}
		return out, true
	case map[string]any:
		if depth >= maxCopyDepth {
			return nil, false
		}
		var out map[string]any
		if dup {
			out = make(map[string]any, len(x))
		}
		for k, e := range x {
			c, ok := walk(e, depth+1, dup)
			if !ok || !utf8.ValidString(k) {
				return nil, false
			}
			if dup {
				out[k] = c
			}
		}
		return out, true
	}
	return nil, false
}
