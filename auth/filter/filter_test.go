package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, filter, msg string }{
		{"two operators", `{"a": {"$eq": 1, "$contains": 1}}`, "one key"},
		{"empty operator object", `{"a": {}}`, "one key"},
		{"unknown operator", `{"a": {"$ne": 1}}`, "must be one of $eq or $contains"},
		{"object shorthand", `{"a": {"b": 1}}`, "must be one of $eq or $contains"},
		{"list shorthand", `{"a": [1, 2]}`, "needs an operator"},
		{"contains object", `{"a": {"$contains": {"b": 1}}}`, "scalar or a list of scalars"},
		{"contains nested list", `{"a": {"$contains": [[1]]}}`, "scalar or a list of scalars"},
		{"contains list of objects", `{"a": {"$contains": [1, {"b": 1}]}}`, "scalar or a list of scalars"},
		{"or not a list", `{"$or": {"a": 1}}`, "at least 2"},
		{"or one branch", `{"$or": [{"a": 1}]}`, "at least 2"},
		{"or empty", `{"$or": []}`, "at least 2"},
		{"and one branch", `{"$and": [{"a": 1}]}`, "at least 2"},
		{"or branch not object", `{"$or": [{"a": 1}, 2]}`, "filter object"},
		{"or branch list", `{"$or": [{"a": 1}, [{"b": 1}]]}`, "filter object"},
		{"bad cond inside or", `{"$or": [{"a": 1}, {"b": {"$gt": 1}}]}`, "must be one of"},
		{"depth 3", `{"$or": [{"a": 1}, {"$and": [{"b": 1}, {"$or": [{"c": 1}, {"d": 1}]}]}]}`, "too many nested operators"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(decode(t, c.filter))
			if err == nil {
				t.Fatalf("Parse(%s) succeeded", c.filter)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Parse(%s) = %v, want ErrInvalid mentioning %q", c.filter, err, c.msg)
			}
		})
	}
}

func TestParseGoValues(t *testing.T) {
	good := []map[string]any{
		nil,
		{"n": 1, "i64": int64(7), "u8": uint8(3), "f32": float32(1.5), "num": json.Number("2")},
		{"tags": map[string]any{"$contains": []string{"x", "y"}}},
		{"$or": []map[string]any{{"a": 1}, {"b": 2}}},
		{"o": map[string]any{"$eq": map[string]int{"x": 1}}},
	}
	for _, raw := range good {
		if _, err := Parse(raw); err != nil {
			t.Errorf("Parse(%v): %v", raw, err)
		}
	}
	bad := []map[string]any{
		{"n": map[string]any{"$eq": func() {}}},
		{"n": map[string]any{"$eq": json.Number("x")}},
		{"n": 0.0 / zero()},
	}
	for _, raw := range bad {
		if _, err := Parse(raw); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%v) = %v, want ErrInvalid", raw, err)
		}
	}
	f, _ := Parse(map[string]any{"n": int64(1), "f": float32(1.5)})
	if !f.Match(map[string]any{"n": 1.0, "f": 1.5}) || !f.Match(map[string]any{"n": 1, "f": json.Number("1.5")}) {
		t.Error("Go numbers should compare by value")
	}
}

func zero() float64 { return 0 }

func TestDepthLimit(t *testing.T) {
	two := `{"$or": [{"a": 1}, {"$and": [{"b": 1}, {"c": 1}]}], "$and": [{"d": 1}, {"$or": [{"e": 1}, {"f": 1}]}]}`
	if _, err := Parse(decode(t, two)); err != nil {
		t.Fatalf("depth 2 must parse: %v", err)
	}
}

type matchCase struct {
	name, filter, doc string
	want              bool
}

var matchCases = []matchCase{
	{"empty filter", `{}`, `{}`, true},
	{"shorthand string", `{"owner": "alice"}`, `{"owner": "alice", "x": 1}`, true},
	{"shorthand other string", `{"owner": "alice"}`, `{"owner": "bob"}`, false},
	{"missing key", `{"owner": "alice"}`, `{"x": "alice"}`, false},
	{"missing key vs null", `{"owner": null}`, `{}`, false},
	{"null equals null", `{"owner": null}`, `{"owner": null}`, true},
	{"null is not false", `{"owner": null}`, `{"owner": false}`, false},
	{"string null is not null", `{"owner": null}`, `{"owner": "null"}`, false},
	{"true is not 1", `{"v": true}`, `{"v": 1}`, false},
	{"1 is not true", `{"v": 1}`, `{"v": true}`, false},
	{"false is not 0", `{"v": false}`, `{"v": 0}`, false},
	{"0 is not false", `{"v": 0}`, `{"v": false}`, false},
	{"true", `{"v": true}`, `{"v": true}`, true},
	{"1 is not \"1\"", `{"v": 1}`, `{"v": "1"}`, false},
	{"\"1\" is not 1", `{"v": "1"}`, `{"v": 1}`, false},
	{"1 equals 1.0", `{"v": 1}`, `{"v": 1.0}`, true},
	{"1 is not 1.5", `{"v": 1}`, `{"v": 1.5}`, false},
	{"big number", `{"v": 1e21}`, `{"v": 1e21}`, true},
	{"string is not object text", `{"v": "{\"a\":1}"}`, `{"v": {"a": 1}}`, false},
	{"scalar is not list element", `{"v": 1}`, `{"v": [1]}`, false},
	{"$eq scalar", `{"v": {"$eq": "x"}}`, `{"v": "x"}`, true},
	{"$eq object", `{"v": {"$eq": {"b": [1, 2], "a": {"c": null}}}}`, `{"v": {"a": {"c": null}, "b": [1, 2]}}`, true},
	{"$eq object superset", `{"v": {"$eq": {"a": 1}}}`, `{"v": {"a": 1, "b": 2}}`, false},
	{"$eq object subset", `{"v": {"$eq": {"a": 1, "b": 2}}}`, `{"v": {"a": 1}}`, false},
	{"$eq object bool vs number", `{"v": {"$eq": {"a": true}}}`, `{"v": {"a": 1}}`, false},
	{"$eq empty object", `{"v": {"$eq": {}}}`, `{"v": {}}`, true},
	{"$eq empty object vs list", `{"v": {"$eq": {}}}`, `{"v": []}`, false},
	{"$eq list", `{"v": {"$eq": [1, "a", null]}}`, `{"v": [1, "a", null]}`, true},
	{"$eq list order", `{"v": {"$eq": [1, 2]}}`, `{"v": [2, 1]}`, false},
	{"$eq list prefix", `{"v": {"$eq": [1]}}`, `{"v": [1, 2]}`, false},
	{"$eq list text", `{"v": {"$eq": [1]}}`, `{"v": "[1]"}`, false},
	{"$eq empty list", `{"v": {"$eq": []}}`, `{"v": []}`, true},
	{"$contains scalar", `{"tags": {"$contains": "a"}}`, `{"tags": ["b", "a"]}`, true},
	{"$contains scalar absent", `{"tags": {"$contains": "a"}}`, `{"tags": ["b"]}`, false},
	{"$contains on string", `{"tags": {"$contains": "a"}}`, `{"tags": "abc"}`, false},
	{"$contains on equal string", `{"tags": {"$contains": "a"}}`, `{"tags": "a"}`, false},
	{"$contains on object", `{"tags": {"$contains": "a"}}`, `{"tags": {"a": 1}}`, false},
	{"$contains number vs string", `{"tags": {"$contains": 1}}`, `{"tags": ["1", true]}`, false},
	{"$contains true vs 1", `{"tags": {"$contains": true}}`, `{"tags": [1]}`, false},
	{"$contains null", `{"tags": {"$contains": null}}`, `{"tags": [null]}`, true},
	{"$contains nested list", `{"tags": {"$contains": 1}}`, `{"tags": [[1]]}`, false},
	{"$contains list subset", `{"tags": {"$contains": ["a", "c"]}}`, `{"tags": ["c", "b", "a"]}`, true},
	{"$contains list not subset", `{"tags": {"$contains": ["a", "d"]}}`, `{"tags": ["c", "b", "a"]}`, false},
	{"$contains duplicates", `{"tags": {"$contains": ["a", "a"]}}`, `{"tags": ["a"]}`, true},
	{"$contains empty list", `{"tags": {"$contains": []}}`, `{"tags": []}`, true},
	{"$contains empty list on scalar", `{"tags": {"$contains": []}}`, `{"tags": "x"}`, false},
	{"$contains missing", `{"tags": {"$contains": []}}`, `{}`, false},
	{"multi-key and", `{"a": 1, "b": 2}`, `{"a": 1, "b": 2}`, true},
	{"multi-key and one fails", `{"a": 1, "b": 2}`, `{"a": 1, "b": 3}`, false},
	{"$or first", `{"$or": [{"a": 1}, {"b": 2}]}`, `{"a": 1}`, true},
	{"$or second", `{"$or": [{"a": 1}, {"b": 2}]}`, `{"b": 2}`, true},
	{"$or none", `{"$or": [{"a": 1}, {"b": 2}]}`, `{"a": 2, "b": 1}`, false},
	{"$or with rest", `{"$or": [{"a": 1}, {"b": 2}], "c": 3}`, `{"a": 1}`, false},
	{"$or with rest holds", `{"$or": [{"a": 1}, {"b": 2}], "c": 3}`, `{"b": 2, "c": 3}`, true},
	{"$or empty branch", `{"$or": [{}, {"b": 2}]}`, `{}`, true},
	{"$and", `{"$and": [{"a": 1}, {"b": 2}]}`, `{"a": 1, "b": 2}`, true},
	{"$and fails", `{"$and": [{"a": 1}, {"b": 2}]}`, `{"a": 1}`, false},
	{"$and with $or", `{"$and": [{"$or": [{"a": 1}, {"a": 2}]}, {"$or": [{"b": 1}, {"b": 2}]}]}`, `{"a": 2, "b": 1}`, true},
	{"$or and $and together", `{"$or": [{"a": 1}, {"a": 2}], "$and": [{"b": 1}, {"c": 1}]}`, `{"a": 2, "b": 1}`, false},
	{"dotted key is literal", `{"a.b": 1}`, `{"a": {"b": 1}}`, false},
	{"dotted key", `{"a.b": 1}`, `{"a.b": 1}`, true},
	{"quote key", `{"q\"k": "v"}`, `{"q\"k": "v"}`, true},
	{"single quote key", `{"it's": "v"}`, `{"it's": "v"}`, true},
	{"backslash key", `{"a\\b": 1}`, `{"a\\b": 1, "a\b": 2}`, true},
	{"html key", `{"<a&b>": "<x>"}`, `{"<a&b>": "<x>"}`, true},
	{"unicode key", `{"ключ 🔑": "значение"}`, `{"ключ 🔑": "значение"}`, true},
	{"empty key", `{"": 1}`, `{"": 1}`, true},
	{"dollar key is literal", `{"$x": 1}`, `{"$x": 1}`, true},
	{"path-like key", `{"$.a": 1}`, `{"a": 1}`, false},
	{"bracket key", `{"[0]": 1}`, `{"[0]": 1}`, true},
}

func TestMatch(t *testing.T) {
	for _, c := range matchCases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(decode(t, c.filter))
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(decode(t, c.doc)); got != c.want {
				t.Fatalf("%s on %s = %v, want %v", c.filter, c.doc, got, c.want)
			}
		})
	}
}

// TestMatchSQL runs the same table through SQLite (and Postgres when
// configured).
func TestMatchSQL(t *testing.T) {
	for _, e := range engines(t) {
		for _, c := range matchCases {
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				f, err := Parse(decode(t, c.filter))
				if err != nil {
					t.Fatal(err)
				}
				ids, q, err := e.matchIDs([]map[string]any{decode(t, c.doc)}, func(a *Args, doc string) (string, error) { return f.SQL(a, doc), nil })
				if err != nil {
					t.Fatalf("%v\n%s", err, q)
				}
				if got := len(ids) == 1; got != c.want {
					t.Fatalf("%s on %s = %v, want %v\n%s", c.filter, c.doc, got, c.want, q)
				}
			})
		}
	}
}

func TestEmptyAndCanonical(t *testing.T) {
	var zero Filter
	if !zero.IsEmpty() || !zero.Match(nil) || zero.String() != "{}" {
		t.Fatal("zero Filter must be empty, match everything and print {}")
	}
	if got := zero.SQL(NewArgs(SQLite, 1), "d"); got != "TRUE" {
		t.Fatalf("zero SQL = %q", got)
	}
	f, err := Parse(map[string]any{})
	if err != nil || !f.IsEmpty() {
		t.Fatalf("Parse({}) = %v, %v", f, err)
	}
	f, err = Parse(decode(t, `{"b": {"$eq": 1}, "a": {"$eq": {"y": [1], "x": null}}, "t": {"$contains": "x"}, "u": {"$contains": ["x"]}, "$or": [{"c": 1}, {}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if f.IsEmpty() {
		t.Fatal("non-empty filter reported empty")
	}
	want := `{"$or":[{"c":1},{}],"a":{"$eq":{"x":null,"y":[1]}},"b":1,"t":{"$contains":"x"},"u":{"$contains":["x"]}}`
	if got := f.String(); got != want {
		t.Fatalf("canonical\n got %s\nwant %s", got, want)
	}
}

func TestArgsPlaceholders(t *testing.T) {
	f, err := Parse(map[string]any{"a": "x", "b": map[string]any{"$eq": []any{1}}})
	if err != nil {
		t.Fatal(err)
	}
	a := NewArgs(Postgres, 3)
	got := f.SQL(a, "m")
	want := `((m @> $3::jsonb) AND (m @> $4::jsonb AND (m -> $5::text) = $6::jsonb))`
	if got != want {
		t.Fatalf("postgres SQL\n got %s\nwant %s", got, want)
	}
	vals := a.Values()
	if len(vals) != 4 || vals[0] != `{"a":"x"}` || vals[2] != "b" || vals[3] != "[1]" {
		t.Fatalf("postgres args %q", vals)
	}
	l := NewArgs(SQLite, 7)
	if s := f.SQL(l, "m"); strings.Count(s, "?") != len(l.Values()) || strings.Contains(s, "$7") {
		t.Fatalf("sqlite SQL %s with %d args", s, len(l.Values()))
	}
}

func TestContains(t *testing.T) {
	cases := []struct {
		doc, sub string
		want     bool
	}{
		{`{"a": 1, "b": 2}`, `{"a": 1}`, true},
		{`{"a": 1}`, `{"a": 1, "b": 2}`, false},
		{`{"a": {"x": 1, "y": 2}}`, `{"a": {"x": 1}}`, true},
		{`{"a": [1, 2, 3]}`, `{"a": [3, 1, 1]}`, true},
		{`{"a": [1, 2]}`, `{"a": 1}`, false},
		{`{"a": [[1, 2]]}`, `{"a": [[2]]}`, true},
		{`{"a": [[1, 2]]}`, `{"a": [1]}`, false},
		{`{"a": [{"x": 1, "y": 2}]}`, `{"a": [{"x": 1}]}`, true},
		{`{"a": "x"}`, `{"a": ["x"]}`, false},
		{`{"a": {}}`, `{"a": []}`, false},
		{`{"a": 1.0}`, `{"a": 1}`, true},
		{`{"a": true}`, `{"a": 1}`, false},
		{`{"a": null}`, `{"a": null}`, true},
		{`{}`, `{"a": null}`, false},
		{`{"a": 1}`, `{}`, true},
	}
	for _, c := range cases {
		if got := Contains(decode(t, c.doc), decode(t, c.sub)); got != c.want {
			t.Errorf("Contains(%s, %s) = %v, want %v", c.doc, c.sub, got, c.want)
		}
	}
	// Top-level rules of @>: an array contains a scalar element, a scalar
	// never contains an array.
	if !Contains([]any{1.0, "x"}, "x") || Contains("x", []any{"x"}) || !Contains(2, 2.0) {
		t.Error("top-level scalar/array rules")
	}
	if !Contains(map[string]any{"tags": []string{"a", "b"}}, map[string]any{"tags": []any{"b"}}) {
		t.Error("Go slices in documents")
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range matchCases {
		f.Add(c.filter, c.doc)
	}
	f.Add(`{"$or": [{"$and": [{"a": 1}, {"$or": [{}, {}]}]}, {}]}`, `{}`)
	f.Add(`{"a": {"$contains": [1, [2]]}}`, `{"a": [1, [2]]}`)
	f.Fuzz(func(t *testing.T, filter, doc string) {
		var raw, d map[string]any
		if json.Unmarshal([]byte(filter), &raw) != nil {
			return
		}
		fl, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not wrapping ErrInvalid: %v", err)
			}
			return
		}
		_ = json.Unmarshal([]byte(doc), &d)
		got := fl.Match(d)
		_ = fl.SQL(NewArgs(SQLite, 1), "d")
		_ = fl.SQL(NewArgs(Postgres, 1), "d")
		b, err := fl.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("canonical form %s: %v", b, err)
		}
		fl2, err := Parse(back)
		if err != nil || fl2.String() != fl.String() || fl2.Match(d) != got {
			t.Fatalf("round trip of %s: %s, %v", filter, fl2, err)
		}
	})
}

func TestCutStringAndEqualities(t *testing.T) {
	f, err := Parse(map[string]any{"owner": "alice", "n": 2, "$or": []any{map[string]any{"a": "x"}, map[string]any{"b": "y"}}})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	f.Equalities(func(k string, v any) { keys = append(keys, fmt.Sprintf("%s=%v", k, v)) })
	if got := strings.Join(keys, ","); got != "n=2,owner=alice" {
		t.Fatalf("Equalities: %s", got)
	}
	s, rest, ok := f.CutString("owner")
	if !ok || s != "alice" {
		t.Fatalf("CutString = %q, %v", s, ok)
	}
	if got := rest.String(); got != `{"$or":[{"a":"x"},{"b":"y"}],"n":2}` {
		t.Fatalf("rest = %s", got)
	}
	if f.String() != `{"$or":[{"a":"x"},{"b":"y"}],"n":2,"owner":"alice"}` {
		t.Fatalf("CutString changed f: %s", f)
	}
	if _, _, ok := f.CutString("n"); ok {
		t.Fatal("CutString accepted a number")
	}
	g, _ := Parse(map[string]any{"owner": map[string]any{"$contains": "alice"}})
	if _, _, ok := g.CutString("owner"); ok {
		t.Fatal("CutString accepted $contains")
	}
	// rest ∧ owner == s is f, on documents either way.
	for _, doc := range []map[string]any{
		{"owner": "alice", "n": 2.0, "a": "x"},
		{"owner": "bob", "n": 2.0, "a": "x"},
		{"owner": "alice", "n": 2.0},
	} {
		want := f.Match(doc)
		got := doc["owner"] == s && rest.Match(doc)
		if got != want {
			t.Fatalf("doc %v: cut %v, whole %v", doc, got, want)
		}
	}
}

func TestParsePlainEqualitiesMatchesGeneralPath(t *testing.T) {
	for _, raw := range []map[string]any{
		{"owner": "alice"},
		{"b": true, "a": nil, "c": 1.5, "d": "x"},
		{"$foo": "bar"},
	} {
		fast, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		// A nested $and forces the general path; its canonical form
		// holds the same conditions.
		slow, err := Parse(map[string]any{"$and": []any{raw, map[string]any{}}})
		if err != nil {
			t.Fatal(err)
		}
		want := slow.String()
		want = strings.TrimSuffix(strings.TrimPrefix(want, `{"$and":[`), `,{}]}`)
		if fast.String() != want {
			t.Fatalf("fast %s, general %s", fast, want)
		}
	}
	if _, err := Parse(map[string]any{"x": math.NaN()}); err == nil {
		t.Fatal("NaN accepted")
	}
}

func TestEqualIsParse(t *testing.T) {
	f, err := Equal("owner", "alice")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := Parse(map[string]any{"owner": "alice"})
	if f.String() != g.String() || !f.Match(map[string]any{"owner": "alice"}) || f.Match(map[string]any{"owner": "bob"}) {
		t.Fatalf("Equal %s, Parse %s", f, g)
	}
	if _, err := Equal("$or", "x"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Equal($or) = %v", err)
	}
}

func TestKeys(t *testing.T) {
	for _, c := range []struct{ filter, want string }{
		{`{}`, ``},
		{`{"owner": "alice", "org": {"$eq": "x"}}`, `org,owner`},
		{`{"tags": {"$contains": "a"}, "$or": [{"owner": "a"}, {"$and": [{"team": 1}, {"owner": "b"}]}]}`, `owner,tags,team`},
	} {
		f, err := Parse(decode(t, c.filter))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(f.Keys(), ","); got != c.want {
			t.Errorf("%s: keys %q, want %q", c.filter, got, c.want)
		}
	}
	if k := (Filter{}).Keys(); len(k) != 0 {
		t.Errorf("zero filter: %v", k)
	}
}
