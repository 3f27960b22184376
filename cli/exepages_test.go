package cli

import (
	"strings"
	"testing"
)

func TestReleasableMappings(t *testing.T) {
	const exe = "/usr/bin/agentgate"
	smaps := `00400000-01af0000 r-xp 00000000 08:01 42 /usr/bin/agentgate
Size:              23488 kB
Rss:               14900 kB
Anonymous:             0 kB
01af0000-033fd000 r--p 016f0000 08:01 42 /usr/bin/agentgate
Rss:                8000 kB
Anonymous:             4 kB
033fd000-034d8000 rw-p 02ffd000 08:01 42 /usr/bin/agentgate
Rss:                 800 kB
Anonymous:           300 kB
034d8000-03500000 r--p 030d8000 08:01 42 /usr/bin/agentgate
Rss:                  40 kB
Anonymous:             0 kB
7f0000000000-7f0000100000 r-xp 00000000 08:01 77 /usr/lib/libc.so.6
Rss:                1000 kB
Anonymous:             0 kB
7f0000200000-7f0000300000 rw-p 00000000 00:00 0
Rss:                1024 kB
Anonymous:          1024 kB
7f0000400000-7f0000500000 r--s 00000000 08:01 42 /usr/bin/agentgate
Rss:                  64 kB
Anonymous:             0 kB
`
	got, err := releasableMappings(strings.NewReader(smaps), exe)
	if err != nil {
		t.Fatal(err)
	}
	want := []exeMapping{{0x400000, 0x1af0000, 14900 << 10}, {0x34d8000, 0x3500000, 40 << 10}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mapping %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
