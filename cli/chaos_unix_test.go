//go:build unix

package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agentgate/agentgate/internal/testenv"
)

// replicas are the live servers the load goes to.
type replicas struct {
	mu   sync.Mutex
	urls []string
	next int
}

func (r *replicas) pick() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.urls) == 0 {
		return ""
	}
	r.next++
	return r.urls[r.next%len(r.urls)]
}

func (r *replicas) set(urls ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.urls = urls
}

// TestChaos runs two replicas on Postgres and Redis, each behind the
// project's fault proxy, under a steady load of streamed runs on a few
// threads, and injects in turn: a Redis stall, a Postgres drop, SIGTERM of
// one replica under load and SIGKILL of the other (each restarted). Then
// it checks the invariants: every acknowledged thread and run exists, every
// run ends in a terminal state, two runs never executed on one thread at
// once, every stream ended with its run or with an error event (a stream
// is cut only by the killed process), SIGTERM honoured --shutdown-timeout,
// and the replicas' memory stayed bounded.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30 s chaos run")
	}
	db, pg := viaProxy(t, testenv.FreshPostgres(t))
	redis, rd := viaProxy(t, testenv.RedisURL(t))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "langgraph.json"), []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	mon := newChaosMonitor(t)
	const shutdownTimeout = 4 * time.Second
	start := func() (string, *os.Process) {
		u, cmd := startReplica(t, []string{"serve", "--addr", "127.0.0.1:0", "--config", dir, "--database", db,
			"--redis-url", redis, "--log-level", "warn", "--shutdown-timeout", shutdownTimeout.String()},
			testChaosEnv+"="+mon.srv.URL)
		return u, cmd.Process
	}
	a, aproc := start()
	b, bproc := start()
	live := &replicas{}
	live.set(a, b)

	var threads []string
	for i := range 6 {
		code, _, th := call(t, "POST", []string{a, b}[i%2]+"/threads", `{"metadata": {"chaos": true}}`)
		if code != 200 {
			t.Fatalf("create thread: %d %v", code, th)
		}
		threads = append(threads, th["thread_id"].(string))
	}

	// Load: one client per thread, streaming one run after another.
	stop := make(chan struct{})
	var mu sync.Mutex
	var outcomes []streamOutcome
	servedBy := map[int]string{} // outcome index → replica URL
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 60 * time.Second}
	for _, th := range threads {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				base := live.pick()
				o := streamRun(client, base, th)
				mu.Lock()
				servedBy[len(outcomes)] = base
				outcomes = append(outcomes, o)
				mu.Unlock()
				if o.status != 200 {
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}

	time.Sleep(2 * time.Second)
	t.Log("Redis stalls for 3 s")
	rd.Stall()
	time.Sleep(3 * time.Second)
	rd.Resume()
	time.Sleep(2 * time.Second)
	t.Log("Postgres drops every connection for 1 s")
	pg.Drop()
	time.Sleep(time.Second)
	pg.Resume()
	time.Sleep(2 * time.Second)

	t.Log("SIGTERM replica A under load")
	live.set(b)
	termAt := time.Now()
	if err := aproc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	st, err := aproc.Wait()
	took := time.Since(termAt)
	if err != nil || !st.Success() {
		t.Errorf("replica A after SIGTERM: %v %v", st, err)
	}
	if took > shutdownTimeout+5*time.Second {
		t.Errorf("replica A took %v to stop after SIGTERM, want about --shutdown-timeout (%v)", took, shutdownTimeout)
	}
	mon.exited(aproc.Pid)
	a2, a2proc := start()
	live.set(a2, b)
	time.Sleep(4 * time.Second)

	t.Log("SIGKILL replica B under load")
	live.set(a2)
	if err := bproc.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = bproc.Wait()
	mon.exited(bproc.Pid)
	b2, b2proc := start()
	live.set(a2, b2)
	time.Sleep(4 * time.Second)
	close(stop)
	wg.Wait()

	checkChaos(t, a2, b, threads, outcomes, servedBy, mon)
	for _, p := range []*os.Process{a2proc, b2proc} {
		if rss := vmRSS(p.Pid); rss == 0 || rss > 400<<20 {
			t.Errorf("replica %d RSS %d MB after the run, want under 400 MB", p.Pid, rss>>20)
		} else {
			t.Logf("replica %d RSS %d MB", p.Pid, rss>>20)
		}
	}
}

// checkChaos checks the invariants once every run has had time to end.
func checkChaos(t *testing.T, base, killed string, threads []string, outcomes []streamOutcome, servedBy map[int]string, mon *chaosMonitor) {
	t.Helper()
	type runInfo struct {
		Status    string    `json:"status"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	get := func(th, run string) (int, runInfo) {
		resp, err := http.Get(base + "/threads/" + th + "/runs/" + run)
		if err != nil {
			return 0, runInfo{}
		}
		defer resp.Body.Close()
		var ri runInfo
		_ = json.NewDecoder(resp.Body).Decode(&ri)
		return resp.StatusCode, ri
	}
	statuses := map[string]int{}
	codes := map[int]int{}
	for _, o := range outcomes {
		codes[o.status]++
		if o.status >= 500 && o.status != http.StatusServiceUnavailable {
			t.Errorf("a run request on thread %s answered %d: a fault must give 503 (retry) or be survived", o.thread, o.status)
		}
	}
	acked, cut := 0, 0
	deadline := time.Now().Add(45 * time.Second)
	for i, o := range outcomes {
		if o.run == "" {
			continue
		}
		acked++
		code, ri := get(o.thread, o.run)
		for (code != 200 || !terminalStatus(ri.Status)) && time.Now().Before(deadline) {
			time.Sleep(250 * time.Millisecond)
			code, ri = get(o.thread, o.run)
		}
		statuses[ri.Status]++
		switch {
		case code != 200:
			t.Errorf("acknowledged run %s: GET %d (lost)", o.run, code)
			continue
		case !terminalStatus(ri.Status):
			t.Errorf("run %s still %s 45 s after the load stopped", o.run, ri.Status)
		}
		switch {
		case !o.clean:
			cut++
			if servedBy[i] != killed {
				t.Errorf("run %s: its stream from %s was cut without an error event (only the killed replica may cut one)", o.run, servedBy[i])
			}
		case o.errEvent != "":
			if !strings.Contains(o.errEvent, `"retryable":true`) {
				t.Errorf("run %s: its stream ended with an error event a client cannot act on: %s", o.run, o.errEvent)
			}
		case ri.UpdatedAt.After(o.ended.Add(50 * time.Millisecond)):
			t.Errorf("run %s: its stream ended at %v without an error event, before the run ended (%v, %s)",
				o.run, o.ended.Format(time.StampMicro), ri.UpdatedAt.Format(time.StampMicro), ri.Status)
		}
	}
	for _, th := range threads {
		if code, _, _ := call(t, "GET", base+"/threads/"+th, ""); code != 200 {
			t.Errorf("acknowledged thread %s: GET %d", th, code)
		}
	}
	mon.mu.Lock()
	defer mon.mu.Unlock()
	for _, o := range mon.overlaps {
		t.Error("two runs executed on one thread: " + o)
	}
	t.Logf("%d run requests (status: %v), %d runs acknowledged (%v), %d streams cut by the kill; %d node starts",
		len(outcomes), codes, acked, statuses, cut, mon.starts)
	if acked < 20 {
		t.Errorf("only %d runs were acknowledged: the load did not run", acked)
	}
}

func terminalStatus(s string) bool {
	return s == "success" || s == "error" || s == "timeout" || s == "interrupted"
}

// vmRSS is a process's resident set in bytes (0 if unknown).
func vmRSS(pid int) int64 { return procStatusBytes(pid, "VmRSS") }

// procStatusBytes reads a "kB" field of /proc/PID/status in bytes (0 if
// unknown).
func procStatusBytes(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
