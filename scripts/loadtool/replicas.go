package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// replicas measures stateless POST /runs/wait throughput of -n server
// processes sharing one database, on loopback only:
//
//	loadtool replicas -n 2 -cpu 0.5 -clients 10 -runs 4000 -- /path/agentgate serve --addr 127.0.0.1:0 --database postgres://... --redis-url redis://... --config DIR
//
// Each replica runs the same command line. With -cpu > 0 each is put in
// a cgroup of its own limited to that many cores (cgroup v1 cpu or v2
// cpu.max; needs root), as if each had a machine of that size, so that
// a second replica's throughput is not taken from the first one's CPU on a
// small machine. -clients clients per replica send -runs runs in all,
// after -warmup runs per replica. It prints runs/s, the CPU seconds of
// each replica, of Postgres' processes and of the whole machine.
func replicas(args []string) error {
	fs := flag.NewFlagSet("replicas", flag.ExitOnError)
	n := fs.Int("n", 1, "server processes")
	cpu := fs.Float64("cpu", 0, "cores each replica may use (a cgroup quota); 0: no limit")
	clients := fs.Int("clients", 10, "concurrent clients per replica")
	runs := fs.Int("runs", 4000, "measured runs in all")
	warmup := fs.Int("warmup", 200, "runs per replica before measuring")
	_ = fs.Parse(args)
	cmdline := fs.Args()
	if len(cmdline) == 0 || *n < 1 {
		return errors.New("replicas: give -n >= 1 and the server command after --")
	}
	var procs []*exec.Cmd
	var urls []string
	var groups []string
	defer func() {
		for _, c := range procs {
			stopServer(c)
		}
		for _, g := range groups {
			_ = os.Remove(g)
		}
	}()
	for i := range *n {
		cmd, u, err := startServer(cmdline, os.Stderr)
		if err != nil {
			return fmt.Errorf("replica %d: %w", i, err)
		}
		procs, urls = append(procs, cmd), append(urls, u)
		if *cpu > 0 { // limited once it listens: start-up is not measured
			g, err := limitCPU(cmd.Process.Pid, fmt.Sprintf("loadtool-%d-%d", os.Getpid(), i), *cpu)
			if g != "" {
				groups = append(groups, g)
			}
			if err != nil {
				return err
			}
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 60 * time.Second}
	body := `{"assistant_id":"chatbot","input":{"messages":[{"type":"human","content":"hello there, how are you"}]}}`
	one := func(url string) error {
		resp, err := client.Post(url+"/runs/wait", "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), "You said") {
			return fmt.Errorf("runs/wait: %d %.300s", resp.StatusCode, b)
		}
		return nil
	}
	drive := func(total int) (time.Duration, error) {
		var next atomic.Int64
		var first atomic.Value
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := range *clients * len(urls) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(total) {
					if err := one(urls[i%len(urls)]); err != nil {
						first.CompareAndSwap(nil, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err, _ := first.Load().(error); err != nil {
			return 0, err
		}
		return time.Since(t0), nil
	}
	if _, err := drive(*warmup * len(urls)); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	before := cpuTimes(procs)
	busy0, all0 := machineCPU()
	el, err := drive(*runs)
	if err != nil {
		return err
	}
	after := cpuTimes(procs)
	busy1, all1 := machineCPU()
	fmt.Printf("replicas=%d cpu_limit=%.2f clients=%d runs=%d seconds=%.2f runs_per_s=%.0f\n",
		len(urls), *cpu, *clients*len(urls), *runs, el.Seconds(), float64(*runs)/el.Seconds())
	for i := range procs {
		fmt.Printf("  replica %d cpu %.2f s (%.2f cores)\n", i, after[i]-before[i], (after[i]-before[i])/el.Seconds())
	}
	pg := after[len(procs)] - before[len(procs)]
	fmt.Printf("  postgres cpu %.2f s (%.2f cores); machine busy %.0f%%\n", pg, pg/el.Seconds(),
		100*float64(busy1-busy0)/float64(max(1, all1-all0)))
	return nil
}

// limitCPU puts pid in a new cgroup allowed cores of CPU and returns the
// cgroup's directory (to remove once the process is gone).
func limitCPU(pid int, name string, cores float64) (string, error) {
	const period = 100000
	quota := strconv.Itoa(int(cores * period))
	write := func(dir, file, v string) error {
		return os.WriteFile(filepath.Join(dir, file), []byte(v), 0o644)
	}
	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"); err == nil { // v1
		dir := filepath.Join("/sys/fs/cgroup/cpu", name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return "", fmt.Errorf("cgroup v1: %w (needs root)", err)
		}
		if err := errors.Join(write(dir, "cpu.cfs_period_us", strconv.Itoa(period)),
			write(dir, "cpu.cfs_quota_us", quota), write(dir, "cgroup.procs", strconv.Itoa(pid))); err != nil {
			return dir, fmt.Errorf("cgroup v1: %w", err)
		}
		return dir, nil
	}
	ctl, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
	if err != nil || !strings.Contains(string(ctl), "cpu") {
		return "", errors.New("no cgroup cpu controller to limit replicas with; run without -cpu")
	}
	if err := write("/sys/fs/cgroup", "cgroup.subtree_control", "+cpu"); err != nil {
		return "", fmt.Errorf("cgroup v2: enable cpu: %w (needs root)", err)
	}
	dir := filepath.Join("/sys/fs/cgroup", name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("cgroup v2: %w", err)
	}
	if err := errors.Join(write(dir, "cpu.max", quota+" "+strconv.Itoa(period)),
		write(dir, "cgroup.procs", strconv.Itoa(pid))); err != nil {
		return dir, fmt.Errorf("cgroup v2: %w", err)
	}
	return dir, nil
}

// cpuTimes returns the CPU seconds (user+system) of each process, then of
// all processes named postgres together.
func cpuTimes(procs []*exec.Cmd) []float64 {
	var out []float64
	for _, c := range procs {
		_, s := procCPU(strconv.Itoa(c.Process.Pid))
		out = append(out, s)
	}
	var pg float64
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		if comm, s := procCPU(d.Name()); comm == "postgres" {
			pg += s
		}
	}
	return append(out, pg)
}

// procCPU reads a process's name and its CPU seconds from /proc/PID/stat.
func procCPU(pid string) (string, float64) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return "", 0
	}
	s := string(data)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 13 {
		return "", 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return s[open+1 : end], (ut + st) / 100 // USER_HZ is 100 on Linux
}

// machineCPU returns the busy and total jiffies of all CPUs (/proc/stat).
func machineCPU() (busy, total int64) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}
