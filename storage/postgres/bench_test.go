package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

// BenchmarkThreadSearchOwner1M is POST /threads/search (limit 10) under an
// owner scope (the owner preset's filter) over 1,000,000 threads of 1,000
// owners (issue 13's target: p50 ≤ 10 ms). Seeding takes a minute or two.
func BenchmarkThreadSearchOwner1M(b *testing.B) {
	const n, owners = 1_000_000, 1000
	ctx := context.Background()
	s, err := Open(ctx, testenv.FreshPostgres(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	seedStart := time.Now()
	now := time.Now().UnixNano()
	err = s.e.Write(ctx, nil, func(ctx context.Context, tx sqlcore.Querier) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at,
			metadata, status, config, interrupts)
			SELECT md5(i::text), ?1::bigint - i * 1000, ?1::bigint - i * 1000, ?1::bigint - i * 1000,
				json_build_object('owner', 'user-' || (i % ?2::int), 'graph_id', 'agent', 'n', i)::text,
				'idle', '{}', '{}'
			FROM generate_series(1, ?3::int) AS i`, now, owners, n)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.e.pool.Exec(ctx, `ANALYZE threads`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d threads in %v", n, time.Since(seedStart).Round(time.Second))
	f, err := filter.Parse(map[string]any{"owner": "user-42"})
	if err != nil {
		b.Fatal(err)
	}
	sc := storage.Authorized(storage.Event{Resource: "threads", Action: "search"}, f)
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		got, err := s.Threads().Search(ctx, sc, storage.ThreadSearch{Limit: 10})
		lat = append(lat, time.Since(t0))
		if err != nil || len(got) != 10 {
			b.Fatalf("search: %d threads, %v", len(got), err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
