package sqlite

import (
	"encoding/json"

	"github.com/agentgate/agentgate/storage/internal/query"
	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

// itemCond ANDs one store-search condition on a top-level field of i.value.
// The JSON type is always tested: json_extract maps true/false to 1/0 and
// both null and a missing field to NULL.
func itemCond(w *sqlcore.Where, c query.ItemCond) {
	path := jsonPath(c.Key)
	switch c.Op {
	case query.OpEq:
		w.Cond(jsonEq(w, path, c.Value))
	case query.OpNe:
		typ := "json_type(i.value, " + w.Arg(path) + ") IS NOT NULL"
		w.Cond("(" + typ + " AND NOT " + jsonEq(w, path, c.Value) + ")")
	default:
		ops := map[string]string{query.OpGt: ">", query.OpGte: ">=", query.OpLt: "<", query.OpLte: "<="}
		types := "('text')"
		if _, ok := c.Value.(float64); ok {
			types = "('integer', 'real')"
		}
		t := "json_type(i.value, " + w.Arg(path) + ") IN " + types
		x := "json_extract(i.value, " + w.Arg(path) + ") " + ops[c.Op] + " " + w.Arg(c.Value)
		w.Cond("(" + t + " AND " + x + ")")
	}
}

// jsonEq is "the field at path equals v" (never NULL when the field exists).
func jsonEq(w *sqlcore.Where, path string, v any) string {
	typ := "json_type(i.value, " + w.Arg(path) + ")"
	switch x := v.(type) {
	case nil:
		return "(" + typ + " = 'null')"
	case bool:
		if x {
			return "(" + typ + " = 'true')"
		}
		return "(" + typ + " = 'false')"
	case string:
		return "(" + typ + " = 'text' AND json_extract(i.value, " + w.Arg(path) + ") = " + w.Arg(x) + ")"
	case float64:
		return "(" + typ + " IN ('integer', 'real') AND json_extract(i.value, " + w.Arg(path) + ") = " + w.Arg(x) + ")"
	case []any:
		b, _ := json.Marshal(x)
		return "(" + typ + " = 'array' AND json_extract(i.value, " + w.Arg(path) + ") = " + w.Arg(string(b)) + ")"
	default:
		b, _ := json.Marshal(x)
		return "(" + typ + " = 'object' AND json_extract(i.value, " + w.Arg(path) + ") = " + w.Arg(string(b)) + ")"
	}
}

// jsonPath addresses a top-level key; the key is a JSON string, whose
// escapes SQLite's path parser decodes.
func jsonPath(key string) string {
	b, _ := json.Marshal(key)
	return "$." + string(b)
}
