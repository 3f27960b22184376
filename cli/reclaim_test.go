package cli

import (
	"runtime"
	"testing"
	"time"
)

func TestShouldReclaim(t *testing.T) {
	at := time.Unix(10_000, 0)
	quiet := heapSample{gcCycles: 7, objects: 150 << 20, live: 20 << 20}
	for _, c := range []struct {
		name      string
		prev, now heapSample
		last      reclaimState
		want      bool
	}{
		{"quiet with a big heap", quiet, quiet, reclaimState{}, true},
		{"busy: a GC ran", heapSample{gcCycles: 6}, quiet, reclaimState{}, false},
		{"quiet and small", quiet, heapSample{gcCycles: 7, objects: 10 << 20, live: 9 << 20, free: 4 << 20}, reclaimState{}, false},
		{"quiet with free heap", quiet, heapSample{gcCycles: 7, objects: 2 << 20, free: 40 << 20}, reclaimState{}, true},
		{"the last one freed little, lately", quiet, quiet, reclaimState{at: at.Add(-20 * time.Second), freed: 1 << 20}, false},
		{"the last one freed little, long ago", quiet, quiet, reclaimState{at: at.Add(-time.Minute), freed: 1 << 20}, true},
		{"the last one freed much, lately", quiet, quiet, reclaimState{at: at.Add(-20 * time.Second), freed: 30 << 20}, true},
	} {
		if got := shouldReclaim(c.prev, c.now, c.last, at); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestReadHeapSeesAllocations: the runtime metrics reclaim reads exist
// (a renamed metric would read as zero and never reclaim).
func TestReadHeapSeesAllocations(t *testing.T) {
	h := readHeap()
	if h.objects == 0 || h.live == 0 && h.gcCycles > 0 {
		t.Fatalf("heap sample %+v", h)
	}
	keep := make([]byte, 32<<20)
	keep[0] = 1
	if after := readHeap(); after.objects < h.objects+(16<<20) {
		t.Errorf("objects %d after a 32 MiB allocation, was %d", after.objects, h.objects)
	}
	_ = keep[len(keep)-1]
}

// TestStopHeapProfiling: heap profile sampling goes off unless GODEBUG
// sets memprofilerate.
func TestStopHeapProfiling(t *testing.T) {
	was := runtime.MemProfileRate
	t.Cleanup(func() { runtime.MemProfileRate = was })
	runtime.MemProfileRate = 4096
	stopHeapProfiling("gctrace=0,memprofilerate=4096")
	if runtime.MemProfileRate != 4096 {
		t.Errorf("with GODEBUG memprofilerate set: rate %d", runtime.MemProfileRate)
	}
	stopHeapProfiling("gctrace=0")
	if runtime.MemProfileRate != 0 {
		t.Errorf("without it: rate %d, want 0", runtime.MemProfileRate)
	}
}
