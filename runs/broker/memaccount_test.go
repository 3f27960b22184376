package broker

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// TestMemoryManySmallStreamsStayUnderTotal: streams that finish faster
// than their retention (a busy server's runs) are bounded by
// MaxTotalBytes with their records, not only their events.
func TestMemoryManySmallStreamsStayUnderTotal(t *testing.T) {
	ctx := context.Background()
	const limit = 64 << 10
	b, clock := newFakeMemory(t, MemoryOptions{MaxTotalBytes: limit})
	for i := range 20_000 {
		run := fmt.Sprintf("run:%08d", i)
		b.Publish(ctx, run, "values", []byte(`{"messages":[]}`))
		b.Publish(ctx, run, "end", nil)
		b.Finish(ctx, run)
		thread := fmt.Sprintf("thread:%04d", i%1000)
		b.Publish(ctx, thread, "values", []byte(`{"messages":[]}`))
		b.Settle(ctx, thread)
		clock.add(time.Millisecond) // 20 s in all: within the retention
		if got := b.Bytes(); got > limit {
			t.Fatalf("after %d runs: %d bytes counted, over %d", i+1, got, limit)
		}
	}
	b.mu.Lock()
	streams, ended := len(b.streams), len(b.ended)-b.endedHead
	b.mu.Unlock()
	if maxRecords := limit / streamOverhead; streams > maxRecords {
		t.Errorf("%d stream records kept, want at most %d", streams, maxRecords)
	}
	if ended > 2*streams+2*1000+1024 {
		t.Errorf("%d entries in ended for %d streams", ended, streams)
	}
	checkAccounts(t, b)
	// What is left still replays: the newest run's events are there.
	sub, _ := b.Subscribe(ctx, "run:00019999", Start)
	defer sub.Close()
	if got := drain(t, sub); got != `{"messages":[]} ` {
		t.Errorf("newest run replays %q", got)
	}
}

// TestMemoryOverheadsCoverTheHeap: what the broker counts for events and
// stream records is at least what they take on the Go heap, for finished
// runs with a few events each and for one long stream.
func TestMemoryOverheadsCoverTheHeap(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name            string
		streams, events int
	}{
		{"runs with 3 events", 20_000, 3},
		{"one stream", 1, 60_000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := NewMemory(MemoryOptions{MaxTotalBytes: 1 << 30, MaxStreamBytes: 1 << 30})
			defer b.Close()
			names := make([]string, c.streams) // made before: the caller's strings
			for i := range names {
				names[i] = fmt.Sprintf("run:%036d", i)
			}
			before := heapAlloc()
			for _, name := range names {
				for range c.events {
					b.Publish(ctx, name, "values", make([]byte, 64))
				}
				if c.streams > 1 {
					b.Finish(ctx, name)
				}
			}
			used := heapAlloc() - before
			counted := b.Bytes()
			t.Logf("heap %d bytes, counted %d (%.0f%%)", used, counted, 100*float64(counted)/float64(used))
			if counted < used {
				t.Errorf("counted %d bytes for %d on the heap", counted, used)
			}
			if counted > 2*used {
				t.Errorf("counted %d bytes for only %d on the heap: the overheads are too high", counted, used)
			}
			runtime.KeepAlive(names)
		})
	}
}

func heapAlloc() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
