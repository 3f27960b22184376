package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

// The differential tests apply the same random operations to this backend
// and to storage/memory and require the same answers: SQL and Go agree on
// scope filters, containment, store filters, ordering and paging.

func genMetadata(t *rapid.T) map[string]any {
	md := map[string]any{}
	if rapid.Bool().Draw(t, "has owner") {
		md["owner"] = rapid.SampledFrom([]any{"a", "b", "c", 1.0, []any{"a"}}).Draw(t, "owner")
	}
	if rapid.Bool().Draw(t, "has tags") {
		md["tags"] = rapid.SliceOfN(rapid.SampledFrom([]any{"x", "y", "z", 1.0}), 0, 3).Draw(t, "tags")
	}
	if rapid.Bool().Draw(t, "has n") {
		md["n"] = float64(rapid.IntRange(0, 3).Draw(t, "n"))
	}
	if rapid.Bool().Draw(t, "has flag") {
		md["flag"] = rapid.SampledFrom([]any{true, false, nil, "true"}).Draw(t, "flag")
	}
	if rapid.Bool().Draw(t, "has obj") {
		md["obj"] = map[string]any{"k": rapid.SampledFrom([]any{"v", "w", 1.0}).Draw(t, "obj.k")}
	}
	return md
}

func genScalar(t *rapid.T, label string) any {
	return rapid.SampledFrom([]any{"a", "b", "x", "y", 1.0, 2.0, true, false, nil}).Draw(t, label)
}

func genFilter(t *rapid.T, depth int) map[string]any {
	f := map[string]any{}
	for i := range rapid.IntRange(0, 2).Draw(t, "conds") {
		key := rapid.SampledFrom([]string{"owner", "tags", "n", "flag", "obj", "missing"}).Draw(t, fmt.Sprint("key", i))
		switch rapid.IntRange(0, 3).Draw(t, fmt.Sprint("op", i)) {
		case 0:
			f[key] = genScalar(t, "eq")
		case 1:
			f[key] = map[string]any{"$contains": genScalar(t, "contains")}
		case 2:
			f[key] = map[string]any{"$contains": []any{genScalar(t, "c1"), genScalar(t, "c2")}}
		default:
			f[key] = map[string]any{"$eq": rapid.SampledFrom([]any{map[string]any{"k": "v"}, []any{"x"}, []any{}}).Draw(t, "eqobj")}
		}
	}
	if depth < 2 && rapid.IntRange(0, 3).Draw(t, "logic") == 0 {
		op := rapid.SampledFrom([]string{"$or", "$and"}).Draw(t, "logic op")
		f[op] = []any{genFilter(t, depth+1), genFilter(t, depth+1)}
	}
	return f
}

func genScope(t *rapid.T) storage.Scope {
	if rapid.IntRange(0, 4).Draw(t, "system") == 0 {
		return storage.System()
	}
	var fs []filter.Filter
	for range rapid.IntRange(0, 2).Draw(t, "filters") {
		f, err := filter.Parse(genFilter(t, 0))
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	return storage.Authorized(storage.Event{Resource: "threads", Action: "search"}, fs...)
}

func TestThreadsMatchMemory(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		lite, err := Open(ctx, ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		defer lite.Close()
		mem := memory.New()
		stores := []storage.Store{lite, mem}
		n := rapid.IntRange(1, 12).Draw(t, "threads")
		for i := range n {
			md := genMetadata(t)
			id := fmt.Sprintf("t%02d", rapid.IntRange(0, 15).Draw(t, "id"))
			var st *storage.ThreadState
			if rapid.Bool().Draw(t, "set state") {
				status := rapid.SampledFrom([]string{storage.StatusIdle, storage.StatusBusy, storage.StatusError}).Draw(t, "status")
				st = &storage.ThreadState{Status: &status, Values: map[string]any{"topic": genScalar(t, "topic"), "list": []any{float64(i % 3)}}}
			}
			for _, s := range stores {
				_, err := s.Threads().Create(ctx, storage.System(), storage.ThreadCreate{ThreadID: id, Metadata: md})
				if err == nil && st != nil {
					_, err = s.Threads().SetState(ctx, storage.System(), id, *st)
				}
				if err != nil && !errorsIsConflict(err) {
					t.Fatal(err)
				}
			}
		}
		for range rapid.IntRange(1, 5).Draw(t, "queries") {
			sc := genScope(t)
			q := storage.ThreadSearch{
				Limit:     rapid.IntRange(0, 5).Draw(t, "limit"),
				Offset:    rapid.IntRange(0, 3).Draw(t, "offset"),
				SortBy:    rapid.SampledFrom([]string{"", "thread_id", "status", "created_at", "updated_at", "state_updated_at"}).Draw(t, "sort"),
				SortOrder: rapid.SampledFrom([]string{"", "asc", "desc"}).Draw(t, "order"),
			}
			if rapid.Bool().Draw(t, "search metadata") {
				q.Metadata = genMetadata(t)
			}
			if rapid.IntRange(0, 3).Draw(t, "search values") == 0 {
				q.Values = map[string]any{"topic": genScalar(t, "v")}
			}
			if rapid.IntRange(0, 3).Draw(t, "search status") == 0 {
				q.Status = storage.StatusBusy
			}
			var got [2][]string
			var counts [2]int
			for i, s := range stores {
				ts, err := s.Threads().Search(ctx, sc, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, th := range ts {
					got[i] = append(got[i], th.ThreadID)
				}
				if counts[i], err = s.Threads().Count(ctx, sc, q); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(got[1], got[0], cmpopts.EquateEmpty()); diff != "" || counts[0] != counts[1] {
				t.Fatalf("search %+v: sqlite differs from memory (-memory +sqlite):\n%s\ncounts sqlite %d memory %d", q, diff, counts[0], counts[1])
			}
		}
	})
}

func errorsIsConflict(err error) bool {
	se, ok := err.(*storage.Error)
	return ok && se.Kind == storage.ErrConflict
}

func TestItemsMatchMemory(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		lite, err := Open(ctx, ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		defer lite.Close()
		stores := []storage.Store{lite, memory.New()}
		labels := []string{"a", "b", "a_", "ab"}
		for range rapid.IntRange(1, 12).Draw(t, "items") {
			ns := rapid.SliceOfN(rapid.SampledFrom(labels), 1, 3).Draw(t, "ns")
			key := rapid.SampledFrom([]string{"k1", "k2"}).Draw(t, "key")
			v := map[string]any{}
			if rapid.Bool().Draw(t, "has n") {
				v["n"] = rapid.SampledFrom([]any{1.0, 2.5, 3.0, "2", true}).Draw(t, "n")
			}
			if rapid.Bool().Draw(t, "has s") {
				v["s"] = rapid.SampledFrom([]any{"apple", "b", "cherry", nil, []any{"x"}}).Draw(t, "s")
			}
			for _, s := range stores {
				if err := s.Items().Put(ctx, storage.System(), storage.ItemPut{Namespace: ns, Key: key, Value: v}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for range rapid.IntRange(1, 5).Draw(t, "queries") {
			var sc storage.Scope = storage.Authorized(storage.Event{Resource: "threads", Action: "search"})
			if rapid.Bool().Draw(t, "scoped") {
				f, err := filter.Parse(map[string]any{"namespace": map[string]any{"$contains": rapid.SampledFrom(labels).Draw(t, "label")}})
				if err != nil {
					t.Fatal(err)
				}
				sc = storage.Authorized(storage.Event{Resource: "threads", Action: "search"}, f)
			}
			q := storage.ItemSearch{
				Prefix: rapid.SliceOfN(rapid.SampledFrom(labels), 0, 2).Draw(t, "prefix"),
				Limit:  rapid.IntRange(0, 4).Draw(t, "limit"),
				Offset: rapid.IntRange(0, 2).Draw(t, "offset"),
			}
			if rapid.Bool().Draw(t, "filter") {
				op := rapid.SampledFrom([]string{"eq", "$eq", "$ne", "$gt", "$gte", "$lt", "$lte"}).Draw(t, "op")
				field := rapid.SampledFrom([]string{"n", "s"}).Draw(t, "field")
				arg := rapid.SampledFrom([]any{2.5, 1.0, "b", "apple"}).Draw(t, "arg")
				if op == "eq" {
					q.Filter = map[string]any{field: arg}
				} else {
					q.Filter = map[string]any{field: map[string]any{op: arg}}
				}
			}
			var got [2][]string
			for i, s := range stores {
				items, err := s.Items().Search(ctx, sc, q)
				if err != nil {
					t.Fatal(err)
				}
				got[i] = itemKeys(items)
			}
			if diff := cmp.Diff(got[1], got[0], cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("item search %+v: sqlite differs from memory (-memory +sqlite):\n%s", q, diff)
			}
			nq := storage.NamespaceList{
				Prefix:   rapid.SliceOfN(rapid.SampledFrom(append(labels, "*")), 0, 2).Draw(t, "ns prefix"),
				Suffix:   rapid.SliceOfN(rapid.SampledFrom(append(labels, "*")), 0, 1).Draw(t, "ns suffix"),
				MaxDepth: rapid.IntRange(0, 2).Draw(t, "depth"),
			}
			var nss [2][][]string
			for i, s := range stores {
				if nss[i], err = s.Items().ListNamespaces(ctx, sc, nq); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(nss[1], nss[0], cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("namespaces %+v: sqlite differs from memory (-memory +sqlite):\n%s", nq, diff)
			}
		}
	})
}

func itemKeys(items []storage.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprint(it.Namespace, "/", it.Key)
	}
	return out
}
