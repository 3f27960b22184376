package query

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/agentgate/agentgate/storage"
)

func TestFoldASCII(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "abc", "AbC-1": "abc-1", "ÉCOLE é": "École é", "ZZ": "zz"} {
		if got := FoldASCII(in); got != want {
			t.Errorf("FoldASCII(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestItemFilter(t *testing.T) {
	conds, err := ItemFilter(map[string]any{"b": map[string]any{"$lt": 5, "$gt": 1}, "a": []string{"x"}, "c": map[string]any{"nested": 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := []ItemCond{
		{Key: "a", Op: OpEq, Value: []any{"x"}},
		{Key: "b", Op: OpGt, Value: 1.0},
		{Key: "b", Op: OpLt, Value: 5.0},
		{Key: "c", Op: OpEq, Value: map[string]any{"nested": 1.0}},
	}
	if diff := cmp.Diff(want, conds); diff != "" {
		t.Errorf("ItemFilter (-want +got):\n%s", diff)
	}
	for _, bad := range []map[string]any{
		{"a": map[string]any{"$in": []any{1}}},
		{"a": map[string]any{"$gt": nil}},
		{"a": map[string]any{"$lte": []any{1}}},
	} {
		if _, err := ItemFilter(bad); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("ItemFilter(%v) = %v, want ErrInvalid", bad, err)
		}
	}
	v := map[string]any{"n": 3.0, "s": "m", "o": map[string]any{"nested": 1.0}}
	for _, c := range []struct {
		f    map[string]any
		want bool
	}{
		{map[string]any{"n": 3}, true},
		{map[string]any{"n": map[string]any{"$gt": 2, "$lt": 4}}, true},
		{map[string]any{"n": map[string]any{"$gte": 3.5}}, false},
		{map[string]any{"s": map[string]any{"$lt": "n"}}, true},
		{map[string]any{"s": map[string]any{"$gt": 1}}, false},
		{map[string]any{"o": map[string]any{"nested": 1}}, true},
		{map[string]any{"x": map[string]any{"$ne": 1}}, false},
	} {
		conds, err := ItemFilter(c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := MatchItem(v, conds); got != c.want {
			t.Errorf("MatchItem(%v) = %v, want %v", c.f, got, c.want)
		}
	}
}

func TestNamespaces(t *testing.T) {
	all := [][]string{{"b"}, {"a", "x", "y"}, {"a", "x"}, {"a-b"}, {"a", "z"}}
	got := Namespaces(all, storage.NamespaceList{MaxDepth: 2})
	want := [][]string{{"a", "x"}, {"a", "z"}, {"a-b"}, {"b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Namespaces (-want +got):\n%s", diff)
	}
	if !MatchPattern([]string{"a", "b", "c"}, []string{"*", "b"}, []string{"c"}) || MatchPattern([]string{"a"}, []string{"a", "*"}, nil) {
		t.Error("MatchPattern")
	}
	if diff := cmp.Diff([]string{"a"}, LiteralPrefix([]string{"a", "*", "c"})); diff != "" {
		t.Error(diff)
	}
}
