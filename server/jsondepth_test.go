package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// refDepth is the depth of the value encoding/json decodes from b; ok is
// false when it does not decode.
func refDepth(b []byte) (int, bool) {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return 0, false
	}
	return valueDepth(v), true
}

func valueDepth(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			d = max(d, valueDepth(e))
		}
	case []any:
		for _, e := range x {
			d = max(d, valueDepth(e))
		}
	default:
		return 0
	}
	return d + 1
}

// nestedJSON is an object n levels deep: {"a":{"a":...{"a":"x"}}}.
func nestedJSON(n int) string {
	return strings.Repeat(`{"a":`, n) + `"x"` + strings.Repeat("}", n)
}

func TestJSONDepth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{``, 0}, {`1`, 0}, {`"{["`, 0}, {`null`, 0}, {`{}`, 1}, {`[]`, 1}, {`[[], {}]`, 2},
		{`{"a":[1,{"b":[]}]}`, 4}, {`{"a":"}}}{{{"}`, 1}, {`{"a\"{":"\\"}`, 1}, {`["\\\"[", ["x"]]`, 2},
		{`{"a":"\\\\"}`, 1}, {`["\\", ["\\\\\\"]]`, 2}, {`{"a":{"b":{}},"c":[]}`, 3},
		{nestedJSON(MaxJSONDepth), MaxJSONDepth}, {`[` + nestedJSON(MaxJSONDepth) + `]`, MaxJSONDepth + 1},
	} {
		if got := jsonDepth([]byte(tc.in), 1<<30); got != tc.want {
			t.Errorf("jsonDepth(%.60q) = %d, want %d", tc.in, got, tc.want)
		}
		if ref, ok := refDepth([]byte(tc.in)); ok && ref != tc.want {
			t.Errorf("reference depth of %.60q = %d, want %d", tc.in, ref, tc.want)
		}
	}
	// The scan stops once past the limit; unterminated input is no error.
	if got := jsonDepth([]byte(strings.Repeat("[", 5000)), 10); got != 11 {
		t.Errorf("jsonDepth stopped at %d, want 11", got)
	}
	if got := jsonDepth([]byte(`["abc\`), 10); got != 1 {
		t.Errorf("unterminated string: %d, want 1", got)
	}
	if checkJSONDepth([]byte(nestedJSON(MaxJSONDepth))) != nil || checkJSONDepth([]byte(nestedJSON(MaxJSONDepth+1))) == nil {
		t.Error("checkJSONDepth does not put the limit at MaxJSONDepth")
	}
}

// FuzzJSONDepth checks the scan against decoding with encoding/json.
func FuzzJSONDepth(f *testing.F) {
	for _, s := range []string{`{}`, `[[]]`, `{"a":"]\"["}`, `["\\",[{"\u005b":[]}]]`, `"x"`, `{"a":[1,{"b":null}]}`,
		nestedJSON(12), " [ [ ] , { } ] "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := jsonDepth(b, 1<<30)
		ref, ok := refDepth(b)
		if !ok {
			return
		}
		if got != ref {
			t.Fatalf("jsonDepth(%q) = %d, encoding/json: %d", b, got, ref)
		}
		if lim := ref - 1; lim >= 0 && jsonDepth(b, lim) != ref {
			t.Fatalf("jsonDepth(%q, %d) = %d, want %d", b, lim, jsonDepth(b, lim), ref)
		}
		if jsonDepth(b, ref) != ref {
			t.Fatalf("jsonDepth(%q, %d) != %d", b, ref, ref)
		}
	})
}

func BenchmarkJSONDepth(b *testing.B) {
	body := []byte(`{"metadata":{"owner":"alice","tags":["a","b"]},"input":{"messages":[{"role":"user","content":"` +
		strings.Repeat(`hello \"world\" `, 4096) + `"}]}}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if jsonDepth(body, MaxJSONDepth) != 4 {
			b.Fatal("wrong depth")
		}
	}
}
