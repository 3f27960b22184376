package sqlite

import (
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

// awkward strings (and, in the test, numbers): escaped by encoding/json (HTML, controls, quotes,
// U+2028), non-ASCII, and text that looks like JSON.
var awkward = []string{"a", "<b>&", "tab\there", `q"uote`, `back\slash`, "line\u2028sep", "é日本", "\ufffd", `a":"b`, ""}

// TestTextHintsMatchMemory: searches whose scope, metadata or values
// require strings (the instr prefilter) find what storage/memory finds,
// including strings encoding/json escapes and the same key-value pair at
// other depths.
func TestTextHintsMatchMemory(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := t.Context()
		lite, err := Open(ctx, ":memory:")
		if err != nil {
			rt.Fatal(err)
		}
		defer lite.Close()
		mem := memory.New()
		vals := []any{}
		for _, a := range awkward {
			vals = append(vals, a)
		}
		vals = append(vals, 0.0, math.Copysign(0, -1), 1.0, 42.0, 1.5, -7.0, 1e21, 1e-7)
		str := rapid.SampledFrom(vals)
		key := rapid.SampledFrom([]string{"k", "<k>", "é", "k\"", "tag"})
		for i := range rapid.IntRange(1, 6).Draw(rt, "threads") {
			md := map[string]any{}
			for range rapid.IntRange(0, 3).Draw(rt, "keys") {
				k := key.Draw(rt, "key")
				switch rapid.IntRange(0, 2).Draw(rt, "kind") {
				case 0:
					md[k] = str.Draw(rt, "value")
				case 1:
					md["nested"] = map[string]any{k: str.Draw(rt, "nested value")}
				default:
					md[k] = []any{str.Draw(rt, "element")}
				}
			}
			c := storage.ThreadCreate{ThreadID: string(rune('a'+i)) + "0000000-0000-4000-8000-000000000000", Metadata: md}
			values := map[string]any{"list": []any{md, "x"}}
			for _, s := range []storage.Store{lite, mem} {
				if _, err := s.Threads().Create(ctx, storage.System(), c); err != nil {
					rt.Fatal(err)
				}
				if _, err := s.Threads().SetState(ctx, storage.System(), c.ThreadID, storage.ThreadState{Values: values}); err != nil {
					rt.Fatal(err)
				}
			}
		}
		want := map[string]any{key.Draw(rt, "want key"): str.Draw(rt, "want value")}
		var q storage.ThreadSearch
		sc := storage.System()
		switch rapid.IntRange(0, 3).Draw(rt, "as") {
		case 0:
			f, err := filter.Parse(want)
			if err != nil {
				rt.Fatal(err)
			}
			sc = storage.Authorized(storage.Event{Resource: "threads", Action: "search"}, f)
		case 1:
			q.Metadata = want
		case 2:
			q.Metadata = map[string]any{"nested": want}
		default:
			q.Values = map[string]any{"list": []any{want}}
		}
		var ids [2][]string
		for i, s := range []storage.Store{lite, mem} {
			ts, err := s.Threads().Search(ctx, sc, q)
			if err != nil {
				rt.Fatal(err)
			}
			for _, th := range ts {
				ids[i] = append(ids[i], th.ThreadID)
			}
		}
		if len(ids[0]) != len(ids[1]) {
			rt.Fatalf("sqlite found %v, memory %v", ids[0], ids[1])
		}
		for i := range ids[0] {
			if ids[0][i] != ids[1][i] {
				rt.Fatalf("sqlite found %v, memory %v", ids[0], ids[1])
			}
		}
	})
}

func TestTextHint(t *testing.T) {
	for _, c := range []struct {
		k    string
		v    any
		want string
	}{
		{"tag", "g-7", `"tag":"g-7"`},
		{"bucket", 42.0, `"bucket":42`},
		{"n", 1e21, `"n":1e+21`},
		{"<k>", "a&b", `"\u003ck\u003e":"a\u0026b"`},
		{"k", "line\u2028", `"k":"line\u2028"`},
	} {
		if got, ok := textHint(c.k, c.v); !ok || got != c.want {
			t.Errorf("textHint(%q, %q) = %q, %v; want %q", c.k, c.v, got, ok, c.want)
		}
	}
	for _, v := range []any{"\xff", 0.0, math.Copysign(0, -1), 42, true, nil} {
		if h, ok := textHint("k", v); ok {
			t.Errorf("textHint(k, %#v) = %q", v, h)
		}
	}
}

// TestTextHintsEqualValues: values the filter finds equal though they may
// be written differently are still found.
func TestTextHintsEqualValues(t *testing.T) {
	ctx := t.Context()
	s := openFile(t)
	for i, c := range []struct{ stored, want any }{
		{math.Copysign(0, -1), 0.0},
		{0.0, math.Copysign(0, -1)},
		{1.0, 1.0},
		{"<a>", "<a>"},
		{"é", "é"},
	} {
		md := map[string]any{"k": c.stored}
		th, err := s.Threads().Create(ctx, storage.System(), storage.ThreadCreate{Metadata: md})
		if err != nil {
			t.Fatal(err)
		}
		f, err := filter.Parse(map[string]any{"k": c.want})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct {
			sc storage.Scope
			ts storage.ThreadSearch
		}{
			{storage.Authorized(storage.Event{Resource: "threads", Action: "search"}, f), storage.ThreadSearch{IDs: []string{th.ThreadID}}},
			{storage.System(), storage.ThreadSearch{IDs: []string{th.ThreadID}, Metadata: map[string]any{"k": c.want}}},
		} {
			got, err := s.Threads().Search(ctx, q.sc, q.ts)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !storage.System().Match(md) || !(storage.Authorized(storage.Event{Resource: "threads", Action: "search"}, f).Match(md)) {
				t.Errorf("case %d: stored %v, want %v: found %d threads", i, c.stored, c.want, len(got))
			}
		}
	}
}
