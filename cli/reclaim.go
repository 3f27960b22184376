package cli

import (
	"context"
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"
)

// stopHeapProfiling turns off the Go runtime's sampling of allocations for
// heap profiles, which nothing in the server reads and whose bookkeeping
// took 3-4 MB of a busy server (docs/benchmarks.md), unless GODEBUG sets
// memprofilerate (GODEBUG=memprofilerate=524288 keeps Go's default).
func stopHeapProfiling(godebug string) {
	if !strings.Contains(godebug, "memprofilerate=") {
		runtime.MemProfileRate = 0
	}
}

// Memory reclaiming: the Go runtime collects garbage when the program
// allocates, and forces a collection only every two minutes. After a burst
// (big messages, many streams) an idle server thus keeps the memory of
// events it has already dropped. Every reclaimEvery, a quiet process
// collects and gives free memory back to the OS (debug.FreeOSMemory).
const (
	reclaimEvery = 10 * time.Second
	reclaimSlack = 16 << 20 // heap bytes below which nothing is done
	reclaimQuiet = 30 * time.Second
)

// heapSample is what reclaim looks at.
type heapSample struct {
	gcCycles uint64 // completed GC cycles
	objects  uint64 // heap bytes in objects, live or not yet collected
	live     uint64 // live heap bytes at the last GC
	free     uint64 // free heap bytes not yet returned to the OS
}

func readHeap() heapSample {
	s := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(s)
	var h heapSample
	for i, p := range []*uint64{&h.gcCycles, &h.objects, &h.live, &h.free} {
		if s[i].Value.Kind() == metrics.KindUint64 {
			*p = s[i].Value.Uint64()
		}
	}
	return h
}

// reclaimState is what reclaim remembers of its last run.
type reclaimState struct {
	at    time.Time // of the last reclaim
	freed uint64    // heap bytes it gave back
}

// shouldReclaim: no collection ran since the last check (the server is
// quiet: garbage is only collected when a program allocates), and the heap
// holds more than reclaimSlack, unless the last reclaim, within
// reclaimQuiet, found next to nothing to free (a large live heap).
func shouldReclaim(prev, now heapSample, last reclaimState, at time.Time) bool {
	if now.gcCycles != prev.gcCycles {
		return false // busy: the runtime collects and scavenges by itself
	}
	if now.objects+now.free <= reclaimSlack {
		return false
	}
	return at.Sub(last.at) >= reclaimQuiet || last.freed >= reclaimSlack/4
}

// reclaimMemory runs until ctx ends.
func reclaimMemory(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(reclaimEvery)
	defer t.Stop()
	prev := readHeap()
	var last reclaimState
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			cur := readHeap()
			if shouldReclaim(prev, cur, last, now) {
				start := time.Now()
				debug.FreeOSMemory()
				after := readHeap()
				last = reclaimState{at: now}
				if held, left := cur.objects+cur.free, after.objects+after.free; held > left {
					last.freed = held - left
				}
				log.Debug("memory reclaimed", "took_ms", time.Since(start).Milliseconds(), "freed_bytes", last.freed,
					"live_bytes", after.live)
				cur = after
			}
			prev = cur
		}
	}
}
