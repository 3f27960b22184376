package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// runSuite checks the Broker contract; every implementation runs it.
func runSuite(t *testing.T, newBroker func(t *testing.T) Broker) {
	ctx := context.Background()
	collect := func(t *testing.T, sub Subscription) []Event {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var out []Event
		for {
			ev, ok, err := sub.Next(ctx)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if !ok {
				return out
			}
			out = append(out, ev)
		}
	}
	names := func(evs []Event) string {
		s := ""
		for _, e := range evs {
			s += e.Name + ":" + string(e.Data) + " "
		}
		return s
	}

	t.Run("ReplayFromStartAndResumeAfterID", func(t *testing.T) {
		b := newBroker(t)
		var ids []string
		for i := range 5 {
			ev, err := b.Publish(ctx, "run-1", "values", fmt.Appendf(nil, "%d", i))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ev.ID)
		}
		if err := b.Finish(ctx, "run-1"); err != nil {
			t.Fatal(err)
		}
		sub, err := b.Subscribe(ctx, "run-1", Start)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(collect(t, sub)); got != "values:0 values:1 values:2 values:3 values:4 " {
			t.Errorf("from start: %q", got)
		}
		sub, _ = b.Subscribe(ctx, "run-1", ids[2])
		if got := names(collect(t, sub)); got != "values:3 values:4 " {
			t.Errorf("after %s: %q", ids[2], got)
		}
		sub, _ = b.Subscribe(ctx, "run-1", ids[4])
		if got := collect(t, sub); len(got) != 0 {
			t.Errorf("after the last id: %v", got)
		}
		for i := 1; i < len(ids); i++ {
			a, _ := parseID(ids[i-1])
			c, _ := parseID(ids[i])
			if !a.less(c) {
				t.Errorf("ids not increasing: %s then %s", ids[i-1], ids[i])
			}
		}
	})

	t.Run("LiveSubscriberSeesOnlyNewEvents", func(t *testing.T) {
		b := newBroker(t)
		b.Publish(ctx, "run-2", "old", []byte(`1`))
		sub, err := b.Subscribe(ctx, "run-2", "")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan []Event)
		go func() { done <- collect(t, sub) }()
		time.Sleep(20 * time.Millisecond)
		b.Publish(ctx, "run-2", "new", []byte(`2`))
		b.Publish(ctx, "run-2", "new", []byte(`3`))
		b.Finish(ctx, "run-2")
		if got := names(<-done); got != "new:2 new:3 " {
			t.Errorf("live: %q", got)
		}
	})

	t.Run("ManySubscribersAndPublishers", func(t *testing.T) {
		b := newBroker(t)
		const subs, pubs, each = 8, 4, 50
		results := make([][]Event, subs)
		var wg sync.WaitGroup
		for i := range subs {
			sub, err := b.Subscribe(ctx, "run-3", Start)
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() { results[i] = collect(t, sub) })
		}
		var pw sync.WaitGroup
		for p := range pubs {
			pw.Go(func() {
				for j := range each {
					if _, err := b.Publish(ctx, "run-3", "custom", fmt.Appendf(nil, `"%d-%d"`, p, j)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		pw.Wait()
		b.Finish(ctx, "run-3")
		wg.Wait()
		for i, r := range results {
			if len(r) != pubs*each {
				t.Errorf("subscriber %d got %d events", i, len(r))
			}
			for j := 1; j < len(r); j++ {
				a, _ := parseID(r[j-1].ID)
				c, _ := parseID(r[j].ID)
				if !a.less(c) {
					t.Fatalf("subscriber %d: ids out of order", i)
				}
			}
		}
	})

	t.Run("CancelUnblocksNext", func(t *testing.T) {
		b := newBroker(t)
		sub, _ := b.Subscribe(ctx, "run-4", "")
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, _, err := sub.Next(cctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Next after deadline: %v", err)
		}
	})

	t.Run("BadCursor", func(t *testing.T) {
		b := newBroker(t)
		if _, err := b.Subscribe(ctx, "run-5", "not-an-id"); !errors.Is(err, ErrBadEventID) {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

func TestMemory(t *testing.T) {
	runSuite(t, func(t *testing.T) Broker {
		b := NewMemory(MemoryOptions{})
		t.Cleanup(func() { b.Close() })
		return b
	})
}

func TestMemoryRetentionAndCap(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	b := NewMemory(MemoryOptions{Retention: time.Minute, MaxEvents: 3})
	b.now = func() time.Time { return now }
	for i := range 5 {
		b.Publish(ctx, "r", "e", fmt.Appendf(nil, "%d", i))
	}
	sub, _ := b.Subscribe(ctx, "r", Start)
	b.Finish(ctx, "r")
	var got string
	for {
		ev, ok, _ := sub.Next(ctx)
		if !ok {
			break
		}
		got += string(ev.Data)
	}
	if got != "234" {
		t.Errorf("capped stream replayed %q, want the newest 3", got)
	}
	now = now.Add(2 * time.Minute)
	b.Publish(ctx, "other", "e", nil)
	b.mu.Lock()
	_, kept := b.streams["r"]
	b.mu.Unlock()
	if kept {
		t.Error("finished stream outlived its retention")
	}
}

func TestMemorySweepForgetsOnlyExpiredFinishedStreams(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	b := NewMemory(MemoryOptions{Retention: time.Minute})
	b.now = func() time.Time { return now }
	for i := range 200 {
		name := fmt.Sprint("s", i)
		b.Publish(ctx, name, "e", []byte("1"))
		b.Finish(ctx, name)
		now = now.Add(time.Second)
	}
	b.Publish(ctx, "s0", "again", []byte("2")) // reopened: no longer expires
	now = now.Add(30 * time.Second)            // s0..s169 are past their retention
	b.Publish(ctx, "live", "e", []byte("1"))
	b.mu.Lock()
	_, s0 := b.streams["s0"]
	_, s50 := b.streams["s50"]
	_, s180 := b.streams["s180"]
	n := len(b.streams)
	b.mu.Unlock()
	if !s0 || s50 || !s180 {
		t.Errorf("after the sweep: s0 %v, s50 %v, s180 %v (want true, false, true)", s0, s50, s180)
	}
	if n != 1+30+1 {
		t.Errorf("%d streams left, want 32 (s0, s170..s199, live)", n)
	}
}

// TestMemoryForgetsIdleStreams: a stream that is never finished (a kept
// thread's) is forgotten after Idle without events and subscribers.
func TestMemoryForgetsIdleStreams(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	b := NewMemory(MemoryOptions{Idle: time.Hour})
	b.now = func() time.Time { return now }
	b.Publish(ctx, "quiet", "e", nil)
	b.Publish(ctx, "watched", "e", nil)
	sub, _ := b.Subscribe(ctx, "watched", "")
	now = now.Add(50 * time.Minute)
	b.Publish(ctx, "busy", "e", nil)
	now = now.Add(20 * time.Minute)
	b.Publish(ctx, "busy", "e", nil) // quiet: 70 min idle; busy: 20 min
	has := func(name string) bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		_, ok := b.streams[name]
		return ok
	}
	if has("quiet") || !has("watched") || !has("busy") {
		t.Fatalf("after 70 min: quiet %v watched %v busy %v (want false, true, true)", has("quiet"), has("watched"), has("busy"))
	}
	sub.Close()
	now = now.Add(61 * time.Minute)
	b.Publish(ctx, "other", "e", nil)
	if has("watched") || has("busy") || !has("other") {
		t.Errorf("an hour later: watched %v, busy %v, other %v (want false, false, true)", has("watched"), has("busy"), has("other"))
	}
}
