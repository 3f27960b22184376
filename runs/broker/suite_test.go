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

	t.Run("DropEndsSubscribersAndForgetsEvents", func(t *testing.T) {
		b := newBroker(t)
		var last Event
		for i := range 3 {
			last, _ = b.Publish(ctx, "drop-1", "values", fmt.Appendf(nil, "%d", i))
		}
		reader, _ := b.Subscribe(ctx, "drop-1", Start)
		for range 3 { // read everything: a Redis subscription has no batch left
			if _, ok, err := reader.Next(ctx); !ok || err != nil {
				t.Fatalf("Next before Drop: %v %v", ok, err)
			}
		}
		live, _ := b.Subscribe(ctx, "drop-1", "")
		blocked := make(chan error, 1)
		go func() {
			nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, _, err := live.Next(nctx)
			blocked <- err
		}()
		time.Sleep(20 * time.Millisecond)
		if err := b.Drop(ctx, "drop-1"); err != nil {
			t.Fatal(err)
		}
		if err := <-blocked; !errors.Is(err, ErrDropped) {
			t.Errorf("blocked Next after Drop: %v, want ErrDropped", err)
		}
		nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		for range 2 { // and it stays so
			if _, ok, err := reader.Next(nctx); ok || !errors.Is(err, ErrDropped) {
				t.Errorf("Next after Drop: ok %v, %v; want ErrDropped", ok, err)
			}
		}
		// The name starts afresh: no event from before, by Start or by id.
		fromStart, _ := b.Subscribe(ctx, "drop-1", Start)
		fromID, _ := b.Subscribe(ctx, "drop-1", last.ID)
		b.Publish(ctx, "drop-1", "values", []byte("new"))
		b.Finish(ctx, "drop-1")
		if got := names(collect(t, fromStart)); got != "values:new " {
			t.Errorf("from start after Drop: %q", got)
		}
		if got := names(collect(t, fromID)); got != "values:new " {
			t.Errorf("after the old last id, after Drop: %q", got)
		}
		if err := b.Drop(ctx, "never-published"); err != nil {
			t.Errorf("Drop of an unknown stream: %v", err)
		}
	})

	t.Run("IDsIncreaseAcrossFinish", func(t *testing.T) {
		// A thread stream is finished and reopened by its next run: ids
		// assigned by the broker (or by the Redis writer) keep increasing.
		b := newBroker(t)
		var ids []string
		for range 3 {
			for range 3 {
				ev, err := b.Publish(ctx, "thread-1", "metadata", []byte(`{}`))
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, ev.ID)
			}
			b.Finish(ctx, "thread-1")
		}
		for i := 1; i < len(ids); i++ {
			a, _ := parseID(ids[i-1])
			c, _ := parseID(ids[i])
			if !a.less(c) {
				t.Errorf("ids not increasing: %s then %s", ids[i-1], ids[i])
			}
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
