package cli

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Memory reclaiming: the Go runtime collects garbage when the program
// allocates, and forces a collection only every two minutes. After a burst
// (big messages, many streams) an idle server thus keeps the memory of
// events it has already dropped. reclaimEvery checks whether that is the
// case and gives it back to the OS.
const (
	reclaimEvery = 10 * time.Second
	reclaimSlack = 16 << 20 // bytes of garbage or free heap worth a reclaim
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

// shouldReclaim: no collection ran since the last check (the server is
// quiet) and garbage or free heap beyond the slack is held.
func shouldReclaim(prev, now heapSample) bool {
	if now.gcCycles != prev.gcCycles {
		return false // busy: the runtime collects and scavenges by itself
	}
	garbage := uint64(0)
	if now.objects > now.live {
		garbage = now.objects - now.live
	}
	return garbage+now.free > reclaimSlack
}

// reclaimMemory runs until ctx ends.
func reclaimMemory(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(reclaimEvery)
	defer t.Stop()
	prev := readHeap()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := readHeap()
		if shouldReclaim(prev, now) {
			start := time.Now()
			debug.FreeOSMemory()
			now = readHeap()
			log.Debug("memory reclaimed", "took_ms", time.Since(start).Milliseconds(), "live_bytes", now.live)
		}
		prev = now
	}
}
