// Command loadtool helps scripts/load.sh measure agentgate.
//
//	loadtool startup -runs 5 -- /path/agentgate dev --port 0 --config DIR
//	    starts the server -runs times; prints the time from exec to the first
//	    200 from /ok, and VmRSS one second after that (median of the runs).
//	loadtool seed -url URL -n 100000 -c 16
//	    creates n threads through the API with metadata {"seq": i,
//	    "bucket": i % 1000, "tenant": "t-<i%1000>", "user": "user-<i%100>"}.
//	loadtool soak [flags] -- /path/agentgate dev --memory --port 0 --config DIR
//	    memory (VmRSS) after big-message runs and during a mixed soak (soak.go).
//	loadtool replicas -n 2 -cpu 0.5 -- /path/agentgate serve --addr 127.0.0.1:0 ...
//	    runs/wait throughput of n replicas on one database (replicas.go).
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadtool startup|seed|soak|replicas [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "startup":
		err = startup(os.Args[2:])
	case "seed":
		err = seed(os.Args[2:])
	case "soak":
		err = soak(os.Args[2:])
	case "replicas":
		err = replicas(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtool:", err)
		os.Exit(1)
	}
}

func startup(args []string) error {
	fs := flag.NewFlagSet("startup", flag.ExitOnError)
	runs := fs.Int("runs", 5, "how many times to start the server")
	_ = fs.Parse(args)
	cmdline := fs.Args()
	if len(cmdline) == 0 {
		return errors.New("startup: give the server command after --")
	}
	var ms []float64
	var rss []int
	for i := 0; i < *runs; i++ {
		d, kb, err := startOnce(cmdline)
		if err != nil {
			return err
		}
		ms = append(ms, float64(d.Microseconds())/1000)
		rss = append(rss, kb)
	}
	sort.Float64s(ms)
	sort.Ints(rss)
	fmt.Printf("startup_ms_median=%.1f startup_ms_all=%v idle_rss_kb_median=%d idle_rss_kb_all=%v\n",
		ms[len(ms)/2], ms, rss[len(rss)/2], rss)
	return nil
}

// startOnce runs the server, waits for /ok, reads its RSS a second later and
// stops it with SIGTERM.
func startOnce(cmdline []string) (time.Duration, int, error) {
	var stderr bytes.Buffer
	t0 := time.Now()
	cmd, url, err := startServer(cmdline, &stderr)
	if err != nil {
		return 0, 0, fmt.Errorf("%v; stderr: %s", err, stderr.String())
	}
	defer stopServer(cmd)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url + "/ok")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(t0) > 10*time.Second {
			return 0, 0, errors.New("/ok did not answer within 10s")
		}
		time.Sleep(200 * time.Microsecond)
	}
	d := time.Since(t0)
	time.Sleep(time.Second)
	kb, err := vmRSS(cmd.Process.Pid)
	return d, kb, err
}

// startServer starts the server's command line and returns it with the URL
// of its listening line, the first line it prints on stdout.
func startServer(cmdline []string, stderr io.Writer) (*exec.Cmd, string, error) {
	cmd := exec.Command(cmdline[0], cmdline[1:]...)
	cmd.Stderr = stderr
	dieWithUs(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stopServer(cmd)
		return nil, "", fmt.Errorf("no listening line: %v", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "agentgate listening on ")
	if !ok {
		stopServer(cmd)
		return nil, "", fmt.Errorf("unexpected first line %q", line)
	}
	return cmd, url, nil
}

// stopServer stops a server with SIGTERM and waits for it.
func stopServer(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
}

func vmRSS(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strconv.Atoi(strings.Fields(v)[0])
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

func seed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	url := fs.String("url", "", "server base URL")
	n := fs.Int("n", 100000, "threads to create")
	c := fs.Int("c", 16, "concurrent requests")
	_ = fs.Parse(args)
	if *url == "" {
		return errors.New("seed: -url is required")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *c}, Timeout: 30 * time.Second}
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	t0 := time.Now()
	ctx := context.Background()
	for w := 0; w < *c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n || failed.Load() != nil {
					return
				}
				body := fmt.Sprintf(`{"metadata":{"seq":%d,"bucket":%d,"tenant":"t-%d","user":"user-%d"}}`, i, i%1000, i%1000, i%100)
				req, _ := http.NewRequestWithContext(ctx, "POST", *url+"/threads", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Store(fmt.Errorf("POST /threads: %s", resp.Status))
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return err
	}
	el := time.Since(t0)
	fmt.Printf("seeded=%d seconds=%.1f per_second=%.0f\n", *n, el.Seconds(), float64(*n)/el.Seconds())
	return nil
}
