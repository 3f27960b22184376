// Package mcptools lets agents use the tools of MCP (Model Context
// Protocol) servers, over stdio or Streamable HTTP, with the official Go
// SDK: Connect opens a session, (*Client).Tools lists the server's tools
// as agent.Tool values named "<server>_<tool>", a Pool shares sessions to
// the servers an operator configured, and NewReact builds a ReAct agent
// whose runs pick their servers by name in configurable "mcp_servers".
// A run can only name configured servers: it never chooses a command or
// a URL.
package mcptools

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentgate/agentgate/agent"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Client is a session with one MCP server. It is safe for concurrent use.
type Client struct {
	cfg     ServerConfig
	session *mcp.ClientSession
	stderr  *tail // the stdio server's last stderr output; nil over HTTP
	done    chan struct{}
	waitErr error // set before done is closed

	stale atomic.Bool // the server said its tool list changed
	mu    sync.Mutex
	tools []agent.Tool // cached list
}

// Connect starts (stdio) or reaches (Streamable HTTP) the server and does
// the MCP handshake, within cfg's connect timeout. The session lives
// until Close, whatever becomes of ctx.
func Connect(ctx context.Context, cfg ServerConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, done: make(chan struct{})}
	var transport mcp.Transport
	if cfg.Command != "" {
		// Not CommandContext: the process must outlive the connect ctx.
		cmd := exec.Command(cfg.Command, cfg.Args...)
		cmd.Env = stdioEnv(cfg.Env)
		cmd.Dir = cfg.Dir
		c.stderr = &tail{max: 2048}
		cmd.Stderr = c.stderr
		cmd.WaitDelay = 2 * time.Second // do not wait forever on stderr held open by a grandchild
		transport = &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}
	} else {
		transport = &mcp.StreamableClientTransport{
			Endpoint:             cfg.URL,
			HTTPClient:           &http.Client{Transport: headerTransport{headers: cfg.Headers, next: http.DefaultTransport}},
			MaxRetries:           -1, // a dead server fails the call at once
			DisableStandaloneSSE: true,
		}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "agentgate", Version: "1"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { c.stale.Store(true) },
	})
	cctx, cancel := context.WithTimeout(ctx, cfg.connectTimeout())
	defer cancel()
	session, err := client.Connect(cctx, transport, nil)
	if err != nil {
		return nil, c.wrap("connect", err, ctx, cctx)
	}
	c.session = session
	go func() {
		c.waitErr = session.Wait()
		close(c.done)
	}()
	return c, nil
}

// Name is the server's configured name.
func (c *Client) Name() string { return c.cfg.Name }

// Alive reports whether the session is still open (a stdio server that
// exited closes it).
func (c *Client) Alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// Close ends the session; a stdio server gets its stdin closed, then
// SIGTERM and SIGKILL if it does not exit within two seconds each.
func (c *Client) Close() error {
	err := c.session.Close()
	if errors.Is(err, mcp.ErrConnectionClosed) || !c.Alive() {
		return nil // it was already gone
	}
	return err
}

// Tools lists the server's tools as agent.Tool values (all pages). The
// list is cached until the server notifies that it changed.
func (c *Client) Tools(ctx context.Context) ([]agent.Tool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tools != nil && !c.stale.Load() {
		return append([]agent.Tool(nil), c.tools...), nil
	}
	c.stale.Store(false)
	cctx, cancel := context.WithTimeout(ctx, c.cfg.callTimeout())
	defer cancel()
	out := []agent.Tool{}
	for t, err := range c.session.Tools(cctx, nil) {
		if err != nil {
			return nil, c.wrap("list tools", err, ctx, cctx)
		}
		tool, err := newTool(c, t)
		if err != nil {
			return nil, err
		}
		out = append(out, tool)
	}
	c.tools = out
	return append([]agent.Tool(nil), out...), nil
}

// call runs tools/call within the call timeout.
func (c *Client) call(ctx context.Context, name string, args map[string]any) (*mcp.CallToolResult, error) {
	cctx, cancel := context.WithTimeout(ctx, c.cfg.callTimeout())
	defer cancel()
	res, err := c.session.CallTool(cctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		return nil, c.wrap(fmt.Sprintf("call tool %q", name), err, ctx, cctx)
	}
	return res, nil
}

// Error is a failure to reach a server or to get an answer from it (not
// a tool's own error result, which is a *ToolError).
type Error struct {
	Server string
	Op     string // "connect", "list tools", `call tool "x"`
	Msg    string
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("mcp server %q: %s: %s", e.Server, e.Op, e.Msg) }

func (e *Error) Unwrap() error { return e.Err }

// wrap says why op failed: the caller's ctx ended (kept for errors.Is),
// the timeout, or the server went away (with a stdio server's exit status
// and last stderr output).
func (c *Client) wrap(op string, err error, ctx, cctx context.Context) error {
	e := &Error{Server: c.cfg.Name, Op: op, Msg: err.Error(), Err: err}
	switch {
	case ctx.Err() != nil:
		e.Msg, e.Err = ctx.Err().Error(), ctx.Err()
		return e
	case cctx.Err() != nil:
		d := c.cfg.callTimeout()
		if op == "connect" {
			d = c.cfg.connectTimeout()
		}
		e.Msg = fmt.Sprintf("timed out after %v", d)
		e.Err = context.DeadlineExceeded
	case errors.Is(err, mcp.ErrConnectionClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		e.Msg = "the server closed the connection"
		if c.cfg.Command != "" {
			e.Msg = "the server process exited"
			if c.session != nil && c.waitDone(time.Second) && c.waitErr != nil {
				e.Msg += " (" + c.waitErr.Error() + ")"
			}
		}
		e.Msg += ": " + err.Error()
	}
	if s := c.stderr.String(); s != "" {
		e.Msg += "; stderr: " + s
	}
	return e
}

// waitDone reports whether the session ended within d.
func (c *Client) waitDone(d time.Duration) bool {
	select {
	case <-c.done:
		return true
	case <-time.After(d):
		return false
	}
}

// stdioEnv is the environment of a stdio server: a few inherited
// variables and env.
func stdioEnv(env map[string]string) []string {
	var out []string
	for _, k := range []string{"HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"} {
		if v, ok := os.LookupEnv(k); ok {
			if _, override := env[k]; !override {
				out = append(out, k+"="+v)
			}
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// headerTransport adds the configured headers to every request.
type headerTransport struct {
	headers map[string]string
	next    http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(t.headers) > 0 {
		r = r.Clone(r.Context())
		for k, v := range t.headers {
			r.Header.Set(k, v)
		}
	}
	return t.next.RoundTrip(r)
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// String is the kept output, trimmed; "" for a nil tail.
func (t *tail) String() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
