//go:build unix

package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// canReload: the listening socket can be handed to a child process here.
const canReload = true

// inheritedListener wraps the listening socket passed down as fd.
func inheritedListener(fd string) (net.Listener, error) {
	n, err := strconv.Atoi(fd)
	if err != nil || n < 3 {
		return nil, fmt.Errorf("%s=%q: want a file descriptor number", listenFDEnv, fd)
	}
	f := os.NewFile(uintptr(n), "listener")
	defer f.Close() // FileListener holds its own copy
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w", listenFDEnv, fd, err)
	}
	return ln, nil
}

// superviseDev is a reloading dev: it binds the address once, runs the
// server as a child process on that socket and, when watched files change,
// starts a new child beside the old one and stops the old one only once the
// new one listens. A child that fails to start leaves the old one serving.
func superviseDev(ctx context.Context, f serverFlags, e env, log *slog.Logger) error {
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	defer ln.Close()
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return fmt.Errorf("listen on %s: not a TCP listener", f.addr)
	}
	sock, err := tl.File() // a duplicate the children inherit
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	defer sock.Close()

	w := newWatcher(f.config)
	cur, err := startChild(ctx, f, e, sock)
	if err != nil {
		return err
	}
	defer func() { cur.stop(f.shutdownTimeout, log) }()
	fmt.Fprintf(e.stdout, "agentgate listening on http://%s\n", ln.Addr())
	log.Info("reloading on changes", "pid", cur.pid(), "watching", len(w.last), "poll", reloadPoll.String())

	tick := time.NewTicker(reloadPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cur.exitedC():
			log.Error("server process exited; it starts again on the next change", "pid", cur.pid(), "err", cur.err)
			cur.cmd = nil
		case <-tick.C:
			files := w.changed()
			if len(files) == 0 {
				continue
			}
			files = w.settle(files, ctx.Done())
			if ctx.Err() != nil {
				return nil
			}
			log.Info("change detected; reloading", "files", files)
			next, err := startChild(ctx, f, e, sock)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if cur.running() {
					log.Error("reload failed; still serving the previous version (fix it and save again)", "err", err)
				} else {
					log.Error("reload failed; no server is running (fix it and save again)", "err", err)
				}
				continue
			}
			cur.stop(f.shutdownTimeout, log)
			cur = next
			log.Info("reloaded", "pid", cur.pid())
		}
	}
}

// child is one server process of a reloading dev.
type child struct {
	cmd  *exec.Cmd // nil once it exited and was reported
	done chan struct{}
	err  error // how it exited, once done is closed
}

// startChild runs "agentgate dev --no-reload" on sock and waits until it
// prints its listening line; an exit before that is an error.
func startChild(ctx context.Context, f serverFlags, e env, sock *os.File) (*child, error) {
	cmd := e.child(append(slices.Clone(f.args), "--no-reload"))
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, listenFDEnv+"=3") // ExtraFiles[0] is fd 3
	cmd.ExtraFiles = []*os.File{sock}
	dieWithParent(cmd)
	tail := &lastLine{w: e.stderr}
	cmd.Stderr = tail
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("start server process: %w", err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() { // the only stdout line is the listening line
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		for seen := false; sc.Scan(); {
			if !seen && strings.HasPrefix(sc.Text(), "agentgate listening on ") {
				seen = true
				close(ready)
			}
		}
	}()
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	select {
	case <-ready:
		return c, nil
	case <-c.done:
		if c.err == nil {
			c.err = errors.New("exit status 0")
		}
		if why := tail.String(); why != "" {
			return nil, fmt.Errorf("server process exited before listening (%v): %s", c.err, why)
		}
		return nil, fmt.Errorf("server process exited before listening: %w", c.err)
	case <-ctx.Done():
		c.stop(f.shutdownTimeout, nil)
		return nil, ctx.Err()
	}
}

func (c *child) running() bool { return c.cmd != nil }

func (c *child) pid() int {
	if c.cmd == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// exitedC is closed when the running child exits; nil (never ready) when
// none runs.
func (c *child) exitedC() <-chan struct{} {
	if c.cmd == nil {
		return nil
	}
	return c.done
}

// stop sends SIGTERM and waits for the graceful shutdown, then kills.
func (c *child) stop(grace time.Duration, log *slog.Logger) {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace + 5*time.Second):
		if log != nil {
			log.Warn("server process did not stop in time; killing it", "pid", c.pid())
		}
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	c.cmd = nil
}

// lastLine forwards writes to w and keeps the last non-empty line, which
// says why a server process that exits early failed.
type lastLine struct {
	mu   sync.Mutex
	w    io.Writer
	line string
}

func (l *lastLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	for _, s := range strings.Split(string(p), "\n") {
		if s = strings.TrimSpace(s); s != "" {
			l.line = s
		}
	}
	l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lastLine) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.line
}
