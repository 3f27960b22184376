package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/agentgate/agentgate/storage/internal/sqlcore"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/storage"
)

// seedThreads inserts n threads in one transaction: owner user-(i%100),
// team t-(i%97), tag g-(i%1000) and bucket i%1000 (0.1% selective),
// graph_id agent or rag, distinct updated_at.
func seedThreads(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	base := time.Now().Add(-time.Duration(n) * time.Second).UTC()
	err := s.e.Write(ctx, nil, func(ctx context.Context, tx sqlcore.Querier) error {
		const ins = `INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at,
			metadata, status, config, state_values, interrupts) VALUES (?, ?, ?, ?, ?, 'idle', '{}', ?, '{}')`
		for i := range n {
			graph := "agent"
			if i%3 == 0 {
				graph = "rag"
			}
			md, err := testEncode(map[string]any{"owner": fmt.Sprintf("user-%d", i%100), "team": fmt.Sprintf("t-%d", i%97), "graph_id": graph, "n": i, "tag": fmt.Sprintf("g-%d", i%1000), "bucket": i % 1000})
			if err != nil {
				return err
			}
			values, err := testEncode(map[string]any{"messages": []any{map[string]any{"type": "human", "content": fmt.Sprintf("hello %d", i)}}})
			if err != nil {
				return err
			}
			at := base.Add(time.Duration(i) * time.Second).UnixNano()
			if _, err := tx.ExecContext(ctx, ins, fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), at, at, at, md, values); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.e.w.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

func openBench(b *testing.B) *Store {
	b.Helper()
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func mustScope(b *testing.B, raw map[string]any) storage.Scope {
	b.Helper()
	f, err := filter.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	return storage.Authorized(storage.Event{Resource: "threads", Action: "search"}, f)
}

// timed runs op in a b.Loop and reports the median latency as p50-ms.
func timed(b *testing.B, op func() error) {
	b.Helper()
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkThreadSearch100k is POST /threads/search (limit 10, default
// order) over 100,000 threads with a metadata filter.
func BenchmarkThreadSearch100k(b *testing.B) {
	s := openBench(b)
	seedThreads(b, s, 100_000)
	ctx := context.Background()
	cases := []struct {
		name string
		sc   storage.Scope
		q    storage.ThreadSearch
	}{
		// The owner-isolation pattern: the scope requires metadata.owner.
		{"scope-owner", mustScope(b, map[string]any{"owner": "user-42"}), storage.ThreadSearch{Limit: 10}},
		{"scope-owner+metadata", mustScope(b, map[string]any{"owner": "user-42"}), storage.ThreadSearch{Limit: 10, Metadata: map[string]any{"graph_id": "rag"}}},
		{"scope-owner+offset-500", mustScope(b, map[string]any{"owner": "user-42"}), storage.ThreadSearch{Limit: 10, Offset: 500}},
		// A scope on another key (no index): 1 thread in 97 matches.
		{"scope-team", mustScope(b, map[string]any{"team": "t-7"}), storage.ThreadSearch{Limit: 10}},
		{"scope-contains", mustScope(b, map[string]any{"$or": []any{map[string]any{"team": "t-7"}, map[string]any{"team": "t-8"}}}), storage.ThreadSearch{Limit: 10}},
		// Worst case: no thread matches, every row is read.
		{"scope-team-none", mustScope(b, map[string]any{"team": "nobody"}), storage.ThreadSearch{Limit: 10}},
		// No scope filter, a search metadata filter.
		{"metadata", storage.Authorized(storage.Event{Resource: "threads", Action: "search"}), storage.ThreadSearch{Limit: 10, Metadata: map[string]any{"team": "t-7"}}},
		// 0.1% selective filters on a key without an index: 100 matches,
		// about 10,000 rows read for a page of 10.
		{"metadata-0.1%", storage.Authorized(storage.Event{Resource: "threads", Action: "search"}), storage.ThreadSearch{Limit: 10, Metadata: map[string]any{"tag": "g-7"}}},
		{"metadata-0.1%-number", storage.Authorized(storage.Event{Resource: "threads", Action: "search"}), storage.ThreadSearch{Limit: 10, Metadata: map[string]any{"bucket": 42.0}}},
		{"scope-0.1%", mustScope(b, map[string]any{"tag": "g-7"}), storage.ThreadSearch{Limit: 10}},
		{"scope-owner+metadata-0.1%", mustScope(b, map[string]any{"owner": "user-7"}), storage.ThreadSearch{Limit: 10, Metadata: map[string]any{"tag": "g-7"}}},
		{"metadata-0.1%+graph_id", storage.Authorized(storage.Event{Resource: "threads", Action: "search"}), storage.ThreadSearch{Limit: 10, Metadata: map[string]any{"tag": "g-7", "graph_id": "agent"}}},
		{"values", storage.Authorized(storage.Event{Resource: "threads", Action: "search"}), storage.ThreadSearch{Limit: 10, Values: map[string]any{"messages": []any{map[string]any{"content": "hello 99999"}}}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			timed(b, func() error {
				got, err := s.Threads().Search(ctx, c.sc, c.q)
				if err == nil && len(got) == 0 && c.name != "scope-team-none" {
					err = fmt.Errorf("no threads found")
				}
				return err
			})
		})
	}
	b.Run("count-scope-owner", func(b *testing.B) {
		sc := mustScope(b, map[string]any{"owner": "user-42"})
		timed(b, func() error {
			n, err := s.Threads().Count(ctx, sc, storage.ThreadSearch{})
			if err == nil && n != 1000 {
				err = fmt.Errorf("count = %d", n)
			}
			return err
		})
	})
}

// BenchmarkThreadGet is GET /threads/{id} under an owner scope, among
// 10,000 threads.
func BenchmarkThreadGet(b *testing.B) {
	s := openBench(b)
	seedThreads(b, s, 10_000)
	ctx := context.Background()
	sc := mustScope(b, map[string]any{"owner": "user-42"})
	i := 0
	timed(b, func() error {
		id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", (i%100)*100+42)
		i++
		_, err := s.Threads().Get(ctx, sc, id)
		return err
	})
}

// BenchmarkThreadGetParallel compares the read pool with serving reads
// from the single writer connection (what ":memory:" does).
func BenchmarkThreadGetParallel(b *testing.B) {
	s := openBench(b)
	seedThreads(b, s, 10_000)
	ctx := context.Background()
	sc := mustScope(b, map[string]any{"owner": "user-42"})
	run := func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", (i%100)*100+42)
				i++
				if _, err := s.Threads().Get(ctx, sc, id); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	// mixed runs the reads while one goroutine keeps writing.
	mixed := func(b *testing.B) {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			st := storage.StatusBusy
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i%10_000)
				if _, err := s.Threads().SetState(ctx, storage.System(), id, storage.ThreadState{Status: &st, Values: map[string]any{"i": i}}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
		run(b)
		close(stop)
		<-done
	}
	b.Run("read-pool", run)
	b.Run("read-pool-with-writer", mixed)
	pool := s.e.r
	s.e.r = s.e.w
	b.Run("writer-conn", run)
	b.Run("writer-conn-with-writer", mixed)
	s.e.r = pool
}

// BenchmarkThreadCreate is POST /threads: one write transaction each.
func BenchmarkThreadCreate(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	sc := storage.Authorized(storage.Event{Resource: "threads", Action: "search"})
	md := map[string]any{"owner": "user-1", "graph_id": "agent"}
	timed(b, func() error {
		_, err := s.Threads().Create(ctx, sc, storage.ThreadCreate{Metadata: md})
		return err
	})
}

// BenchmarkTemporaryRunCycle is the storage side of a stateless run, one
// at a time: create (with its thread), claim, delete the thread. Each is a
// write transaction of its own here (no concurrent writes to group).
func BenchmarkTemporaryRunCycle(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	kw := map[string]any{"input": map[string]any{"messages": []any{map[string]any{"type": "human", "content": "hello"}}},
		"config": map[string]any{"configurable": map[string]any{"thread_id": "x", "run_id": "y"}}}
	var create, claim, drop time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		th := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		_, err := s.Runs().Create(ctx, storage.System(), storage.RunCreate{RunID: fmt.Sprintf("00000000-0000-7000-8000-%012d", i),
			ThreadID: th, AssistantID: "fe096781-5601-53d2-b2f6-0d3403f7e9ca", GraphID: "chatbot", IfNotExists: "create",
			Kwargs: kw, Metadata: map[string]any{}, ThreadMetadata: map[string]any{}, MultitaskStrategy: storage.MultitaskEnqueue})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, ok, err := s.Runs().Claim(ctx, storage.System(), time.Minute); err != nil || !ok {
			b.Fatal(ok, err)
		}
		t2 := time.Now()
		if err := s.Threads().Delete(ctx, storage.System(), th); err != nil {
			b.Fatal(err)
		}
		create, claim, drop = create+t1.Sub(t0), claim+time.Since(t1)-time.Since(t2), drop+time.Since(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(create.Microseconds())/n, "create-µs")
	b.ReportMetric(float64(claim.Microseconds())/n, "claim-µs")
	b.ReportMetric(float64(drop.Microseconds())/n, "delete-µs")
}

// testEncode is canonical JSON, as the store writes it.
func testEncode(v map[string]any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// BenchmarkIdlePollWithKeptRuns is what an idle worker and a /metrics
// scrape ask of a database that keeps 50,000 finished runs: a claim that
// finds nothing, the lease sweep and the run counts.
func BenchmarkIdlePollWithKeptRuns(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	kwargs := `{"input":{"messages":[{"type":"human","content":"` + strings.Repeat("x", 600) + `"}]}}`
	err := s.e.Write(ctx, nil, func(ctx context.Context, tx sqlcore.Querier) error {
		for i := range 50_000 {
			th := fmt.Sprintf("00000000-0000-4000-8000-%012d", i/2)
			if i%2 == 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at, metadata, status, config, interrupts)
					VALUES (?, ?, ?, ?, '{}', 'idle', '{}', '{}')`, th, i, i, i); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO runs (run_id, thread_id, assistant_id, created_at, updated_at, status, metadata, multitask_strategy, kwargs)
				VALUES (?, ?, 'a', ?, ?, 'success', '{}', 'reject', ?)`, fmt.Sprintf("r%08d", i), th, i, i, kwargs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok, err := s.Runs().Claim(ctx, storage.System(), time.Minute); err != nil || ok {
			b.Fatal(ok, err)
		}
		if _, err := s.Runs().RequeueExpired(ctx, storage.System()); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Runs().Stats(ctx, storage.System()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSweepWithoutTTLs is the TTL sweeper's round (every 5 minutes
// by default) over 100,000 threads of which none has a TTL.
func BenchmarkSweepWithoutTTLs(b *testing.B) {
	s := openBench(b)
	seedThreads(b, s, 100_000)
	ctx := context.Background()
	for b.Loop() {
		if res, err := s.Sweep(ctx, storage.System(), storage.SweepOptions{Now: time.Now()}); err != nil || res.Threads+res.Pruned != 0 {
			b.Fatal(res, err)
		}
	}
}
