package jsontext

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// checkDecode asserts Decode agrees with json.Unmarshal into an any,
// errors included.
func checkDecode(t interface {
	Helper()
	Fatalf(string, ...any)
}, s string) {
	t.Helper()
	var want any
	wantErr := json.Unmarshal([]byte(s), &want)
	got, err := Decode(s)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("Decode(%q): error %v, encoding/json: %v", s, err, wantErr)
	}
	if err == nil && !cmp.Equal(got, want) {
		t.Fatalf("Decode(%q) = %#v, encoding/json: %#v", s, got, want)
	}
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e3`, `-12.25E-2`, `1e400`, `01`, `1.`, `.5`, `-`, `1e`,
		`"plain"`, `"esc\"aped"`, `"\u00e9t\u00e9"`, `"tab\there"`, "\"raw\ttab\"", `"日本"`, "\"\xff\"",
		` { "a" : [ 1 , { "b" : null } ] , "c" : "d" } `, `{"a":1,}`, `[1,]`, `{"a"}`, `{"a":1 "b":2}`, `{1:2}`,
		`{"a":1}x`, `[`, `{`, `"open`, `tru`, `nul`, `{"a":{"a":{"a":[[[[]]]]}}}`, `{"dup":1,"dup":2}`,
		`{"owner":"user-42","team":"t-7","n":12345678901234567890}`, ``, ` `,
	} {
		checkDecode(t, s)
	}
}

// genJSON generates values as decoded from JSON, with awkward strings.
func genJSON(depth int) *rapid.Generator[any] {
	str := rapid.OneOf(rapid.String(), rapid.SampledFrom([]string{"", "a", "é", "\"", "\\", "\n", "\u2028", "<&>"}))
	leaf := rapid.OneOf(
		rapid.Just[any](nil),
		rapid.Map(rapid.Bool(), func(b bool) any { return b }),
		rapid.Map(rapid.Float64(), func(f float64) any { return f }),
		rapid.Map(rapid.Int64(), func(i int64) any { return float64(i) }),
		rapid.Map(str, func(s string) any { return s }),
	)
	if depth == 0 {
		return leaf
	}
	sub := genJSON(depth - 1)
	return rapid.OneOf(leaf,
		rapid.Map(rapid.SliceOfN(sub, 0, 4), func(a []any) any { return a }),
		rapid.Map(rapid.MapOfN(str, sub, 0, 4), func(m map[string]any) any { return m }),
	)
}

func TestDecodeJSONProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := genJSON(3).Draw(t, "v")
		b, err := json.Marshal(v)
		if err != nil {
			t.Skip("not JSON:", err) // NaN, Inf
		}
		checkDecode(t, string(b))
		// Malformed variants: truncated and with a byte changed.
		if len(b) > 1 {
			i := rapid.IntRange(0, len(b)-1).Draw(t, "i")
			checkDecode(t, string(b[:i]))
			c := append([]byte(nil), b...)
			c[i] = rapid.SampledFrom([]byte(`{}[]",:0-.e \x01`)).Draw(t, "c")
			checkDecode(t, string(c))
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2,{"b":"c"}]}`, `"x\u00e9"`, `-1.5e-3`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkDecode(t, s) })
}
