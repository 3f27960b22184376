package storage_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth/filter"
	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
)

type calls struct {
	mu    sync.Mutex
	names []string
}

func (c *calls) StorageCall(method string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d < 0 {
		method += " (negative)"
	}
	c.names = append(c.names, method)
}

// TestGuardObserved: the observer hears every call the guard lets through,
// by method name, and none it refuses; a not-found under a filtered scope
// carries the scope's event (HiddenEvent), an unfiltered one does not.
func TestGuardObserved(t *testing.T) {
	obs := &calls{}
	st := storage.GuardObserved(memory.New(), obs)
	t.Cleanup(func() { st.Close() })
	if !storage.IsGuarded(st) || storage.Guard(st) != st {
		t.Fatal("GuardObserved is not a guarded store")
	}
	ctx := context.Background()
	th, err := st.Threads().Create(ctx, storage.System(), storage.ThreadCreate{Metadata: map[string]any{"owner": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	read := storage.Event{Resource: "threads", Action: "read"}
	if err := st.Threads().Delete(ctx, storage.Authorized(read), th.ThreadID); !errors.Is(err, storage.ErrForbidden) {
		t.Fatalf("delete with a read scope: %v", err)
	}
	f, err := filter.Equal("owner", "b")
	if err != nil {
		t.Fatal(err)
	}
	owned := storage.Authorized(read, f)
	_, err = st.Threads().Get(ctx, owned, th.ThreadID)
	if ev, ok := storage.HiddenEvent(err); !ok || ev != read || !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("filtered get = %v (hidden %v %v)", err, ev, ok)
	}
	_, err = st.Threads().Get(ctx, storage.Authorized(read), "00000000-0000-0000-0000-000000000000")
	if _, ok := storage.HiddenEvent(err); ok || !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unfiltered get of a missing thread = %v, marked hidden", err)
	}
	sv, err := st.Checkpointer(ctx, storage.System(), th.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	sv.List(ctx, checkpoint.Config{ThreadID: th.ThreadID}, checkpoint.ListOptions{})
	want := []string{"Threads.Create", "Threads.Get", "Threads.Get", "Checkpointer", "Checkpointer.List"}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if !slices.Equal(obs.names, want) {
		t.Errorf("observed %v, want %v", obs.names, want)
	}
}

type ctxKey struct{}

// ctxCalls is a ContextObserver: it records each call's context value,
// method and error, and must not be called through StorageCall.
type ctxCalls struct {
	calls
	got []string
}

func (c *ctxCalls) StorageCallContext(ctx context.Context, method string, t0 time.Time, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, _ := ctx.Value(ctxKey{}).(string)
	if t0.IsZero() || time.Since(t0) < 0 {
		v += " (bad start)"
	}
	_, hidden := storage.HiddenEvent(err)
	c.got = append(c.got, method+" "+v+" hidden="+map[bool]string{true: "yes", false: "no"}[hidden])
}

// TestContextObserver: a ContextObserver is given each call's context and
// error (the not-found already marked hidden) instead of StorageCall.
func TestContextObserver(t *testing.T) {
	obs := &ctxCalls{}
	st := storage.GuardObserved(memory.New(), obs)
	t.Cleanup(func() { st.Close() })
	ctx := context.WithValue(context.Background(), ctxKey{}, "req-1")
	th, err := st.Threads().Create(ctx, storage.System(), storage.ThreadCreate{Metadata: map[string]any{"owner": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := filter.Equal("owner", "b")
	if err != nil {
		t.Fatal(err)
	}
	read := storage.Event{Resource: "threads", Action: "read"}
	if _, err := st.Threads().Get(ctx, storage.Authorized(read, f), th.ThreadID); err == nil {
		t.Fatal("filtered get found the thread")
	}
	want := []string{"Threads.Create req-1 hidden=no", "Threads.Get req-1 hidden=yes"}
	if !slices.Equal(obs.got, want) || len(obs.names) != 0 {
		t.Errorf("observed %q and %q, want %q only", obs.got, obs.names, want)
	}
}

// TestObserverAllocatesNothing: observing a call (plain Observer) adds no
// allocation to it.
func TestObserverAllocatesNothing(t *testing.T) {
	ctx := context.Background()
	n := &counter{}
	plain, observed := storage.Guard(memory.New()), storage.GuardObserved(memory.New(), n)
	count := func(st storage.Store) float64 {
		th, err := st.Threads().Create(ctx, storage.System(), storage.ThreadCreate{})
		if err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(200, func() { _, _ = st.Threads().Get(ctx, storage.System(), th.ThreadID) })
	}
	if a, b := count(plain), count(observed); b > a || n.n.Load() == 0 {
		t.Errorf("a guarded Get allocates %v times observed (%d calls), %v not", b, n.n.Load(), a)
	}
}

type counter struct{ n atomic.Int64 }

func (c *counter) StorageCall(string, time.Duration) { c.n.Add(1) }
