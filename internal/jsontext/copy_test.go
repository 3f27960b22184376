package jsontext

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/agentgate/agentgate/internal/jsontext/jsontexttest"
)

// TestCopyAgreesWithARoundTrip: whenever Copy takes a value, it gives what
// the JSON round trip gives, shares nothing with it, and the value encodes
// as its copy does.
func TestCopyAgreesWithARoundTrip(t *testing.T) {
	taken := 0
	rapid.Check(t, func(t *rapid.T) {
		v := jsontexttest.Value(t, 3, true)
		c, ok := Copy(v)
		if IsNormal(v) != ok {
			t.Fatalf("IsNormal(%#v) = %v, Copy ok = %v", v, !ok, ok)
		}
		if !ok {
			return
		}
		taken++
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("Copy took %#v, which does not encode: %v", v, err)
		}
		var want any
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c, want) {
			t.Fatalf("Copy(%#v) = %#v, the round trip gives %#v", v, c, want)
		}
		again, _ := json.Marshal(want)
		if string(again) != string(b) {
			t.Fatalf("%#v encodes as %s, its round trip as %s", v, b, again)
		}
		mutate(c)
		if b2, _ := json.Marshal(v); string(b2) != string(b) {
			t.Fatalf("changing the copy changed the value: %s, was %s", b2, b)
		}
	})
	if taken == 0 {
		t.Error("Copy took no value")
	}
}

// mutate changes every container in v.
func mutate(v any) {
	switch x := v.(type) {
	case []any:
		for i := range x {
			mutate(x[i])
			x[i] = "changed"
		}
	case map[string]any:
		for k := range x {
			mutate(x[k])
			x[k] = "changed"
		}
		x["new"] = true
	}
}

func TestCopyRefusesWhatJSONWouldChange(t *testing.T) {
	deep := any("leaf")
	for range maxCopyDepth + 1 {
		deep = []any{deep}
	}
	for name, v := range map[string]any{
		"NaN":           math.NaN(),
		"infinity":      []any{math.Inf(-1)},
		"invalid UTF-8": map[string]any{"a": "\xc3"},
		"invalid key":   map[string]any{"\xc3": 1.0},
		"int":           map[string]any{"n": 1},
		"typed slice":   []string{"a"},
		"typed map":     map[string]string{"a": "b"},
		"json.Number":   json.Number("1"),
		"raw message":   json.RawMessage(`{"b":1, "a":2}`),
		"too deep":      deep,
		"struct":        struct{ A int }{1},
		"pointer":       new(float64),
		"nested int":    []any{map[string]any{"x": []any{int64(1)}}},
	} {
		if _, ok := Copy(v); ok || IsNormal(v) {
			t.Errorf("%s: taken", name)
		}
	}
	ok := map[string]any{"html": "<a&b>", "s": strings.Repeat("é", 100), "n": -0.0, "l": []any{nil, true, 1.5}}
	if _, taken := Copy(ok); !taken || !IsNormal(ok) {
		t.Error("a normal value was refused")
	}
}
