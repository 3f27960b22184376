package cli

import (
	"testing"
	"time"

	"github.com/agentgate/agentgate/config"
)

// TestCheckpointerTTLConfig: langgraph.json checkpointer.ttl reaches the
// store (new threads get its TTL) and the sweeper (interval and limit).
func TestCheckpointerTTLConfig(t *testing.T) {
	dir := writeConfig(t, `{"checkpointer": {"ttl": {"strategy": "keep_latest", "default_ttl": 60, "sweep_interval_minutes": 2, "sweep_limit": 7}}}`)
	r := start(t, nil, "dev", "--memory", "--port", "0", "--config", dir)
	code, _, th := call(t, "POST", r.url+"/threads", `{}`)
	if code != 200 {
		t.Fatalf("create thread: %d %v", code, th)
	}
	code, _, got := call(t, "GET", r.url+"/threads/"+th["thread_id"].(string)+"?include=ttl", "")
	if ttl, _ := got["ttl"].(map[string]any); code != 200 || ttl["strategy"] != "keep_latest" || ttl["ttl"] != 60.0 {
		t.Errorf("thread: %d, ttl %v", code, got["ttl"])
	}
	_, _, own := call(t, "POST", r.url+"/threads", `{"ttl": {"strategy": "delete", "ttl": 5}}`)
	code, _, got = call(t, "GET", r.url+"/threads/"+own["thread_id"].(string)+"?include=ttl", "")
	if ttl, _ := got["ttl"].(map[string]any); code != 200 || ttl["strategy"] != "delete" || ttl["ttl"] != 5.0 {
		t.Errorf("a thread's own ttl: %d %v", code, got["ttl"])
	}
	if every, limit := checkpointSweep(nil, 0); every != 0 || limit != 0 {
		t.Errorf("no checkpointer: %v %d", every, limit)
	}
}

func TestCheckpointSweepInterval(t *testing.T) {
	two, ten := int64(2), int64(10)
	for _, c := range []struct {
		store, want time.Duration
		cp          *int64
	}{
		{0, 2 * time.Minute, &two},
		{5 * time.Minute, 2 * time.Minute, &two},
		{5 * time.Minute, 5 * time.Minute, &ten},
		{5 * time.Minute, 5 * time.Minute, nil},
	} {
		cp := &config.Checkpointer{TTL: &config.CheckpointTTL{Strategy: "delete", SweepIntervalMinutes: c.cp}}
		if got, _ := checkpointSweep(cp, c.store); got != c.want {
			t.Errorf("store every %v, checkpointer %v: %v, want %v", c.store, c.cp, got, c.want)
		}
	}
}
