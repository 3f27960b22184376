package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// soak measures the server's memory (VmRSS) under load, on loopback only:
//
//	loadtool soak -big 30 -big-bytes 4194304 -duration 60s -rounds 2 -c 8 -- /path/agentgate dev --memory --port 0 --config DIR
//
// Phase 1 makes -big stateless runs whose input is one message of
// -big-bytes (the echo chatbot streams it back), then samples RSS for
// -settle. Phase 2 runs -rounds rounds of -duration of a mixed workload
// (threads, runs/wait, runs/stream, search, store) with -c clients,
// sampling RSS every 5 s, then samples it every 10 s for -after. It stops
// by itself. "all go" is the memory the Go runtime holds (heap, stacks and
// its own structures); the rest of anon is SQLite's (modernc allocates
// outside the Go heap).
func soak(args []string) error {
	fs := flag.NewFlagSet("soak", flag.ExitOnError)
	big := fs.Int("big", 30, "runs with a big message")
	bigBytes := fs.Int("big-bytes", 4<<20, "size of the big message")
	settle := fs.Duration("settle", 75*time.Second, "how long to watch RSS after the big runs")
	dur := fs.Duration("duration", 60*time.Second, "length of one mixed round")
	rounds := fs.Int("rounds", 2, "mixed rounds")
	conc := fs.Int("c", 8, "concurrent clients in the mixed rounds")
	after := fs.Duration("after", 30*time.Second, "how long to watch RSS after the last round")
	_ = fs.Parse(args)
	cmdline := fs.Args()
	if len(cmdline) == 0 {
		return errors.New("soak: the server command line follows --")
	}
	cmd, url, err := startServer(cmdline, nil)
	if err != nil {
		return err
	}
	defer stopServer(cmd)
	pid := cmd.Process.Pid
	rss := func(label string) {
		kb, err := vmRSS(pid)
		if err != nil {
			fmt.Printf("%-28s rss ?: %v\n", label, err)
			return
		}
		anon, file := rssParts(pid)
		g := goMem(url)
		fmt.Printf("%-28s rss %6.1f MB (anon %5.1f, file %5.1f)  go heap in use %6.1f MB, held %6.1f MB, all go %6.1f MB  events %6.1f MB\n", label,
			float64(kb)/1024, float64(anon)/1024, float64(file)/1024, g["heap_inuse"]/(1<<20),
			(g["heap_sys"]-g["heap_released"])/(1<<20), (g["sys"]-g["heap_released"])/(1<<20),
			float64(eventBytes(url))/(1<<20))
	}
	c := &http.Client{Timeout: 60 * time.Second}
	time.Sleep(time.Second)
	rss("idle")

	msg := strings.Repeat("x", *bigBytes)
	for i := range *big {
		body := map[string]any{"assistant_id": "agent", "input": map[string]any{
			"messages": []any{map[string]any{"type": "human", "content": msg}}}}
		if err := post(c, url+"/runs/wait", body); err != nil {
			return fmt.Errorf("big run %d: %w", i, err)
		}
	}
	rss(fmt.Sprintf("after %d x %d MB runs", *big, *bigBytes>>20))
	for t := time.Duration(0); t < *settle; t += 15 * time.Second {
		time.Sleep(15 * time.Second)
		rss(fmt.Sprintf("  +%s", t+15*time.Second))
	}

	var reqs, errs atomic.Int64
	for r := range *rounds {
		deadline := time.Now().Add(*dur)
		var wg sync.WaitGroup
		for w := range *conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(deadline); i++ {
					if err := mixed(c, url, w, i); err != nil {
						errs.Add(1)
					}
					reqs.Add(1)
				}
			}()
		}
		for time.Now().Before(deadline) {
			time.Sleep(5 * time.Second)
			rss(fmt.Sprintf("round %d", r+1))
		}
		wg.Wait()
		rss(fmt.Sprintf("end of round %d", r+1))
	}
	for t := time.Duration(0); t < *after; t += 10 * time.Second {
		time.Sleep(10 * time.Second)
		rss(fmt.Sprintf("  +%s", t+10*time.Second))
	}
	fmt.Printf("mixed iterations %d, failed %d\n", reqs.Load(), errs.Load())
	return nil
}

// mixed is one iteration of the mixed workload.
func mixed(c *http.Client, url string, w, i int) error {
	var th struct {
		ThreadID string `json:"thread_id"`
	}
	if err := postInto(c, url+"/threads", map[string]any{"metadata": map[string]any{"w": w}}, &th); err != nil {
		return err
	}
	in := map[string]any{"assistant_id": "agent", "input": map[string]any{
		"messages": []any{map[string]any{"type": "human", "content": fmt.Sprintf("hello %d", i)}}}}
	if err := post(c, url+"/threads/"+th.ThreadID+"/runs/wait", in); err != nil {
		return err
	}
	in["stream_mode"] = []string{"values", "messages-tuple"}
	if err := post(c, url+"/threads/"+th.ThreadID+"/runs/stream", in); err != nil {
		return err
	}
	if err := post(c, url+"/threads/search", map[string]any{"metadata": map[string]any{"w": w}, "limit": 10}); err != nil {
		return err
	}
	item := map[string]any{"namespace": []string{"soak", fmt.Sprint(w)}, "key": fmt.Sprint(i % 100),
		"value": map[string]any{"i": i}}
	if err := put(c, url+"/store/items", item); err != nil {
		return err
	}
	if i%10 == 0 {
		req, _ := http.NewRequest("DELETE", url+"/threads/"+th.ThreadID, nil)
		return do(c, req, nil)
	}
	return nil
}

func post(c *http.Client, url string, body any) error { return postInto(c, url, body, nil) }

func postInto(c *http.Client, url string, body, into any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return do(c, req, into)
}

func put(c *http.Client, url string, body any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("PUT", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return do(c, req, nil)
}

func do(c *http.Client, req *http.Request, into any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	if into != nil {
		return json.NewDecoder(resp.Body).Decode(into)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// eventBytes reads the run event bytes the server keeps (GET /metrics,
// open in dev); -1 when it cannot.
func eventBytes(url string) int64 {
	var m struct {
		Events struct {
			Bytes int64 `json:"bytes"`
		} `json:"events"`
	}
	resp, err := http.Get(url + "/metrics?format=json")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	if json.NewDecoder(resp.Body).Decode(&m) != nil {
		return -1
	}
	return m.Events.Bytes
}

// rssParts returns RssAnon and RssFile (kB): the process's own memory and
// the pages of files it maps (mostly the binary).
func rssParts(pid int) (anon, file int) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1, -1
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "RssAnon:"); ok {
			anon, _ = strconv.Atoi(strings.Fields(v)[0])
		}
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			file, _ = strconv.Atoi(strings.Fields(v)[0])
		}
	}
	return anon, file
}

// goMem reads the go_memstats_*_bytes gauges of GET /metrics by name
// (heap_inuse, heap_sys, heap_released, ...).
func goMem(url string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if k, found := strings.CutPrefix(name, "go_memstats_"); ok && found && strings.HasSuffix(k, "_bytes") {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			out[strings.TrimSuffix(k, "_bytes")] = f
		}
	}
	return out
}
