package sqlite

import (
	"context"
	"errors"
	"fmt"
	"github.com/agentgate/agentgate/storage/internal/sqlcore"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGroupCommit: concurrent writes share transactions, yet each one
// that fails is undone alone, a caller whose context ended before its turn
// is skipped, and every write that returned nil is stored.
func TestGroupCommit(t *testing.T) {
	s := openFile(t)
	ctx := t.Context()
	errBoom := errors.New("boom")
	insert := func(ctx context.Context, tx sqlcore.Querier, id string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at,
			metadata, status, config, state_values, interrupts) VALUES (?, 1, 1, 1, '{}', 'idle', '{}', 'null', '{}')`, id)
		return err
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	const n = 300
	results := make([]error, n)
	var wg sync.WaitGroup
	for round := 0; round < 20 && s.groupCount() == 0; round++ {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("t-%d-%d", round, i)
				wctx := ctx
				if i%7 == 3 {
					wctx = cancelled
				}
				results[i] = s.e.Write(wctx, nil, func(ctx context.Context, tx sqlcore.Querier) error {
					if err := insert(ctx, tx, id); err != nil {
						return err
					}
					if i%5 == 0 { // written, then failed: must be undone
						return errBoom
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for i, err := range results {
			id := fmt.Sprintf("t-%d-%d", round, i)
			var got int
			if err := s.e.r.QueryRowContext(ctx, `SELECT count(*) FROM threads WHERE thread_id = ?`, id).Scan(&got); err != nil {
				t.Fatal(err)
			}
			switch {
			case i%7 == 3:
				if !errors.Is(err, context.Canceled) || got != 0 {
					t.Errorf("%s: cancelled write returned %v, stored %d", id, err, got)
				}
			case i%5 == 0:
				if !errors.Is(err, errBoom) || got != 0 {
					t.Errorf("%s: failed write returned %v, stored %d", id, err, got)
				}
			case err != nil || got != 1:
				t.Errorf("%s: write returned %v, stored %d", id, err, got)
			}
		}
	}
	if s.groupCount() == 0 {
		t.Fatal("no two writes ever shared a transaction")
	}
	// The insert, seen in the first transaction, is prepared by now.
	prepared := 0
	for q, st := range s.e.wstmts.m {
		if st != nil && strings.HasPrefix(q, "INSERT INTO threads") {
			prepared++
		}
	}
	if prepared != 1 {
		t.Errorf("the writer's statement cache holds %d prepared inserts: %v", prepared, s.e.wstmts.m)
	}
	// The queue is idle again: a write still commits on its own.
	if err := s.e.Write(ctx, nil, func(ctx context.Context, tx sqlcore.Querier) error { return insert(ctx, tx, "last") }); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.e.Write(ctx, nil, func(ctx context.Context, tx sqlcore.Querier) error { return insert(ctx, tx, "after") })
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a write after the groups never ran")
	}
}

func (s *Store) groupCount() int64 { return s.e.gw.Groups() }

// TestWritePanicReachesItsCaller: a write that panics is undone, the panic
// is raised in its own caller (not in the one leading the group), and the
// writer keeps working.
func TestWritePanicReachesItsCaller(t *testing.T) {
	s := openFile(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	var mu sync.Mutex
	recovered := map[int]any{}
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					mu.Lock()
					recovered[i] = v
					mu.Unlock()
				}
			}()
			_ = s.e.Write(ctx, nil, func(ctx context.Context, tx sqlcore.Querier) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at,
					metadata, status, config, state_values, interrupts) VALUES (?, 1, 1, 1, '{}', 'idle', '{}', 'null', '{}')`, fmt.Sprint("p-", i)); err != nil {
					return err
				}
				if i%4 == 0 {
					panic(fmt.Sprint("boom ", i))
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i := range 40 {
		var got int
		if err := s.e.r.QueryRowContext(ctx, `SELECT count(*) FROM threads WHERE thread_id = ?`, fmt.Sprint("p-", i)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		want, wantPanic := 1, any(nil)
		if i%4 == 0 {
			want, wantPanic = 0, fmt.Sprint("boom ", i)
		}
		if got != want || recovered[i] != wantPanic {
			t.Errorf("write %d: stored %d, its caller recovered %v", i, got, recovered[i])
		}
	}
}
