package server

import (
	"encoding/json"

	"github.com/google/uuid"
)

func newUUID() string { return uuid.NewString() }

// orEmpty returns m, or a new empty map when m is nil.
func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// selectFields projects JSON objects onto the selected fields.
func selectFields[T any](rows []T, fields []string) ([]map[string]json.RawMessage, error) {
	out := make([]map[string]json.RawMessage, 0, len(rows))
	for i := range rows {
		b, err := json.Marshal(rows[i])
		if err != nil {
			return nil, err
		}
		var all map[string]json.RawMessage
		if err := json.Unmarshal(b, &all); err != nil {
			return nil, err
		}
		m := make(map[string]json.RawMessage, len(fields))
		for _, f := range fields {
			if v, ok := all[f]; ok {
				m[f] = v
			} else {
				m[f] = json.RawMessage("null")
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// cloneMap makes a shallow copy of m (never nil).
func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
