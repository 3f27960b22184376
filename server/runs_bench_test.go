package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/runs/broker"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/memory"
	"github.com/agentgate/agentgate/storage/postgres"
)

func benchServer(b *testing.B, st storage.Store) *httptest.Server { return benchServerWith(b, st, nil) }

// benchServerWith is benchServer with a broker (nil: in process).
func benchServerWith(b *testing.B, st storage.Store, bk broker.Broker) *httptest.Server {
	b.Helper()
	chat, err := chatbot.New(llm.Echo{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(context.Background(), Options{Store: st, Graphs: map[string]Graph{"chatbot": chat},
		Runs: RunsOptions{Broker: bk}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	hs := httptest.NewServer(s.Handler())
	b.Cleanup(hs.Close)
	return hs
}

const benchBody = `{"assistant_id":"chatbot","input":{"messages":[{"type":"human","content":"hello there, how are you"}]}}`

// benchWait measures stateless POST /runs/wait on the echo chatbot over
// real HTTP with 10 concurrent clients per server (the target:
// 1,000 runs/s); with several stores (replicas sharing one database),
// each gets its own server and the clients take turns between them.
func benchWait(b *testing.B, stores ...storage.Store) { benchWaitOn(b, false, stores...) }

// benchWaitOn is benchWait, with the run events through Redis when
// viaRedis (as replicas share them in production).
func benchWaitOn(b *testing.B, viaRedis bool, stores ...storage.Store) {
	var bk func() broker.Broker
	if viaRedis {
		opt, err := redis.ParseURL(testenv.RedisURL(b))
		if err != nil {
			b.Fatal(err)
		}
		rdb := redis.NewClient(opt)
		b.Cleanup(func() { rdb.Close() })
		prefix := "agentgate-bench:" + uuid.NewString() + ":"
		b.Cleanup(func() {
			if keys, _ := rdb.Keys(context.Background(), prefix+"*").Result(); len(keys) > 0 {
				rdb.Del(context.Background(), keys...)
			}
		})
		bk = func() broker.Broker { return broker.NewRedis(rdb, broker.RedisOptions{Prefix: prefix}) }
	}
	var urls []string
	for _, st := range stores {
		var b1 broker.Broker
		if bk != nil {
			b1 = bk()
		}
		urls = append(urls, benchServerWith(b, st, b1).URL)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(max(1, 10*len(stores)/runtime.GOMAXPROCS(0))) // about 10 clients per server
	var failed, next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		url := urls[int(next.Add(1))%len(urls)]
		for pb.Next() {
			resp, err := client.Post(url+"/runs/wait", "application/json", strings.NewReader(benchBody))
			if err != nil {
				failed.Add(1)
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), "You said") {
				if failed.Add(1) == 1 {
					b.Logf("first failure: %d %.300s", resp.StatusCode, body)
				}
			}
		}
	})
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d failed runs", n)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

func BenchmarkRunsWait(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchWait(b, memory.New()) })
	b.Run("sqlite", func(b *testing.B) { benchWait(b, openStore(b, "sqlite")) })
	b.Run("postgres", func(b *testing.B) { benchWait(b, openStore(b, "postgres")) })
	// One and two replicas (stores, schedulers and servers) on one
	// database, their events through Redis.
	for n := 1; n <= 2; n++ {
		b.Run(fmt.Sprintf("postgres-redis-%d-replicas", n), func(b *testing.B) {
			u := testenv.FreshPostgres(b)
			var stores []storage.Store
			for range n {
				st, err := postgres.Open(context.Background(), u)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { st.Close() })
				stores = append(stores, st)
			}
			benchWaitOn(b, true, stores...)
		})
	}
}

// BenchmarkStreamFirstEvent measures the time from sending POST
// /threads/{id}/runs/stream to reading the first SSE event (metadata).
func BenchmarkStreamFirstEvent(b *testing.B) {
	st := memory.New()
	hs := benchServer(b, st)
	client := &http.Client{}
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		resp, err := client.Post(hs.URL+"/runs/stream", "application/json", strings.NewReader(benchBody))
		if err != nil {
			b.Fatal(err)
		}
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		total += time.Since(start)
		if err != nil || line != "event: metadata\n" {
			b.Fatalf("first line %q, %v", line, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs-to-first-event")
}

// BenchmarkOpenStreams holds 1,000 join streams open on one queued run and
// reports the heap they take (the target: bounded memory).
func BenchmarkOpenStreams(b *testing.B) {
	const n = 1000
	st := memory.New()
	hs := benchServer(b, st)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0}}
	for b.Loop() {
		resp, err := client.Post(hs.URL+"/threads", "application/json", strings.NewReader(`{}`))
		if err != nil {
			b.Fatal(err)
		}
		var th struct {
			ThreadID string `json:"thread_id"`
		}
		json.NewDecoder(resp.Body).Decode(&th)
		resp.Body.Close()
		resp, err = client.Post(hs.URL+"/threads/"+th.ThreadID+"/runs", "application/json",
			strings.NewReader(`{"assistant_id":"chatbot","input":{"messages":"hi"},"after_seconds":600}`))
		if err != nil {
			b.Fatal(err)
		}
		var run struct {
			RunID string `json:"run_id"`
		}
		json.NewDecoder(resp.Body).Decode(&run)
		resp.Body.Close()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		bodies := make([]io.ReadCloser, 0, n)
		for range n {
			resp, err := client.Get(hs.URL + "/threads/" + th.ThreadID + "/runs/" + run.RunID + "/stream")
			if err != nil {
				b.Fatal(err)
			}
			bodies = append(bodies, resp.Body)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n, "heap-B/stream")
		b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
		for _, body := range bodies {
			body.Close()
		}
	}
}
