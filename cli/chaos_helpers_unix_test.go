//go:build unix

package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph"
)

// testChaosEnv holds the URL of the chaos monitor; with it set, the test
// child serves the graph "chaos" (see TestMain).
const testChaosEnv = "AGENTGATE_TEST_CHAOS_MONITOR"

// chaosGraph's one node tells the monitor when it starts and ends on its
// thread and works 300 ms (or until cancelled) in between.
func chaosGraph(monitor string) func() (*graph.Graph, error) {
	report := func(what string, info graph.NodeInfo) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		q := url.Values{"thread": {info.ThreadID}, "run": {info.RunID}, "pid": {strconv.Itoa(os.Getpid())}}
		req, _ := http.NewRequestWithContext(ctx, "POST", monitor+"/"+what+"?"+q.Encode(), nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	return func() (*graph.Graph, error) {
		return graph.New().AddChannel("n", graph.LastValue[int]()).
			AddNode("work", func(ctx context.Context, s graph.State) (any, error) {
				info := graph.Info(ctx)
				report("start", info)
				defer report("end", info)
				select {
				case <-time.After(300 * time.Millisecond):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				n, _ := s["n"].(int)
				return graph.State{"n": n + 1}, nil
			}).
			AddEdge(graph.START, "work").AddEdge("work", graph.END).Compile()
	}
}

// chaosMonitor records which runs execute on which thread, by process, and
// every time two runs executed on one thread at once.
type chaosMonitor struct {
	srv      *httptest.Server
	mu       sync.Mutex
	running  map[string]map[string]int // thread → run → pid
	dead     map[int]bool
	starts   int
	overlaps []string
}

func newChaosMonitor(t *testing.T) *chaosMonitor {
	m := &chaosMonitor{running: map[string]map[string]int{}, dead: map[int]bool{}}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		th, run := q.Get("thread"), q.Get("run")
		pid, _ := strconv.Atoi(q.Get("pid"))
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.running[th] == nil {
			m.running[th] = map[string]int{}
		}
		switch r.URL.Path {
		case "/start":
			m.starts++
			for other, p := range m.running[th] {
				if !m.dead[p] {
					m.overlaps = append(m.overlaps, fmt.Sprintf("thread %s: run %s (pid %d) started while run %s (pid %d) executed", th, run, pid, other, p))
				}
			}
			m.running[th][run] = pid
		case "/end":
			delete(m.running[th], run)
		}
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// exited forgets the runs of a process that is gone: they execute no more.
func (m *chaosMonitor) exited(pid int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dead[pid] = true
}

// streamOutcome is how one POST /threads/{id}/runs/stream went.
type streamOutcome struct {
	thread, run string // run is "" when the run was never acknowledged
	status      int
	lastEvent   string
	errEvent    string // the data of an error event
	clean       bool   // the response ended properly (not cut)
	ended       time.Time
}

// streamRun starts a run on thread through base and reads its stream to
// the end.
func streamRun(client *http.Client, base, thread string) streamOutcome {
	o := streamOutcome{thread: thread}
	body := `{"assistant_id": "chaos", "input": {}, "multitask_strategy": "enqueue", "stream_mode": ["values"]}`
	resp, err := client.Post(base+"/threads/"+thread+"/runs/stream", "application/json", strings.NewReader(body))
	if err != nil {
		return o
	}
	defer resp.Body.Close()
	o.status = resp.StatusCode
	if resp.StatusCode != 200 {
		io.Copy(io.Discard, resp.Body)
		return o
	}
	br := bufio.NewReader(resp.Body)
	event := ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			o.clean = errors.Is(err, io.EOF) && line == ""
			o.ended = time.Now()
			return o
		}
		line = strings.TrimRight(line, "\n")
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
			o.lastEvent = e
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		if event == "metadata" && o.run == "" {
			if i := strings.Index(data, `"run_id":"`); i >= 0 {
				rest := data[i+len(`"run_id":"`):]
				o.run = rest[:strings.IndexByte(rest, '"')]
			}
		}
		if event == "error" {
			o.errEvent = data
		}
	}
}
