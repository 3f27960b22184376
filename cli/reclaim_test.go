package cli

import "testing"

func TestShouldReclaim(t *testing.T) {
	idle := heapSample{gcCycles: 7, objects: 150 << 20, live: 20 << 20}
	for _, c := range []struct {
		name      string
		prev, now heapSample
		want      bool
	}{
		{"quiet with garbage", idle, idle, true},
		{"busy: a GC ran", heapSample{gcCycles: 6}, idle, false},
		{"quiet and small", idle, heapSample{gcCycles: 7, objects: 30 << 20, live: 25 << 20, free: 4 << 20}, false},
		{"quiet with free heap", idle, heapSample{gcCycles: 7, objects: 20 << 20, live: 20 << 20, free: 40 << 20}, true},
	} {
		if got := shouldReclaim(c.prev, c.now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestReadHeapSeesAllocations: the runtime metrics reclaim reads exist
// (a renamed metric would read as zero and never reclaim).
func TestReadHeapSeesAllocations(t *testing.T) {
	h := readHeap()
	if h.objects == 0 {
		t.Fatalf("heap sample %+v", h)
	}
	keep := make([]byte, 32<<20)
	keep[0] = 1
	if after := readHeap(); after.objects < h.objects+(16<<20) {
		t.Errorf("objects %d after a 32 MiB allocation, was %d", after.objects, h.objects)
	}
	_ = keep[len(keep)-1]
}
