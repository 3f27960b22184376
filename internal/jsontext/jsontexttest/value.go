// Package jsontexttest draws JSON values for property tests.
package jsontexttest

import (
	"encoding/json"
	"math"

	"pgregory.net/rapid"
)

// Value draws a value as decoding JSON gives it (nil, string, float64,
// bool, []any, map[string]any), nested up to depth d. With foreign, it
// also draws Go values that encoding JSON would change or refuse: invalid
// UTF-8 in strings and keys, NaN and infinities, ints, string slices and
// json.Number.
func Value(t *rapid.T, d int, foreign bool) any {
	kinds := []string{"null", "string", "number", "bool"}
	if foreign {
		kinds = append(kinds, "bytes", "special", "int", "strings", "json.Number")
	}
	if d > 0 {
		kinds = append(kinds, "array", "object")
	}
	switch rapid.SampledFrom(kinds).Draw(t, "kind") {
	case "null":
		return nil
	case "string":
		return rapid.String().Draw(t, "s")
	case "number":
		if foreign {
			return rapid.Float64().Draw(t, "f")
		}
		return rapid.Float64Range(-1e6, 1e6).Draw(t, "f")
	case "bool":
		return rapid.Bool().Draw(t, "b")
	case "bytes":
		return string(rapid.SliceOfN(rapid.Byte(), 0, 4).Draw(t, "bytes")) // often invalid UTF-8
	case "special":
		return rapid.SampledFrom([]any{math.NaN(), math.Inf(1), -0.0, 1e300, 5e-324}).Draw(t, "special")
	case "int":
		return rapid.Int().Draw(t, "int")
	case "strings":
		return []string{rapid.String().Draw(t, "s")}
	case "json.Number":
		return json.Number("12.50")
	case "array":
		out := make([]any, rapid.IntRange(0, 3).Draw(t, "n"))
		for i := range out {
			out[i] = Value(t, d-1, foreign)
		}
		return out
	}
	n := rapid.IntRange(0, 3).Draw(t, "n")
	out := map[string]any{}
	for range n {
		k := rapid.StringN(0, 6, -1).Draw(t, "k")
		if foreign && rapid.IntRange(0, 9).Draw(t, "bad key") == 0 {
			k = "\xff" + k
		}
		out[k] = Value(t, d-1, foreign)
	}
	return out
}
