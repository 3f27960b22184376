package postgres

import (
	"sync"
	"testing"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/graph/checkpoint/checkpointtest"
	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/conformance"
)

func openFresh(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), testenv.FreshPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T) storage.Store { return openFresh(t) })
}

// TestSaver runs the checkpoint suite on the unbound saver.
func TestSaver(t *testing.T) {
	checkpointtest.Run(t, func(t *testing.T) checkpoint.Saver {
		return openFresh(t).UnboundSaver()
	})
}

// TestTwoStoresShareOneDatabase: two processes' stores on one database
// (migrations applied once) claim runs concurrently; no run is claimed
// twice.
func TestTwoStoresShareOneDatabase(t *testing.T) {
	u := testenv.FreshPostgres(t)
	var stores [2]*Store
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			s, err := Open(t.Context(), u)
			if err != nil {
				t.Error(err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	defer stores[0].Close()
	defer stores[1].Close()
	ctx, sys := t.Context(), storage.System()
	const n = 40
	for range n {
		th, err := stores[0].Threads().Create(ctx, sys, storage.ThreadCreate{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stores[1].Runs().Create(ctx, storage.Authorized(storage.Event{Resource: "threads", Action: "create_run"}), storage.RunCreate{ThreadID: th.ThreadID,
			AssistantID: "a", Kwargs: map[string]any{}, MultitaskStrategy: storage.MultitaskEnqueue}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	for w := range 8 {
		wg.Go(func() {
			s := stores[w%2]
			for {
				r, ok, err := s.Runs().Claim(ctx, sys, 60e9)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				seen[r.RunID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("claimed %d distinct runs, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("run %s claimed %d times", id, c)
		}
	}
}
