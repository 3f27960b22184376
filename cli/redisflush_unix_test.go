//go:build unix

package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentgate/agentgate/internal/testenv"
)

// TestExitFlushesQueuedEvents: the events of a run that ended while Redis
// was unreachable are queued in process; on SIGTERM the server waits for
// them (at most eventFlushTimeout), so once Redis is back they are stored
// before the process exits, and the run's stream can be replayed.
func TestExitFlushesQueuedEvents(t *testing.T) {
	db := testenv.FreshPostgres(t)
	direct := testenv.RedisURL(t)
	rurl, rp := viaProxy(t, direct)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "langgraph.json"), []byte(`{"graphs": {"agent": "builtin:chatbot"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	u, cmd := startReplica(t, []string{"serve", "--addr", "127.0.0.1:0", "--config", dir, "--database", db,
		"--redis-url", rurl, "--log-level", "warn"})
	code, _, tb := call(t, "POST", u+"/threads", `{}`)
	if code != 200 {
		t.Fatalf("create thread: %d %v", code, tb)
	}
	th := tb["thread_id"].(string)

	rp.Drop() // every write to Redis fails and stays queued
	code, _, rb := call(t, "POST", u+"/threads/"+th+"/runs",
		`{"assistant_id": "agent", "input": {"messages": [{"type": "human", "content": "hello"}]}}`)
	if code != 200 {
		t.Fatalf("create run: %d %v", code, rb)
	}
	run := rb["run_id"].(string)
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(u + "/threads/" + th + "/runs/" + run)
		if err != nil {
			t.Fatal(err)
		}
		var r struct{ Status string }
		_ = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if r.Status == "success" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the run did not finish while Redis was down (status %q)", r.Status)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the process has stopped its runs and waits for Redis
	rp.Resume()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(eventFlushTimeout + 5*time.Second):
		t.Fatal("the server did not exit after SIGTERM")
	}

	opt, err := redis.ParseURL(direct)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	key := "agentgate:stream:run:" + run
	defer rdb.Del(context.Background(), key)
	msgs, err := rdb.XRange(t.Context(), key, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ended := false
	for _, m := range msgs {
		if _, ok := m.Values["end"]; ok {
			ended = true
			continue
		}
		n, _ := m.Values["n"].(string)
		names = append(names, n)
	}
	if len(names) < 2 || names[0] != "metadata" || !ended {
		t.Errorf("after the exit Redis holds %v (ended %v) for the run: its events were lost", names, ended)
	}
}
