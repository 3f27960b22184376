package agent

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type address struct {
	City string `json:"city" jsonschema:"description=The city\\, as spelled locally"`
	Zip  string `json:"zip,omitempty"`
}

type Base struct {
	ID   string `json:"id"`
	Note string `json:"note,omitempty"`
}

type searchArgs struct {
	Base
	Query   string            `json:"query" jsonschema_description:"What to look for, in plain words"`
	Limit   int               `json:"limit,omitempty" jsonschema:"minimum=1,maximum=50,default=10"`
	Ratio   float64           `json:"ratio"`
	Exact   bool              `json:"exact"`
	Count   uint8             `json:"count"`
	Tags    []string          `json:"tags"`
	Weights map[string]int    `json:"weights,omitempty"`
	Where   address           `json:"where"`
	Also    *address          `json:"also"`
	Many    []address         `json:"many,omitempty"`
	Unit    string            `json:"unit" jsonschema:"enum=c,enum=f"`
	Level   int               `json:"level,omitempty" jsonschema:"enum=1,enum=2,required"`
	Since   time.Time         `json:"since,omitzero"`
	Extra   any               `json:"extra,omitempty"`
	Raw     json.RawMessage   `json:"raw,omitempty"`
	Blob    []byte            `json:"blob,omitempty"`
	Pair    [2]int            `json:"pair,omitempty"`
	Quoted  int               `json:"quoted,string,omitempty"`
	Skipped string            `json:"-"`
	hidden  string            //nolint:unused // unexported: not in the schema
	NoTag   string            `jsonschema:"optional"`
	Nested  map[string][]bool `json:"nested,omitempty"`
}

func TestSchemaDerivation(t *testing.T) {
	got, err := argsSchema(reflect.TypeFor[searchArgs]())
	if err != nil {
		t.Fatal(err)
	}
	addr := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"city": map[string]any{"type": "string", "description": "The city, as spelled locally"},
			"zip":  map[string]any{"type": "string"},
		},
		"required":             []string{"city"},
		"additionalProperties": false,
	}
	want := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"id":      map[string]any{"type": "string"},
			"note":    map[string]any{"type": "string"},
			"query":   map[string]any{"type": "string", "description": "What to look for, in plain words"},
			"limit":   map[string]any{"type": "integer", "minimum": int64(1), "maximum": int64(50), "default": int64(10)},
			"ratio":   map[string]any{"type": "number"},
			"exact":   map[string]any{"type": "boolean"},
			"count":   map[string]any{"type": "integer", "minimum": 0},
			"tags":    map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"weights": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "integer"}},
			"where":   addr,
			"also":    addr,
			"many":    map[string]any{"type": "array", "items": addr},
			"unit":    map[string]any{"type": "string", "enum": []any{"c", "f"}},
			"level":   map[string]any{"type": "integer", "enum": []any{int64(1), int64(2)}},
			"since":   map[string]any{"type": "string", "format": "date-time"},
			"extra":   map[string]any{},
			"raw":     map[string]any{},
			"blob":    map[string]any{"type": "string", "contentEncoding": "base64"},
			"pair":    map[string]any{"type": "array", "items": map[string]any{"type": "integer"}, "minItems": 2, "maxItems": 2},
			"quoted":  map[string]any{"type": "string"},
			"NoTag":   map[string]any{"type": "string"},
			"nested": map[string]any{"type": "object", "additionalProperties": map[string]any{
				"type": "array", "items": map[string]any{"type": "boolean"}}},
		},
		"required":             []string{"id", "query", "ratio", "exact", "count", "tags", "where", "unit", "level"},
		"additionalProperties": false,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("schema (-want +got):\n%s", d)
	}
	// The schema is valid JSON.
	if _, err := json.Marshal(got); err != nil {
		t.Fatal(err)
	}
}

type tree struct {
	Name     string  `json:"name"`
	Children []tree  `json:"children,omitempty"`
	Parent   *tree   `json:"parent,omitempty"`
	Self     *tree   `json:"-"`
	Sizes    []int64 `json:"sizes,omitempty"`
}

func TestSchemaRecursiveType(t *testing.T) {
	got, err := argsSchema(reflect.TypeFor[tree]())
	if err != nil {
		t.Fatal(err)
	}
	props := got["properties"].(map[string]any)
	if d := cmp.Diff(map[string]any{"type": "array", "items": map[string]any{"type": "object"}}, props["children"]); d != "" {
		t.Errorf("children (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]any{"type": "object"}, props["parent"]); d != "" {
		t.Errorf("parent (-want +got):\n%s", d)
	}
}

func TestSchemaRefusesNonObjects(t *testing.T) {
	type withChan struct {
		C chan int `json:"c"`
	}
	type badTag struct {
		A int `json:"a" jsonschema:"minimum=low"`
	}
	type unknownTag struct {
		A int `json:"a" jsonschema:"colour=red"`
	}
	for name, err := range map[string]error{
		"int":     errOf(argsSchema(reflect.TypeFor[int]())),
		"slice":   errOf(argsSchema(reflect.TypeFor[[]string]())),
		"chan":    errOf(argsSchema(reflect.TypeFor[withChan]())),
		"badTag":  errOf(argsSchema(reflect.TypeFor[badTag]())),
		"unknown": errOf(argsSchema(reflect.TypeFor[unknownTag]())),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A map with string keys and a pointer to a struct are fine.
	if _, err := argsSchema(reflect.TypeFor[map[string]any]()); err != nil {
		t.Error(err)
	}
	if _, err := argsSchema(reflect.TypeFor[*address]()); err != nil {
		t.Error(err)
	}
}

func TestNewToolChecksNameAndArgs(t *testing.T) {
	fn := func(context.Context, address) (string, error) { return "", nil }
	for _, name := range []string{"", "has space", "dot.name", strings.Repeat("x", 65)} {
		if _, err := NewTool(name, "", fn); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if _, err := NewTool("count", "", func(context.Context, int) (int, error) { return 0, nil }); err == nil {
		t.Error("int arguments accepted")
	}
	tool, err := NewTool("where_is", "Finds a place.", fn)
	if err != nil {
		t.Fatal(err)
	}
	spec := tool.Spec()
	if spec.Name != "where_is" || spec.Description != "Finds a place." || spec.Parameters["type"] != "object" {
		t.Errorf("spec = %+v", spec)
	}
	// Spec returns a copy: changing it does not change the tool.
	spec.Parameters["properties"].(map[string]any)["city"] = "changed"
	if _, ok := tool.Spec().Parameters["properties"].(map[string]any)["city"].(map[string]any); !ok {
		t.Error("Spec shares its parameters")
	}
}

func TestToolArgDecoding(t *testing.T) {
	var got searchArgs
	tool, err := NewTool("search", "", func(_ context.Context, in searchArgs) (map[string]any, error) {
		got = in
		return map[string]any{"hits": 2, "query": in.Query}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]any{
		"id": "x", "query": "go", "ratio": 0.5, "exact": true, "count": 3, "tags": []any{"a"},
		"where": map[string]any{"city": "Oslo"}, "unit": "c", "level": 2,
		"also": map[string]any{"city": "Bergen", "zip": "5003"},
	}
	res, err := tool.Call(context.Background(), ok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Query != "go" || got.Where.City != "Oslo" || got.Also == nil || got.Also.Zip != "5003" || got.Count != 3 {
		t.Errorf("decoded %+v", got)
	}
	if text, _ := content(res); text != `{"hits":2,"query":"go"}` {
		t.Errorf("content = %s", text)
	}

	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k2, v2 := range ok {
			m[k2] = v2
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for name, tc := range map[string]struct {
		args map[string]any
		want string
	}{
		"unknown field":  {with("colour", "red"), `unknown field "colour"`},
		"nested unknown": {with("where", map[string]any{"city": "Oslo", "country": "NO"}), `unknown field "country"`},
		"wrong type":     {with("limit", "many"), "cannot unmarshal string"},
		"missing":        {with("query", nil), `missing required argument "query"`},
		"missing nested": {with("where", map[string]any{"zip": "1"}), `missing required argument "where.city"`},
		"missing in list": {with("many", []any{map[string]any{"city": "A"}, map[string]any{}}),
			`missing required argument "many.1.city"`},
		"nil args": {nil, `missing required argument "id"`},
	} {
		_, err := tool.Call(context.Background(), tc.args)
		var ae *ArgsError
		if !errors.As(err, &ae) || ae.Tool != "search" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want an ArgsError with %q", name, err, tc.want)
		}
	}
}

func TestToolOutputContent(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{"plain text", "plain text"},
		{42, "42"},
		{[]string{"a"}, `["a"]`},
		{struct {
			A int `json:"a"`
		}{1}, `{"a":1}`},
		{json.RawMessage(`{"x":1}`), `{"x":1}`},
		{nil, "null"},
	} {
		got, err := content(tc.v)
		if err != nil || got != tc.want {
			t.Errorf("content(%v) = %q, %v; want %q", tc.v, got, err, tc.want)
		}
	}
	if _, err := content(func() {}); err == nil {
		t.Error("a func encoded")
	}
}

func errOf(_ any, err error) error { return err }
