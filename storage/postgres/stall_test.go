package postgres

import (
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/agentgate/agentgate/internal/faultproxy"
	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/agentgate/agentgate/storage"
)

// TestStalledDatabaseIsUnavailable: while the database stalls, reads,
// writes (concurrent ones, committed in groups) and run claims fail with
// storage.ErrUnavailable within about the timeout; after Resume the same
// calls succeed.
func TestStalledDatabaseIsUnavailable(t *testing.T) {
	u, err := url.Parse(testenv.FreshPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.Start(t, u.Host)
	u.Host = p.Addr()
	const timeout = 500 * time.Millisecond
	s, err := OpenWith(t.Context(), u.String(), Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sys := storage.System()
	th, err := s.Threads().Create(t.Context(), sys, storage.ThreadCreate{})
	if err != nil {
		t.Fatal(err)
	}

	p.Stall()
	calls := map[string]func() error{
		"get": func() error { _, err := s.Threads().Get(t.Context(), sys, th.ThreadID); return err },
		"search": func() error {
			_, err := s.Threads().Search(t.Context(), sys, storage.ThreadSearch{Limit: 10})
			return err
		},
		"claim": func() error { _, _, err := s.Runs().Claim(t.Context(), sys, time.Minute); return err },
	}
	for i := range 4 {
		calls["create"+string(rune('0'+i))] = func() error {
			_, err := s.Threads().Create(t.Context(), sys, storage.ThreadCreate{})
			return err
		}
	}
	t0 := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for name, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := call()
			took := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Errorf("stalled %s: %v, want ErrUnavailable", name, err)
			}
			// A write queued behind a stalled group waits for it first.
			if took > 2*timeout+time.Second {
				t.Errorf("stalled %s took %v", name, took)
			}
		}()
	}
	wg.Wait()

	p.Resume()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, gerr := s.Threads().Get(t.Context(), sys, th.ThreadID)
		_, cerr := s.Threads().Create(t.Context(), sys, storage.ThreadCreate{})
		if gerr == nil && cerr == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after resume: get %v, create %v", gerr, cerr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
