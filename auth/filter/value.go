package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
)

// JSON values inside this package are normalized to the shapes that
// encoding/json produces when decoding into `any`: nil, bool, float64,
// string, []any and map[string]any. Numbers of every Go numeric kind and
// json.Number become float64, so 1, int64(1) and 1.0 are the same value.

// normalize converts v into a normalized JSON value, or fails when v has no
// JSON form (NaN, channels, ...).
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	if f, ok, err := number(v); ok || err != nil {
		return f, err
	}
	// Anything else ([]string, map[string]string, structs, RawMessage...)
	// goes through encoding/json once.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("value of type %T is not JSON: %w", v, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("value of type %T is not JSON: %w", v, err)
	}
	return out, nil // decoding into any yields normalized values
}

// number reports whether v is a Go number and returns it as float64.
// NaN and infinities are errors: JSON cannot carry them.
func number(v any) (float64, bool, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case json.Number:
		p, err := x.Float64()
		if err != nil {
			return 0, true, fmt.Errorf("bad number %q", string(x))
		}
		f = p
	default:
		return 0, false, nil
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, true, fmt.Errorf("number %v is not JSON", f)
	}
	return f, true, nil
}

// shallow brings one level of a document value into normalized shape
// without copying containers that already have it. ok is false when the
// value has no JSON form; such a value never matches anything.
func shallow(v any) (any, bool) {
	switch v.(type) {
	case nil, bool, string, float64, map[string]any, []any:
		return v, true
	}
	if f, ok, err := number(v); ok || err != nil {
		return f, err == nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil, true
	}
	n, err := normalize(v)
	return n, err == nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// equal is deep JSON equality between a document value d (any shape) and a
// normalized value w.
func equal(d, w any) bool {
	d, ok := shallow(d)
	if !ok {
		return false
	}
	switch wv := w.(type) {
	case nil:
		return d == nil
	case bool:
		dv, ok := d.(bool)
		return ok && dv == wv
	case string:
		dv, ok := d.(string)
		return ok && dv == wv
	case float64:
		dv, ok := d.(float64)
		return ok && dv == wv
	case map[string]any:
		dv, ok := d.(map[string]any)
		if !ok || len(dv) != len(wv) {
			return false
		}
		for k, we := range wv {
			de, ok := dv[k]
			if !ok || !equal(de, we) {
				return false
			}
		}
		return true
	case []any:
		dv, ok := d.([]any)
		if !ok || len(dv) != len(wv) {
			return false
		}
		for i := range wv {
			if !equal(dv[i], wv[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// Contains reports whether doc contains sub with the semantics of
// PostgreSQL's jsonb @> operator: objects contain objects key by key
// (recursively), an array contains an array when every element of sub is
// contained in some element of doc (order and duplicates ignored), scalars
// contain only equal scalars, and — at top level only — an array contains a
// scalar equal to one of its elements. Values that are not JSON never match.
func Contains(doc any, sub any) bool {
	s, err := normalize(sub)
	if err != nil {
		return false
	}
	d, ok := shallow(doc)
	if !ok {
		return false
	}
	if arr, ok := d.([]any); ok && isScalar(s) {
		for _, e := range arr {
			if equal(e, s) {
				return true
			}
		}
		return false
	}
	return contains(d, s)
}

// contains is @> below the top level; s is normalized.
func contains(d, s any) bool {
	d, ok := shallow(d)
	if !ok {
		return false
	}
	switch sv := s.(type) {
	case map[string]any:
		dm, ok := d.(map[string]any)
		if !ok {
			return false
		}
		for k, se := range sv {
			de, ok := dm[k]
			if !ok || !contains(de, se) {
				return false
			}
		}
		return true
	case []any:
		da, ok := d.([]any)
		if !ok {
			return false
		}
		for _, se := range sv {
			found := false
			for _, de := range da {
				if contains(de, se) {
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
	return equal(d, s)
}

// canonicalJSON is the text encoding/json produces for a normalized value:
// object keys sorted, no insignificant space.
func canonicalJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Normalized values always marshal.
		panic(fmt.Sprintf("filter: marshal normalized value: %v", err))
	}
	return string(b)
}
