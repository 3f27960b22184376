package cli

import (
	"encoding/json"
	"os"
	"testing"
)

// TestReleaseExePagesLowersRSS: this test binary's start-up pages leave
// its RSS, and its code still runs.
func TestReleaseExePagesLowersRSS(t *testing.T) {
	before := rssFile(t)
	n, err := releaseExePages()
	if err != nil {
		t.Fatal(err)
	}
	after := rssFile(t)
	t.Logf("RssFile %d → %d kB, %d kB released", before>>10, after>>10, n>>10)
	if n < 1<<20 || after >= before {
		t.Errorf("released %d bytes; RssFile %d → %d", n, before, after)
	}
	if b, err := json.Marshal(map[string]any{"still": "runs"}); err != nil || string(b) != `{"still":"runs"}` {
		t.Errorf("after the release: %s %v", b, err)
	}
}

func rssFile(t *testing.T) int64 {
	t.Helper()
	n := procStatusBytes(os.Getpid(), "RssFile")
	if n == 0 {
		t.Fatal("no RssFile in /proc/self/status")
	}
	return n
}
